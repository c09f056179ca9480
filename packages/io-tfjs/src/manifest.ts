import { FormatError, printable, shapeSize } from "@quantforge/core";

/** Element types a tfjs weight entry may declare (what the tensor is in the model). */
export type TfjsWeightDtype = "float32" | "int32" | "bool";

/** tfjs-converter's storage quantization of one weight entry. */
export type TfjsQuantization = { readonly dtype: "uint8" | "uint16"; readonly min: number; readonly scale: number; readonly original_dtype?: string } | { readonly dtype: "float16"; readonly original_dtype?: string };

/** One entry of a `weightsManifest` group, as it appears in model.json. */
export interface TfjsWeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: TfjsWeightDtype;
  readonly quantization?: TfjsQuantization;
  readonly [k: string]: unknown;
}

/** One `weightsManifest` group: its shards (concatenated in order) hold its entries back to back. */
export interface TfjsManifestGroup {
  readonly paths: readonly string[];
  readonly weights: readonly TfjsWeightSpec[];
}

/** The parsed `model.json` (unknown top-level fields are kept as they are). */
export interface TfjsModelJson {
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly modelTopology: Record<string, unknown>;
  readonly weightsManifest: readonly TfjsManifestGroup[];
  readonly [k: string]: unknown;
}

/** A weight entry with its place in the shards. */
export interface TfjsWeightEntry {
  /** Position in the manifest (all groups, in order). */
  readonly index: number;
  readonly spec: TfjsWeightSpec;
  /** Index of its manifest group. */
  readonly group: number;
  /** Byte offset inside the group's concatenated shards. */
  readonly offset: number;
  /** Stored bytes (quantization included). */
  readonly byteLength: number;
  /** Element count. */
  readonly count: number;
}

// Maps, not object literals: a dtype read from the file such as "__proto__" or "toString" must not hit Object.prototype.
const DTYPE_BYTES: ReadonlyMap<string, number> = new Map([
  ["float32", 4],
  ["int32", 4],
  ["bool", 1],
]);
const QUANT_BYTES: ReadonlyMap<string, number> = new Map([
  ["uint8", 1],
  ["uint16", 2],
  ["float16", 2],
]);

/** Bytes one element of a spec occupies in the shards (its quantized width when quantized). */
export function storedElementBytes(spec: TfjsWeightSpec): number {
  return spec.quantization ? QUANT_BYTES.get(spec.quantization.dtype)! : DTYPE_BYTES.get(spec.dtype)!;
}

/** Most dimensions a weight may have (TensorFlow itself stops at 254; real weights have ≤ 6). */
export const MAX_WEIGHT_RANK = 32;
/**
 * Most elements one weight may have (2^31 − 1: an 8 GiB float32 tensor). Checked before anything
 * is allocated; larger declared sizes are refused as malformed rather than attempted.
 */
export const MAX_WEIGHT_ELEMENTS = 2 ** 31 - 1;

function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return printable(s, 80);
}

/**
 * Validates one manifest entry strictly: a string name, a shape of non-negative integers, a known
 * dtype and, when present, a well-formed tfjs quantization (`uint8`/`uint16` with finite `min`
 * and `scale`, or `float16` of a float32 tensor; `original_dtype`, when given, equal to `dtype`).
 *
 * @throws {FormatError} Naming the entry and what to fix.
 */
