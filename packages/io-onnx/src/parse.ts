import type protobuf from "protobufjs";
import { FormatError, printable } from "@quantforge/core";
import { walkGraphs, wireInt, type ConstantValue, type OnnxGraph } from "./graph.js";
import { ONNX_ELEMENT_BYTES, OnnxDataType, onnxTypes, toNumber } from "./schema.js";
import { tagWeights } from "./tags.js";
import { MAX_TENSOR_ELEMENTS, type OnnxExternalFiles, type OnnxInitializer, type OnnxModel, type OnnxValueInfo, type TensorMessage } from "./types.js";
import { malformed, scanFields, type WireField } from "./wire.js";

function decode<T>(type: protobuf.Type, buf: Uint8Array, f: WireField, where: string, what: string): T {
  if (f.wire !== 2) throw malformed(where, `${what} has wire type ${f.wire}, not a message`);
  try {
    return type.decode(buf.subarray(f.valueStart, f.end)) as unknown as T;
  } catch (e) {
    throw malformed(where, `a ${what} cannot be decoded (${(e as Error).message})`, e);
  }
}

function valueInfo(m: { name?: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: unknown; dim_param?: string }[] } } } }): OnnxValueInfo {
  const tt = m.type?.tensor_type;
  const dims = tt?.shape?.dim;
  const names = (dims ?? []).map((d) => (d.dim_param ? d.dim_param : null));
  return {
    ...(names.some((n) => n !== null) ? { dimNames: names } : {}),
    name: m.name ?? "",
    elemType: tt?.elem_type ?? 0,
    shape:
      tt?.shape === undefined
        ? null
        : (dims ?? []).map((d) => {
            const v = d.dim_value === undefined || d.dim_value === null ? NaN : toNumber(d.dim_value);
            return Number.isSafeInteger(v) && v > 0 ? v : null;
          }),
  };
}

