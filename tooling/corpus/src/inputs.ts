/**
 * Seeded model inputs for the stock-runtime runs: floats uniform in [0, 1) (image-like),
 * integers uniform in 0…9, booleans false. Unknown batch dimensions get `batch`; other unknown
 * dimensions come from `--input-shape name=d1,d2,…` (batch excluded) or make the input unrunnable.
 */
export interface InputSpec {
  name: string;
  /** Declared shape; null/negative/undefined entries are unknown. */
  shape: ReadonlyArray<number | null> | null;
  dtype: string;
  /**
   * Where the batch axis is when it is not dim 0: the model names it like another input's unknown
   * dim 0 (ONNX symbolic dimensions, e.g. silero's `batch` in h [2, batch, 64]).
   */
  batchAxis?: number;
}

/** Parses `name=d1,d2,…` specs into a map. */
export function parseInputShapes(specs: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const spec of specs) {
    const i = spec.lastIndexOf("=");
    if (i <= 0) throw new Error(`--input-shape ${spec}: expected name=d1,d2,…`);
    out.set(
      spec.slice(0, i),
      spec
        .slice(i + 1)
        .split(",")
        .map((d) => Number(d)),
    );
  }
  return out;
}

/** The concrete shape to feed, or a reason it cannot be chosen. */
export function concreteShape(input: InputSpec, shapes: ReadonlyMap<string, number[]>, batch: number): number[] | string {
  const declared = input.shape;
  // tfjs names a layers model's input "LR_1", "LR_2", … when the same model is loaded again in one
  // process; quantforge names it by its layer ("LR", as --input-shape gives it): either matches.
  const given = shapes.get(input.name) ?? shapes.get(input.name.replace(/_\d+$/, ""));
  if (declared === null) return given ? [batch, ...given] : `input ${input.name} has no declared shape`;
  if (declared.length === 0) return [];
  const known = (d: number | null | undefined): d is number => typeof d === "number" && d >= 0;
  const rest = declared.slice(1);
  const first = declared[0];
  const lead = known(first) ? first : batch;
  if (given && given.length === rest.length) return [lead, ...given];
  if (rest.every(known)) return [lead, ...rest];
  // A batch axis past dim 0, as in silero's recurrent state h [2, batch, 64]: the other dimensions
  // are the model's (or --input-shape's, listed without the batch axis).
  const axis = input.batchAxis;
  if (axis !== undefined && axis > 0 && axis < declared.length && !known(declared[axis])) {
    const others = [...declared.slice(0, axis), ...declared.slice(axis + 1)];
    const dims = given && given.length === others.length ? given : others;
    if (dims.every(known)) return [...dims.slice(0, axis), batch, ...dims.slice(axis)];
  }
  return `input ${input.name} has unknown dimensions [${declared.map((d) => (known(d) ? d : "?")).join(",")}]: pass --input-shape`;
}

/** mulberry32: a small seeded generator (the values only need to be reproducible). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded values for one input. */
export function inputValues(dtype: string, count: number, next: () => number): Float32Array | Int32Array | BigInt64Array | Uint8Array {
  if (/float|double/.test(dtype)) return Float32Array.from({ length: count }, () => next());
  if (dtype === "int64") return BigInt64Array.from({ length: count }, () => BigInt(Math.floor(next() * 10)));
  if (/int/.test(dtype)) return Int32Array.from({ length: count }, () => Math.floor(next() * 10));
  return new Uint8Array(count);
}

/** ‖a − b‖ / ‖b‖ (or the max abs difference when b is all zeros) and the max abs difference. */
export function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): { rel: number; maxAbs: number } {
  if (a.length !== b.length) return { rel: Number.POSITIVE_INFINITY, maxAbs: Number.POSITIVE_INFINITY };
  let num = 0;
  let den = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Number(a[i]) - Number(b[i]);
    num += d * d;
    den += Number(b[i]) * Number(b[i]);
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  if (Number.isNaN(num)) return { rel: Number.NaN, maxAbs: Number.NaN };
  return { rel: den > 0 ? Math.sqrt(num / den) : maxAbs, maxAbs };
}
