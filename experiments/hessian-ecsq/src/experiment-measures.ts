import { MissingCapabilityError, shapeSize, type Dataset, type ModelProbe, type QuantizedModel, type WeightSet } from "@quantforge/core";
import { huffmanCodeLengths } from "@quantforge/coder-huffman";
import { argmaxRows, matchCount } from "@quantforge/metrics";

// The measurements of the Hessian-ECSQ experiment (experiment.ts): test accuracy through a
// probe, the codes' entropy and histogram, and the paper's compression ratio.

/** `v`, or a `MissingCapabilityError` naming the probe's missing capability `cap`. */
export function need<T>(v: T | undefined, probe: ModelProbe, cap: string): T {
  if (v === undefined) throw new MissingCapabilityError("hessian-ecsq experiment", `${cap} (model "${probe.id}")`);
  return v;
}

/** Top-1 accuracy (%) of `weights` on `ds` through the probe's forward pass. */
export async function accuracyOf(probe: ModelProbe, weights: WeightSet, ds: Dataset, count = ds.count): Promise<number> {
  const fwd = need(probe.forward, probe, "forward");
  const n = Math.min(count, ds.count);
  const per = shapeSize(ds.sampleShape);
  const p = await fwd.predict(weights, ds.inputs.subarray(0, n * per), n);
  const classes = p.length / Math.max(1, n);
  const correct = matchCount(argmaxRows(p, n, classes), ds.labels, n);
  return n === 0 ? 0 : (100 * correct) / n;
}

/** Zeroth-order entropy and histogram of all codes of a quantized model (one joint alphabet). */
export function codeStats(q: QuantizedModel): { entropy: number; counts: Float64Array; levels: number; coded: number } {
  let max = 0,
    coded = 0;
  for (const t of q.tensors) for (const c of t.codes) if (c > max) max = c;
  const counts = new Float64Array(max + 1);
  for (const t of q.tensors)
    for (const c of t.codes) {
      counts[c]!++;
      coded++;
    }
  let h = 0,
    levels = 0;
  for (const c of counts)
    if (c > 0) {
      levels++;
      h -= (c / coded) * Math.log2(c / coded);
    }
  return { entropy: h, counts, levels, coded };
}

/**
 * The paper's Eq. 1: N·b / (Σ_j (|C_j| + 1)·b_j + k·b) with b = 32, b_j the Huffman codeword
 * length of cluster j and k float32 levels; with fixed-length codes (Eq. 2) b_j = ⌈log2 k⌉ and
 * the "+1" code-table term is dropped. N counts every original parameter. No term for pruning
 * positions, as in the paper.
 */
export function paperRatio(nAll: number, counts: Float64Array, huffman: boolean): number {
  const used: number[] = [];
  for (const c of counts) if (c > 0) used.push(c);
  const k = used.length;
  let bits = 32 * k;
  if (huffman) {
    const lens = huffmanCodeLengths(used, 20);
    used.forEach((c, j) => (bits += (c + 1) * Math.max(1, lens[j]!)));
  } else {
    const b = Math.max(1, Math.ceil(Math.log2(Math.max(2, k))));
    for (const c of used) bits += c * b;
  }
  return (nAll * 32) / bits;
}
