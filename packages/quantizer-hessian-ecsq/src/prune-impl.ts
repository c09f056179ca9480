import { InvalidOptionsError, type WeightSet } from "@quantforge/core";
import { argsortFloat32 } from "./sorted-impl.js";

/** Options of {@link magnitudePrune}. */
export interface PruneOptions {
  /** Fraction of weights kept, in (0, 1]. */
  readonly density: number;
  /**
   * `joint`: one magnitude threshold across all tensors (the layers compete, as with the joint
   * codebook); `layer`: every tensor keeps the same fraction.
   * @default "joint"
   */
  readonly scope?: "joint" | "layer";
}

/**
 * Magnitude pruning to a target density (Han et al.'s pruning, the first stage of the paper's
 * Table 1 pipeline): keeps the round(density·N) weights of largest |w| — over all tensors
 * jointly or per tensor — and returns their flat indices per tensor, strictly increasing.
 * Ties in |w| keep the earlier weight (tensor order, then index), so the result is deterministic.
 *
 * @param weights - tensors to prune (usually the kernels; biases are left out by the caller).
 * @returns survivor positions per tensor name.
 * @throws {InvalidOptionsError} if the density is outside (0, 1].
 */
export function magnitudePrune(weights: WeightSet, opts: PruneOptions): Map<string, Uint32Array> {
  const { density } = opts;
  if (!(density > 0 && density <= 1)) throw new InvalidOptionsError("magnitude-prune", "density", `must be in (0, 1], got ${density}`);
  const out = new Map<string, Uint32Array>();
  const groups = (opts.scope ?? "joint") === "joint" ? [weights] : weights.map((t) => [t]);
  for (const group of groups) {
    let total = 0;
    for (const t of group) total += t.data.length;
    const mags = new Float32Array(total);
    let o = 0;
    for (const t of group) for (let i = 0; i < t.data.length; i++) mags[o++] = Math.abs(t.data[i]!);
    const keep = Math.min(total, Math.round(density * total));
    // Negated magnitudes sort largest first; the radix sort is stable, so ties keep index order.
    for (let i = 0; i < total; i++) mags[i] = -mags[i]!;
    const order = argsortFloat32(mags);
    const mask = new Uint8Array(total);
    for (let i = 0; i < keep; i++) mask[order[i]!] = 1;
    o = 0;
    for (const t of group) {
      let c = 0;
      for (let i = 0; i < t.data.length; i++) c += mask[o + i]!;
      const pos = new Uint32Array(c);
      c = 0;
      for (let i = 0; i < t.data.length; i++) if (mask[o + i]) pos[c++] = i;
      out.set(t.name, pos);
      o += t.data.length;
    }
  }
  return out;
}