export function checkWeightSpec(e: unknown, where: string): TfjsWeightSpec {
  const o = e as Record<string, unknown> | null;
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new FormatError(`${where}: a weights manifest entry is ${show(e)}, not an object. Fix model.json.`);
  const name = o.name;
  if (typeof name !== "string" || name.length === 0) throw new FormatError(`${where}: a weights manifest entry has no name (${show(e)}). Fix model.json.`);
  const shown = printable(name);
  const shape = o.shape;
  if (!Array.isArray(shape) || shape.length > MAX_WEIGHT_RANK || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new FormatError(`${where}: weight "${shown}" has an invalid shape ${show(shape)}; it needs at most ${MAX_WEIGHT_RANK} non-negative integer dimensions. Fix model.json.`);
  }
  let count = 1;
  for (const d of shape as number[]) count *= d;
  if (count > MAX_WEIGHT_ELEMENTS) throw new FormatError(`${where}: weight "${shown}" declares ${count} elements, more than the ${MAX_WEIGHT_ELEMENTS} quantforge reads per tensor. The manifest is malformed; fix model.json.`);
  if (typeof o.dtype !== "string" || !DTYPE_BYTES.has(o.dtype)) {
    throw new FormatError(`${where}: weight "${shown}" has unsupported dtype ${show(o.dtype)}. quantforge reads float32, int32 and bool weights.`);
  }
  const q = o.quantization as Record<string, unknown> | undefined;
  if (q !== undefined) {
    if (!q || typeof q !== "object" || Array.isArray(q)) throw new FormatError(`${where}: weight "${shown}" has a malformed quantization ${show(q)}. Fix model.json.`);
    if (typeof q.dtype !== "string" || !QUANT_BYTES.has(q.dtype)) {
      throw new FormatError(`${where}: weight "${shown}" has unsupported quantization dtype ${show(q.dtype)}. tfjs quantizes to uint8, uint16 or float16.`);
    }
    if (q.original_dtype !== undefined && q.original_dtype !== o.dtype) {
      throw new FormatError(`${where}: weight "${shown}" has quantization.original_dtype ${show(q.original_dtype)} but dtype ${show(o.dtype)}. Fix model.json.`);
    }
    if (q.dtype === "float16") {
      if (o.dtype !== "float32") throw new FormatError(`${where}: weight "${shown}" is ${o.dtype} stored as float16; tfjs supports float16 only for float32 weights. Fix model.json.`);
    } else {
      if (o.dtype === "bool") throw new FormatError(`${where}: weight "${shown}" is bool stored as ${q.dtype}; tfjs does not quantize bool weights. Fix model.json.`);
      if (typeof q.min !== "number" || !Number.isFinite(q.min) || typeof q.scale !== "number" || !Number.isFinite(q.scale)) {
        throw new FormatError(`${where}: weight "${shown}" is ${q.dtype}-quantized but lacks a finite "min" and "scale" (${show(q)}). Fix model.json.`);
      }
    }
  }
  return o as unknown as TfjsWeightSpec;
}

/**
 * Deepest JSON nesting accepted in a model.json. Real topologies (Keras models nested in models,
 * graph attributes) stay far below 100 levels; tfjs's loader, `JSON.stringify` and every other
 * recursive consumer would overflow the call stack on a hostile file nested 200,000 deep.
 */
export const MAX_JSON_DEPTH = 1000;

/** Nesting depth of a parsed JSON value, measured with an explicit stack (no recursion). */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== "object") continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c && typeof c === "object") stack.push([c, d + 1]);
  }
  return max;
}

/**
 * Validates the structure of a parsed model.json and lays its entries out in the shards.
 *
 * @returns Every entry with its group, offset and stored size, in manifest order, and the bytes
 *   each group's shards must hold in total.
 * @throws {FormatError} On a missing topology or manifest, malformed groups or entries, or a
 *   weight name used twice.
 */
export function layoutManifest(json: unknown, where: string): { json: TfjsModelJson; entries: TfjsWeightEntry[]; groupBytes: number[] } {
  const j = json as Record<string, unknown> | null;
  if (!j || typeof j !== "object" || Array.isArray(j)) throw new FormatError(`${where} is not a JSON object. Pass a tfjs model.json.`);
  if (!j.modelTopology || typeof j.modelTopology !== "object" || Array.isArray(j.modelTopology)) {
    throw new FormatError(`${where} has no "modelTopology" object; it is not a tfjs model.json. Export the model with tfjs's model.save or tensorflowjs_converter.`);
  }
  if (!Array.isArray(j.weightsManifest)) throw new FormatError(`${where} has no "weightsManifest" array. Export the model with its weights.`);
  if (jsonDepth(j, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new FormatError(`${where} nests its JSON more than ${MAX_JSON_DEPTH} levels deep; no tfjs model does. The file is malformed or hostile; re-export the model.`);
  const entries: TfjsWeightEntry[] = [];
  const groupBytes: number[] = [];
  const names = new Set<string>();
  (j.weightsManifest as unknown[]).forEach((g, gi) => {
    const group = g as Record<string, unknown> | null;
    if (!group || typeof group !== "object" || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new FormatError(`${where}: weightsManifest[${gi}] needs "paths" and "weights" arrays. Fix model.json.`);
    }
    for (const p of group.paths as unknown[]) {
      if (typeof p !== "string" || p.length === 0) throw new FormatError(`${where}: weightsManifest[${gi}] has an invalid shard path ${show(p)}. Fix model.json.`);
    }
    let offset = 0;
    for (const e of group.weights as unknown[]) {
      const spec = checkWeightSpec(e, where);
      if (names.has(spec.name)) throw new FormatError(`${where}: weight "${printable(spec.name)}" appears twice in the manifest. Fix model.json.`);
      names.add(spec.name);
      const count = shapeSize(spec.shape);
      const byteLength = count * storedElementBytes(spec);
      entries.push({ index: entries.length, spec, group: gi, offset, byteLength, count });
      offset += byteLength;
    }
    groupBytes.push(offset);
  });
  return { json: j as unknown as TfjsModelJson, entries, groupBytes };
}
