/**
 * The batch axis of model inputs and outputs. Most models take their batch first, but not all:
 * a recurrent state is often `[layers, batch, hidden]` (silero VAD's `h`/`c` are `[2, batch, 64]`).
 * The batch axis of a tensor is the unknown dimension it shares with the other tensors' batch
 * dimensions; pure functions here, no I/O.
 */

/** What a reader knows of one tensor's dimensions. */
export interface DimsDecl {
  readonly name: string;
  /** `null` dims are unknown; `null` shape: unknown rank. */
  readonly shape: readonly (number | null)[] | null;
  /** Symbolic names of the dimensions (ONNX `dim_param`), `null`/absent where none. */
  readonly dimNames?: readonly (string | null)[];
}

/** Dimension names that mean "batch" in exporters' conventions (PyTorch, tf2onnx, Keras). */
const BATCH_NAME = /batch|^(n|b|bs|num_?samples)$/i;

function unknownNames(d: DimsDecl): string[] {
  if (!d.shape || !d.dimNames) return [];
  const out: string[] = [];
  d.shape.forEach((x, k) => {
    const n = d.dimNames![k];
    if (x === null && n) out.push(n);
  });
  return out;
}

/**
 * The symbolic name of the batch dimension, or null: a name that reads as a batch (`batch`,
 * `batch_size`, `N`, …) on an unknown dimension of any tensor, else the first name on an unknown
 * dimension shared by two or more inputs (the one dimension several inputs must agree on).
 */
export function batchDimName(inputs: readonly DimsDecl[]): string | null {
  const lists = inputs.map(unknownNames);
  for (const l of lists) for (const n of l) if (BATCH_NAME.test(n)) return n;
  for (const l of lists) for (const n of l) if (lists.filter((o) => o.includes(n)).length >= 2) return n;
  return null;
}

/**
 * Each input's batch axis (an index into its full shape; −1 for a rank-0 input, which has none):
 * the axis named like the batch ({@link batchDimName}); else axis 0 when it is unknown or the
 * rank is; else — the model takes any batch on another input and this one has exactly one
 * unknown dimension — that dimension; else axis 0 (a batch size the model fixes).
 */
export function inputBatchAxes(inputs: readonly DimsDecl[]): number[] {
  const name = batchDimName(inputs);
  const named = inputs.map((d) => (name && d.shape && d.dimNames ? d.shape.findIndex((x, k) => x === null && d.dimNames![k] === name) : -1));
  const first = inputs.map((d, i) => (named[i]! >= 0 ? named[i]! : !d.shape || d.shape[0] === null ? 0 : -1));
  const dynamic = inputs.some((d, i) => d.shape && d.shape.length > 0 && first[i]! >= 0 && d.shape[first[i]!] === null) || inputs.some((d) => !d.shape);
  return inputs.map((d, i) => {
    if (d.shape && d.shape.length === 0) return -1;
    if (first[i]! >= 0) return first[i]!;
    const unknown = d.shape!.flatMap((x, k) => (x === null ? [k] : []));
    return dynamic && unknown.length === 1 ? unknown[0]! : 0;
  });
}

/**
 * Each output's declared batch axis by name (see {@link inputBatchAxes}), where the declaration
 * tells: the dimension named like the inputs' batch, else axis 0 when unknown, else the only
 * unknown dimension. Outputs absent here have their batch axis found from the shapes of a run.
 */
export function outputBatchAxes(inputs: readonly DimsDecl[], outputs: readonly DimsDecl[]): Map<string, number> {
  const name = batchDimName(inputs);
  const out = new Map<string, number>();
  for (const o of outputs) {
    if (!o.shape || o.shape.length === 0) continue;
    const k = name && o.dimNames ? o.shape.findIndex((x, j) => x === null && o.dimNames![j] === name) : -1;
    const unknown = o.shape.flatMap((x, j) => (x === null ? [j] : []));
    if (k >= 0) out.set(o.name, k);
    else if (o.shape[0] === null) out.set(o.name, 0);
    else if (unknown.length === 1) out.set(o.name, unknown[0]!);
  }
  return out;
}

/** Sizes before and after axis `a` of a sample shape (the batch goes between them). */
function around(sampleShape: readonly number[], a: number): [pre: number, post: number] {
  let pre = 1,
    post = 1;
  sampleShape.forEach((d, k) => (k < a ? (pre *= d) : (post *= d)));
  return [pre, post];
}

/** The full shape of `count` samples with the batch at axis `a`. */
export function withBatch(sampleShape: readonly number[], count: number, a: number): number[] {
  return [...sampleShape.slice(0, a), count, ...sampleShape.slice(a)];
}

/**
 * Moves sample-major values (`count` samples one after the other) to a tensor with the batch
 * at axis `a` of the sample shape. Identity for `a = 0`.
 */
export function toBatchAxis<T extends { length: number; [i: number]: unknown }>(src: T, make: (n: number) => T, count: number, sampleShape: readonly number[], a: number): T {
  if (a === 0) return src;
  const [pre, post] = around(sampleShape, a);
  const dst = make(src.length);
  for (let k = 0; k < count; k++) for (let p = 0; p < pre; p++) for (let q = 0; q < post; q++) dst[(p * count + k) * post + q] = src[(k * pre + p) * post + q];
  return dst;
}

/** The inverse of {@link toBatchAxis}: a tensor of shape `withBatch(sampleShape, count, a)` to sample-major values. */
export function fromBatchAxis(src: Float32Array, count: number, sampleShape: readonly number[], a: number): Float32Array {
  if (a === 0) return src;
  const [pre, post] = around(sampleShape, a);
  const dst = new Float32Array(src.length);
  for (let k = 0; k < count; k++) for (let p = 0; p < pre; p++) for (let q = 0; q < post; q++) dst[(k * pre + p) * post + q] = src[(p * count + k) * post + q]!;
  return dst;
}
