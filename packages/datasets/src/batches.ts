import { ShapeMismatchError, type ForwardOutput } from "@quantforge/core";
import { splitSamples, type ModelInputFeed, type ModelInputLayout } from "./model-inputs.js";
import { fromBatchAxis } from "./batch-axis.js";

/** One output of a model run on one batch. */
export interface BatchOutput {
  readonly name: string;
  /** The batch at the output's batch axis (usually first; see `outputBatchAxes`). */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * The most input values one model run is fed when samples are large (at least
 * {@link MIN_BATCH_SAMPLES} samples per run): a run's activations grow with its batch, and a
 * backend keeps its peak (a wasm heap never shrinks), so 32 samples of 198×198×3 in one run held
 * 1.45 GiB of RSS; in runs of 8, 0.34 GiB, with the same outputs (issue 18's compare on human-models' gear).
 * 2^20 values = 4 MiB of float32 input per run.
 */
export const MAX_BATCH_INPUT_VALUES = 1 << 20;

/**
 * The fewest samples per run the {@link MAX_BATCH_INPUT_VALUES} cap leaves: a batch axis is
 * found by the batch's size, and a small size (1, 2, 3) is more likely to match an output's fixed
 * dimension by chance.
 */
export const MIN_BATCH_SAMPLES = 8;

/**
 * Samples per run for samples of `sampleSize` values: `maxBatch`, capped so that a run's inputs
 * hold at most {@link MAX_BATCH_INPUT_VALUES} values, but never below {@link MIN_BATCH_SAMPLES}.
 */
export function batchSamples(sampleSize: number, maxBatch: number): number {
  const cap = Math.max(MIN_BATCH_SAMPLES, Math.floor(MAX_BATCH_INPUT_VALUES / Math.max(1, sampleSize)));
  return Math.max(1, Math.min(Math.floor(maxBatch), cap));
}

/**
 * Runs `count` flat samples through `run` in batches of at most `maxBatch` samples, fewer when
 * samples are large ({@link batchSamples}; exactly
 * `layout.fixedBatch` when the model fixes its batch size; the last batch is then padded with
 * zero samples whose outputs are dropped) and concatenates every output over the batches.
 * `count = 0` runs one zero sample to learn the outputs and returns them empty.
 *
 * Each output is concatenated along its batch axis: the one the layout declares for it
 * (`outputBatchAxes`, e.g. a recurrent state `[2, N, 64]`), else the first axis of the batch's
 * size. A model with an output without one (an output of fixed shape), or with a rank-0 input
 * whose value differs between samples (every sample must see its own), is run one sample at a
 * time instead; each output's whole value is then that sample's output.
 *
 * @throws {ShapeMismatchError} when an output changes shape between batches.
 */
export async function runInBatches(layout: ModelInputLayout, inputs: Float32Array, count: number, maxBatch: number, run: (feeds: ModelInputFeed[]) => Promise<readonly BatchOutput[]>): Promise<ForwardOutput[]> {
  const S = layout.sampleSize;
  if (inputs.length !== count * S) splitSamples(layout, inputs, count); // throws the size error
  // A rank-0 input holds one value per run, so samples that differ in it cannot share a batch.
  const perSample = scalarsDiffer(layout, inputs, count) && (layout.fixedBatch ?? 1) === 1;
  const first = perSample ? 1 : (layout.fixedBatch ?? batchSamples(S, maxBatch));
  const batched = await runBatches(layout, inputs, count, first, run, false);
  if (batched) return batched;
  if ((layout.fixedBatch ?? 1) !== 1) throw new ShapeMismatchError(`the model fixes batch size ${layout.fixedBatch} but an output has no batch axis of that size; quantforge compares outputs that hold one value per sample.`);
  return (await runBatches(layout, inputs, count, layout.fixedBatch ?? 1, run, true))!;
}

/**
 * The error for an output whose shape differs from the first batch's (`first`, with this batch's
 * size on the batch axis). A rank-0 input that sets an output's size (a resize ratio, as in
 * Robust Video Matting's `downsample_ratio`) is the usual cause, so such inputs are named.
 */
function changedShape(layout: ModelInputLayout, o: BatchOutput, first: readonly number[] | undefined): ShapeMismatchError {
  const scalars = layout.inputs.filter((s) => s.scalar).map((s) => `"${s.name}"`);
  const cause = scalars.length > 0 ? ` A rank-0 input may set its size (${scalars.join(", ")}): pass --data or a --input-range narrow enough to fix it.` : "";
  const was = first ? `[${first.join(", ")}] in the first batch, then ` : "";
  return new ShapeMismatchError(`model output "${o.name}" changed shape between batches (${was}[${o.shape.join(", ")}]); quantforge compares outputs of a fixed per-sample shape.${cause}`);
}

/** Whether some rank-0 input takes different values in different samples. */
function scalarsDiffer(layout: ModelInputLayout, inputs: Float32Array, count: number): boolean {
  let off = 0;
  for (const s of layout.inputs) {
    if (s.scalar) for (let k = 1; k < count; k++) if (!Object.is(inputs[k * layout.sampleSize + off], inputs[off])) return true;
    off += s.size;
  }
  return false;
}

/**
 * The batch axis of output `o` of a run on `fed` samples: the declared one when the shape agrees,
 * else axis 0 when it has the batch's size, else (fed > 1, so the size identifies it) the first
 * axis of that size; null when none has.
 */
function outputAxis(o: BatchOutput, fed: number, declared: number | undefined): number | null {
  if (declared !== undefined && o.shape[declared] === fed) return declared;
  if (o.shape.length > 0 && o.shape[0] === fed) return 0;
  if (fed > 1) {
    const k = o.shape.indexOf(fed);
    if (k >= 0) return k;
  }
  return null;
}

/** One pass over the samples in batches of `b`; null when an output has no batch axis (and `whole` is off). */
async function runBatches(layout: ModelInputLayout, inputs: Float32Array, count: number, b: number, run: (feeds: ModelInputFeed[]) => Promise<readonly BatchOutput[]>, whole: boolean): Promise<ForwardOutput[] | null> {
  const S = layout.sampleSize;
  let result: { name: string; shape: readonly number[]; axis: number; per: number; data: Float32Array }[] | undefined;
  for (let start = 0; start < Math.max(count, 1); start += b) {
    const n = Math.min(b, count - start);
    const fed = layout.fixedBatch ?? (whole ? 1 : Math.max(n, 1));
    let flat = inputs.subarray(start * S, (start + Math.max(n, 0)) * S);
    if (fed * S !== flat.length) {
      const padded = new Float32Array(fed * S);
      padded.set(flat);
      flat = padded;
    }
    const outs = await run(splitSamples(layout, flat, fed));
    if (!result) {
      const axes = outs.map((o) => (whole ? 0 : outputAxis(o, fed, layout.outputBatchAxes?.get(o.name))));
      if (axes.some((a) => a === null)) return null;
      result = outs.map((o, i) => {
        const per = whole ? o.data.length : o.data.length / fed;
        const axis = axes[i]!;
        return { name: o.name, shape: whole ? o.shape : o.shape.filter((_, k) => k !== axis), axis, per, data: new Float32Array(count * per) };
      });
    }
    outs.forEach((o, i) => {
      const r = result![i];
      const ok = r && (whole ? o.data.length === r.per && o.shape.every((d, k) => d === r.shape[k]) : o.shape[r.axis] === fed && o.data.length === fed * r.per);
      if (!ok) throw changedShape(layout, o, r && (whole ? r.shape : [...r.shape.slice(0, r.axis), fed, ...r.shape.slice(r.axis)]));
      const data = whole ? o.data : fromBatchAxis(o.data, fed, r.shape, r.axis);
      if (n > 0) r.data.set(data.subarray(0, (whole ? 1 : n) * r.per), start * r.per);
    });
  }
  return result!.map((r) => ({ name: r.name, shape: r.shape, data: r.data }));
}
