import { initializerRawBytes, lenField, onnxTypes, spliceWire, type OnnxModel, type WireEdit } from "@quantforge/io-onnx/browser";

/**
 * Rebuilds an ONNX model so that the weight tensors `names` (see io-onnx's
 * `OnnxModel.initializers`) are graph inputs of the main graph instead, named by their unique
 * weight name. One session of the result then runs the model with any values of those weights,
 * fed per run:
 * - a main-graph initializer leaves the initializer list and gets a graph input of its type and
 *   dims (unless the model already lists it as an input, as IR 3 exporters did);
 * - a main-graph `Constant` node is removed and its output becomes a graph input;
 * - a tensor inside a subgraph (initializer or `Constant`) is replaced there by an `Identity`
 *   node reading the new main-graph input (a subgraph sees the names of the graphs around it),
 *   so nothing else in the subgraph changes.
 * Everything else is copied byte for byte, except externally stored initializers, which are
 * inlined (a session built from bytes cannot find external files).
 *
 * @param model - A model read by io-onnx's `readOnnxModel`.
 * @param names - FLOAT/FLOAT16 weight tensors to turn into inputs.
 */
export async function weightsAsInputs(model: OnnxModel, names: ReadonlySet<string>): Promise<Uint8Array> {
  const { TensorProto, ValueInfoProto, NodeProto } = onnxTypes();
  const edits: WireEdit[] = [];
  const newInputs: Uint8Array[] = [];
  for (const init of model.initializers) {
    if (!names.has(init.name)) {
      if (init.external) {
        const raw = (await initializerRawBytes(init))!;
        const body = TensorProto.encode(TensorProto.fromObject({ name: init.message.name, dims: [...init.dims], data_type: init.dataType, raw_data: raw })).finish();
        edits.push({ start: init.wire.start, end: init.wire.end, bytes: lenField(init.wire.field, body), containers: init.containers });
      }
      continue;
    }
    const graph = model.graphs[init.graph]!;
    const what = init.kind === "constant" ? init.constant!.node.wire! : init.wire;
    const container = init.kind === "constant" ? graph.containers : init.containers;
    if (init.graph === 0) {
      edits.push({ start: what.start, end: what.end, bytes: new Uint8Array(0), containers: container });
      if (init.kind === "constant" || !model.graphInputNames.has(init.name)) {
        newInputs.push(
          lenField(
            11,
            ValueInfoProto.encode(
              ValueInfoProto.fromObject({
                name: init.name,
                type: { tensor_type: { elem_type: init.dataType, shape: { dim: init.dims.map((d) => ({ dim_value: d })) } } },
              }),
            ).finish(),
          ),
        );
      }
      continue;
    }
    newInputs.push(
      lenField(
        11,
        ValueInfoProto.encode(
          ValueInfoProto.fromObject({
            name: init.name,
            type: { tensor_type: { elem_type: init.dataType, shape: { dim: init.dims.map((d) => ({ dim_value: d })) } } },
          }),
        ).finish(),
      ),
    );
    const identity = lenField(1, NodeProto.encode(NodeProto.fromObject({ input: [init.name], output: [init.localName], op_type: "Identity", domain: "" })).finish());
    if (init.kind === "constant") {
      edits.push({ start: what.start, end: what.end, bytes: identity, containers: container });
    } else {
      edits.push({ start: what.start, end: what.end, bytes: new Uint8Array(0), containers: container });
      const at = graph.fields.find((f) => f.field === 1)?.start ?? graph.containers.at(-1)!.end;
      edits.push({ start: at, end: at, bytes: identity, containers: graph.containers });
    }
  }
  if (newInputs.length > 0) {
    const end = model.graphField.end;
    const bytes = new Uint8Array(newInputs.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const b of newInputs) {
      bytes.set(b, o);
      o += b.length;
    }
    edits.push({ start: end, end, bytes, containers: [model.graphField] });
  }
  return spliceWire(model.bytes, edits);
}