/** Checks a TensorProto's dims and data against each other (and its external file), before anything is allocated. */
async function checkTensor(
  m: TensorMessage,
  where: string,
  path: string,
  files: OnnxExternalFiles | null,
  externalSizes: Map<string, number>,
): Promise<{ dims: number[]; dataType: number; count: number; external?: OnnxInitializer["external"] }> {
  const dims = (m.dims ?? []).map(toNumber);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new FormatError(`${where} has invalid dims [${dims.join(", ")}]. Re-export the model.`);
  const dataType = m.data_type ?? 0;
  let count = 1;
  for (const d of dims) count *= d;
  if (!Number.isSafeInteger(count)) throw new FormatError(`${where} declares dims [${dims.join(", ")}], more elements than any file can hold. Re-export the model.`);
  const size = ONNX_ELEMENT_BYTES[dataType];
  const isFloat = dataType === OnnxDataType.FLOAT || dataType === OnnxDataType.FLOAT16;
  if (isFloat && count > MAX_TENSOR_ELEMENTS) throw new FormatError(`${where} declares ${count} elements, more than quantforge's limit of ${MAX_TENSOR_ELEMENTS} per tensor.`);
  if (m.data_location === 1) {
    const kv = new Map((m.external_data ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
    const loc = kv.get("location") ?? "";
    const offset = kv.has("offset") ? Number(kv.get("offset")) : 0;
    const length = kv.has("length") ? Number(kv.get("length")) : (size ?? 0) * count;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new FormatError(`${where} has an invalid external offset/length. Re-export the model.`);
    if (size !== undefined && length !== size * count) throw new FormatError(`${where} declares ${length} external bytes but dims [${dims.join(", ")}] need ${size * count}. Re-export the model.`);
    if (!files)
      throw new FormatError(
        `${where} is stored in an external data file ("${printable(loc)}"), which cannot be read here: only a self-contained .onnx file can. Save the model with its data inside (onnx.save_model(..., save_as_external_data=False)).`,
      );
    const stat = await files.stat(path, loc);
    const file = stat.file;
    let st = externalSizes.get(file);
    if (st === undefined) {
      st = stat.size;
      externalSizes.set(file, st);
    }
    if (offset + length > st) throw new FormatError(`${where}: its external data run past the end of "${printable(loc)}". The file is truncated; re-export the model.`);
    return { dims, dataType, count, external: { path: file, offset, length, files } };
  }
  if (isFloat) {
    const raw = m.raw_data;
    if (raw && raw.length > 0) {
      if (raw.length !== count * size!) throw new FormatError(`${where} has ${raw.length} bytes of raw_data but dims [${dims.join(", ")}] need ${count * size!}. Re-export the model.`);
    } else {
      const have = dataType === OnnxDataType.FLOAT ? (m.float_data?.length ?? 0) : (m.int32_data?.length ?? 0);
      if (have !== count) throw new FormatError(`${where} has ${have} values in ${dataType === OnnxDataType.FLOAT ? "float_data" : "int32_data"} but dims [${dims.join(", ")}] need ${count}. Re-export the model.`);
    }
  } else if (dataType === 0 || (size === undefined && dataType !== OnnxDataType.STRING)) {
    throw new FormatError(`${where} has an unknown data type ${dataType}. quantforge reads ONNX data types 1–20.`);
  }
  return { dims, dataType, count };
}

/**
 * Parses and validates ONNX model bytes: ModelProto and every graph are walked on the wire,
 * every tensor quantforge reads is decoded and checked (dims, data type, data size in
 * `raw_data`, `float_data` or `int32_data`, external data location and size through `files`).
 * Pure (no Node APIs); `readOnnxModel`/`parseOnnxModel` are the Node entries.
 *
 * @param path - Names the model in messages (and locates external data through `files`).
 * @param files - External data access; `null` makes any externally stored tensor a {@link FormatError}.
 * @throws {FormatError} On a broken encoding, a missing graph, or a tensor whose data do not match its dims and type.
 */
export async function parseOnnxModelWith(bytes: Uint8Array, path: string, files: OnnxExternalFiles | null): Promise<OnnxModel> {
  const T = onnxTypes();
  const where0 = printable(path);
  const modelFields = scanFields(bytes, 0, bytes.length, where0);
  const graphFieldsOfModel = modelFields.filter((f) => f.field === 7);
  if (graphFieldsOfModel.length !== 1) throw malformed(where0, graphFieldsOfModel.length === 0 ? "it has no graph" : "it has more than one graph field");
  const graphField = graphFieldsOfModel[0]!;
  if (graphField.wire !== 2) throw malformed(where0, "the graph field is not a message");
  let opset = 0,
    irVersion = 0;
  for (const f of modelFields) {
    if (f.field === 8) {
      const o = decode<{ domain?: string; version?: unknown }>(T.OperatorSetIdProto, bytes, f, where0, "opset import");
      if (!o.domain || o.domain === "ai.onnx") opset = toNumber(o.version ?? 0) || 0;
    } else if (f.field === 1 && f.wire === 0) {
      irVersion = wireInt(bytes, f);
    }
  }
  const graphs = walkGraphs(bytes, graphField, where0);
  const main = graphs[0]!;
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const externalSizes = new Map<string, number>();
  // Every name the main graph defines: subgraph tensors get names that cannot collide with them.
  const taken = new Set<string>();
  for (const n of main.nodes) for (const o of n.outputs) taken.add(o);
  const pending: { f: WireField; g: OnnxGraph; constant?: ConstantValue }[] = [];
  for (const g of graphs) {
    for (const f of g.fields) {
      if (f.field === 5) pending.push({ f, g });
      else if (g.id === 0 && (f.field === 11 || f.field === 12)) {
        const v = valueInfo(decode(T.ValueInfoProto, bytes, f, where0, f.field === 11 ? "graph input" : "graph output"));
        (f.field === 11 ? inputs : outputs).push(v);
      }
    }
    for (const c of g.constants) pending.push({ f: c.tensor, g, constant: c });
  }
  // Main-graph initializers first (their names are kept as they are), then the rest in walk order.
  const mainInitNames = new Set<string>();
  for (const p of pending) {
    const m = decode<TensorMessage>(T.TensorProto, bytes, p.f, where0, p.constant ? "Constant value" : "initializer");
    const localName = p.constant ? (p.constant.node.outputs[0] ?? "") : (m.name ?? "");
    const label = p.constant ? `Constant "${printable(localName)}"` : `initializer "${printable(localName)}"`;
    const where = `${where0}: ${p.g.scope ? `subgraph ${printable(p.g.scope)}: ` : ""}${label}`;
    if (!localName) throw malformed(where0, p.constant ? `a Constant node has no output` : `initializer #${initializers.length} has no name`);
    const isMainInit = p.g.id === 0 && !p.constant;
    const dataType = m.data_type ?? 0;
    if (!isMainInit && dataType !== OnnxDataType.FLOAT && dataType !== OnnxDataType.FLOAT16) continue;
    if (isMainInit) {
      if (mainInitNames.has(localName)) throw malformed(where0, `two initializers are named "${printable(localName)}"`);
      mainInitNames.add(localName);
    }
    const checked = await checkTensor(m, where, path, files, externalSizes);
    const containers = p.constant ? [...p.g.containers, p.constant.node.wire!, p.constant.attr] : p.g.containers;
    initializers.push({
      index: 0,
      name: "",
      localName,
      kind: p.constant ? "constant" : "initializer",
      graph: p.g.id,
      dims: checked.dims,
      dataType: checked.dataType,
      count: checked.count,
      wire: p.f,
      containers,
      message: m,
      ...(p.constant ? { constant: p.constant } : {}),
      ...(checked.external ? { external: checked.external } : {}),
    });
  }
  for (const n of mainInitNames) taken.add(n);
  // Names: main graph tensors keep theirs; subgraph tensors are named by where they are.
  const named = initializers.map((i, index): OnnxInitializer => {
    if (i.graph === 0) return { ...i, index, name: i.localName };
    const want = `${graphs[i.graph]!.scope}/${i.localName}`;
    let name = want;
    for (let k = 2; taken.has(name); k++) name = `${want}#${k}`;
    taken.add(name);
    return { ...i, index, name };
  });
  named.sort((a, b) => (a.kind === "initializer" && a.graph === 0 ? 0 : 1) - (b.kind === "initializer" && b.graph === 0 ? 0 : 1) || a.index - b.index);
  const final = named.map((i, index) => ({ ...i, index }));
  const graphInputNames = new Set(inputs.map((i) => i.name));
  const feedInputs = inputs.filter((i) => !mainInitNames.has(i.name));
  let fileBytes = bytes.length;
  for (const s of externalSizes.values()) fileBytes += s;
  return {
    path,
    bytes,
    modelFields,
    graphField,
    graphFields: main.fields,
    initializers: final,
    nodes: main.nodes,
    graphs,
    inputs: feedInputs,
    outputs,
    graphInputNames,
    opset,
    irVersion,
    fileBytes,
    tags: tagWeights(
      graphs,
      final.map((i) => ({ name: i.name, localName: i.localName, graph: i.graph, rank: i.dims.length })),
    ),
  };
}
