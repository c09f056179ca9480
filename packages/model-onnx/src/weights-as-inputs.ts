import { initializerRawBytes, onnxTypes, type OnnxModel } from "@quantforge/io-onnx";

/** Tag and length prefix of a length-delimited protobuf field. */
function header(field: number, len: number): Uint8Array {
  const out: number[] = [];
  for (let v = (field << 3) | 2; ; v >>>= 7) { if (v < 0x80) { out.push(v); break; } out.push((v & 0x7f) | 0x80); }
  for (let v = len; ; v = Math.floor(v / 128)) { if (v < 0x80) { out.push(v); break; } out.push((v % 128) | 0x80); }
  return Uint8Array.from(out);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * Rebuilds an ONNX model so that the initializers `names` are graph inputs instead: they leave
 * the initializer list and get a graph input of their type and dims (unless the model already
 * lists them as inputs, as IR 3 exporters did). One session of the result then runs the model
 * with any values of those weights, fed per run. Everything else is copied byte for byte,
 * except externally stored initializers, which are inlined (a session built from bytes cannot
 * find external files).
 *
 * @param model - A model read by io-onnx's `readOnnxModel`.
 * @param names - FLOAT/FLOAT16 initializers to turn into inputs.
 */
export async function weightsAsInputs(model: OnnxModel, names: ReadonlySet<string>): Promise<Uint8Array> {
  const { TensorProto, ValueInfoProto } = onnxTypes();
  const byWire = new Map(model.initializers.map((i) => [i.wire.start, i]));
  const parts: Uint8Array[] = [];
  for (const f of model.graphFields) {
    const init = f.field === 5 ? byWire.get(f.start) : undefined;
    if (init && names.has(init.name)) continue;
    if (init?.external) {
      const raw = (await initializerRawBytes(init))!;
      const body = TensorProto.encode(TensorProto.fromObject({ name: init.name, dims: [...init.dims], data_type: init.dataType, raw_data: raw })).finish();
      parts.push(header(5, body.length), body);
      continue;
    }
    parts.push(model.bytes.subarray(f.start, f.end));
  }
  for (const init of model.initializers) {
    if (!names.has(init.name) || model.graphInputNames.has(init.name)) continue;
    const body = ValueInfoProto.encode(ValueInfoProto.fromObject({
      name: init.name, type: { tensor_type: { elem_type: init.dataType, shape: { dim: init.dims.map((d) => ({ dim_value: d })) } } },
    })).finish();
    parts.push(header(11, body.length), body);
  }
  const graph = concat(parts);
  const out: Uint8Array[] = [];
  for (const f of model.modelFields) {
    if (f.start === model.graphField.start) out.push(header(7, graph.length), graph);
    else out.push(model.bytes.subarray(f.start, f.end));
  }
  return concat(out);
}
