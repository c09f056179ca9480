import { ShapeMismatchError, type ForwardOutput } from "@quantforge/core";
import { splitSamples, type ModelInputFeed, type ModelInputLayout } from "./model-inputs.js";

/** One batch-first output of a model run on one batch. */
export interface BatchOutput {
  readonly name: string;
  /** Batch first. */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Runs `count` flat samples through `run` in batches of at most `maxBatch` samples (exactly
 * `layout.fixedBatch` when the model fixes its batch size; the last batch is then padded with
 * zero samples whose outputs are dropped) and concatenates every output over the batches.
 * `count = 0` runs one zero sample to learn the outputs and returns them empty.
 *
 * A model whose outputs are not batch-first for the batch fed (a recurrent state `[2, N, 64]`, an
 * output of fixed shape, or a model with a rank-0 input that every sample must see on its own)
 * is run one sample at a time instead; each output's whole value is then that sample's output.
 *
 * @throws {ShapeMismatchError} when an output changes shape between batches.
 */
export async function runInBatches(
  layout: ModelInputLayout, inputs: Float32Array, count: number, maxBatch: number,
  run: (feeds: ModelInputFeed[]) => Promise<readonly BatchOutput[]>,
): Promise<ForwardOutput[]> {
  const S = layout.sampleSize;
  if (inputs.length !== count * S) splitSamples(layout, inputs, count); // throws the size error
  // A rank-0 input holds one value per run, so samples that differ in it cannot share a batch.
  const perSample = layout.inputs.some((s) => s.scalar) && (layout.fixedBatch ?? 1) === 1;
  const first = perSample ? 1 : layout.fixedBatch ?? Math.max(1, Math.floor(maxBatch));
  const batched = await runBatches(layout, inputs, count, first, run, false);
  if (batched) return batched;
  if ((layout.fixedBatch ?? 1) !== 1) throw new ShapeMismatchError(`the model fixes batch size ${layout.fixedBatch} but its outputs are not batch-first; quantforge compares batch-first outputs only.`);
  return (await runBatches(layout, inputs, count, layout.fixedBatch ?? 1, run, true))!;
}

/** One pass over the samples in batches of `b`; null when an output is not batch-first (and `whole` is off). */
async function runBatches(
  layout: ModelInputLayout, inputs: Float32Array, count: number, b: number,
  run: (feeds: ModelInputFeed[]) => Promise<readonly BatchOutput[]>, whole: boolean,
): Promise<ForwardOutput[] | null> {
  const S = layout.sampleSize;
  let result: { name: string; shape: readonly number[]; per: number; data: Float32Array }[] | undefined;
  for (let start = 0; start < Math.max(count, 1); start += b) {
    const n = Math.min(b, count - start);
    const fed = layout.fixedBatch ?? (whole ? 1 : Math.max(n, 1));
    let flat = inputs.subarray(start * S, (start + Math.max(n, 0)) * S);
    if (fed * S !== flat.length) { const padded = new Float32Array(fed * S); padded.set(flat); flat = padded; }
    const outs = await run(splitSamples(layout, flat, fed));
    if (!result) {
      if (!whole && outs.some((o) => o.shape.length === 0 || o.shape[0] !== fed)) return null;
      result = outs.map((o) => {
        const per = whole ? o.data.length : o.data.length / fed;
        return { name: o.name, shape: whole ? o.shape : o.shape.slice(1), per, data: new Float32Array(count * per) };
      });
    }
    outs.forEach((o, i) => {
      const r = result![i];
      const ok = r && (whole ? o.data.length === r.per && o.shape.every((d, k) => d === r.shape[k]) : o.shape[0] === fed && o.data.length === fed * r.per);
      if (!ok) throw new ShapeMismatchError(`model output "${o.name}" changed shape between batches ([${o.shape.join(", ")}]); quantforge compares outputs of a fixed per-sample shape.`);
      if (n > 0) r!.data.set(o.data.subarray(0, (whole ? 1 : n) * r!.per), start * r!.per);
    });
  }
  return result!.map((r) => ({ name: r.name, shape: r.shape, data: r.data }));
}
