import type { io } from "@tensorflow/tfjs";
import { DecodeError, FormatError, codebookMap, dequantizeTensor, printable, shapeSize, type Coder } from "@quantforge/core";
import { decodeContainer } from "@quantforge/core/format";
import { CODED_TFJS_FORMAT, CODED_TFJS_VERSION, type CodedTfjsSection } from "./coded-format.js";
import type { TfjsModelJson, TfjsWeightEntry, TfjsWeightSpec } from "./manifest.js";
import { decodeFloatEntry, decodeNonFloatEntry } from "./tfjs-decode.js";

/*
 * The pure half of the tfjs-coded loader (no Node API): given model.json, its laid-out manifest
 * entries, the container bytes and a way to read each entry's stored bytes, it builds the tfjs
 * model artifacts. The Node loader (coded.ts) reads files; the browser loader (coded-browser.ts)
 * fetches URLs or takes buffers.
 */

/** The model.json's quantforge section, checked. */
export function codedSection(json: Record<string, unknown>, where: string): CodedTfjsSection {
  const s = json.quantforge as CodedTfjsSection | undefined;
  if (!s || typeof s !== "object" || s.format !== CODED_TFJS_FORMAT) throw new FormatError(`${where} has no quantforge coded-weights section; it is not a tfjs-coded model. Load it with tf.loadGraphModel/loadLayersModel.`);
  if (s.version !== CODED_TFJS_VERSION) throw new FormatError(`${where} is quantforge-tfjs-coded version ${String(s.version)}; this loader reads version ${CODED_TFJS_VERSION}. Use a matching @quantforge/io-tfjs.`);
  const okWeight = (w: unknown): boolean => !!w && typeof w === "object" && typeof (w as { name?: unknown }).name === "string" && Array.isArray((w as { shape?: unknown }).shape);
  if (typeof s.container !== "string" || !Array.isArray(s.weights) || !Array.isArray(s.order) || !s.weights.every(okWeight) || !s.order.every((n) => typeof n === "string"))
    throw new FormatError(`${where}: the quantforge section is malformed. Re-create the model with "quantforge quantize --target tfjs-coded".`);
  return s;
}

/** The coder with the container's id among `coders`, else a `DecodeError` naming what is there. */
export function coderResolver(coders: readonly Coder[]): (id: string) => Coder {
  return (id) => {
    const c = coders.find((x) => x.id === id);
    if (!c) throw new DecodeError(`the coded weights were written with coder "${printable(id)}", which this loader does not have (it has ${coders.map((x) => x.id).join(", ") || "none"}). Pass it in options.coders.`);
    return c;
  };
}

/** What {@link decodeCodedArtifacts} needs. */
export interface CodedModelParts {
  readonly json: TfjsModelJson;
  /** The manifest entries (`layoutManifest`), in manifest order. */
  readonly entries: readonly TfjsWeightEntry[];
  /** The container file's bytes. */
  readonly container: Uint8Array;
  /** The stored bytes of one (uncoded) manifest entry. */
  readEntry(entry: TfjsWeightEntry): Promise<Uint8Array> | Uint8Array;
  readonly coders: readonly Coder[];
  /** Printable name of model.json for messages. */
  readonly where: string;
}

/**
 * Decodes a tfjs-coded model into plain tfjs artifacts: every coded tensor is decoded and
 * dequantized to float32 (exactly the weights quantforge evaluated), the other weights are taken
 * from the shards as tfjs would (tfjs's own quantization dequantized), all in the original
 * manifest order.
 *
 * @throws {FormatError} When the container does not match model.json.
 * @throws {DecodeError} On a corrupted container or an unknown coder.
 */
export async function decodeCodedArtifacts(p: CodedModelParts): Promise<io.ModelArtifacts> {
  const s = codedSection(p.json, p.where);
  const decoded = decodeContainer(p.container, coderResolver(p.coders)).model;
  const cbs = codebookMap(decoded);
  const byName = new Map(decoded.tensors.map((t) => [t.name, t]));
  const values = new Map<string, { spec: TfjsWeightSpec; data: Uint8Array }>();
  for (const w of s.weights) {
    const t = byName.get(w.name);
    if (!t) throw new FormatError(`${p.where}: coded weight "${printable(w.name)}" is not in "${printable(s.container)}". The files do not belong together; re-create the model.`);
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i]))
      throw new FormatError(`${p.where}: coded weight "${printable(w.name)}" has shape [${t.shape.join(", ")}] in the container but [${w.shape.join(", ")}] in model.json.`);
    const f = dequantizeTensor(t, cbs.get(t.codebook)!);
    values.set(w.name, { spec: { name: w.name, shape: [...w.shape], dtype: "float32" }, data: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) });
  }
  for (const e of p.entries) {
    const raw = await p.readEntry(e);
    if (raw.length !== e.byteLength) throw new FormatError(`${p.where}: weight "${printable(e.spec.name)}" has ${raw.length} stored bytes, not ${e.byteLength}. The shards do not match the manifest; re-create the model.`);
    const { quantization: _q, ...plain } = e.spec;
    const data = e.spec.dtype === "float32" ? new Uint8Array(decodeFloatEntry(e.spec, raw).buffer) : decodeNonFloatEntry(e.spec, raw);
    values.set(e.spec.name, { spec: plain, data });
  }
  const specs: io.WeightsManifestEntry[] = [];
  let total = 0;
  for (const name of s.order) {
    const v = values.get(name);
    if (!v) throw new FormatError(`${p.where}: weight "${printable(name)}" is listed in the coded order but stored nowhere. Re-create the model.`);
    if (v.data.length !== shapeSize(v.spec.shape) * (v.spec.dtype === "bool" ? 1 : 4)) throw new FormatError(`${p.where}: weight "${printable(name)}" has the wrong number of bytes.`);
    specs.push(v.spec as unknown as io.WeightsManifestEntry);
    total += v.data.length;
  }
  if (values.size !== s.order.length) throw new FormatError(`${p.where}: ${values.size} weights are stored but the coded order lists ${s.order.length}. Re-create the model.`);
  const data = new Uint8Array(total);
  let o = 0;
  for (const name of s.order) {
    const v = values.get(name)!;
    data.set(v.data, o);
    o += v.data.length;
  }
  const j = p.json;
  return {
    modelTopology: j.modelTopology as io.ModelArtifacts["modelTopology"],
    format: j.format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: data.buffer,
    ...(j.signature ? { signature: j.signature } : {}),
    ...(j.userDefinedMetadata ? { userDefinedMetadata: j.userDefinedMetadata as Record<string, object> } : {}),
    ...(j.modelInitializer ? { modelInitializer: j.modelInitializer } : {}),
    ...(j.trainingConfig ? { trainingConfig: j.trainingConfig as io.TrainingConfig } : {}),
  };
}

/** True when model.json describes a graph model (else a layers model). */
export function isGraphModelJson(json: Record<string, unknown>): boolean {
  return json.format === "graph-model" || Array.isArray((json.modelTopology as { node?: unknown } | undefined)?.node);
}
