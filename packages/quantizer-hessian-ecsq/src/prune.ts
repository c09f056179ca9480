import type { WeightSet } from "@quantforge/core";
import { magnitudePrune } from "./prune-impl.js";

/** Options of {@link pruneNetwork}. */
export interface PruneNetworkOptions {
  /** Fraction of the prunable weights kept, in (0, 1]. */
  readonly density: number;
  /** One magnitude threshold over all layers, or the same fraction per layer. @default "joint" */
  readonly scope?: "joint" | "layer";
  /** Stages: densities density^(s/S), s = 1…S, each followed by `fineTune` (iterative pruning). @default 1 */
  readonly steps?: number;
  /** Which tensors may be pruned (default: every tensor whose role is not `bias`). */
  readonly prunable?: (t: WeightSet[number]) => boolean;
  /** Masked fine-tuning after each stage; must keep pruned weights at 0 (they are re-zeroed anyway). */
  readonly fineTune?: (weights: WeightSet, survivors: ReadonlyMap<string, Uint32Array>, stage: number) => Promise<WeightSet>;
}

/**
 * Magnitude pruning of a network to a target density as a pipeline stage before quantization,
 * optionally iterative with masked fine-tuning after every stage (Han et al.; the protocol of
 * Choi et al.'s Table 1). Survivors of a stage are the largest weights of the previous stage, so
 * the masks nest; pruned weights come out exactly +0.
 *
 * @returns every tensor (pruned ones zeroed outside their survivors) and the final survivors.
 */
export async function pruneNetwork(weights: WeightSet, o: PruneNetworkOptions): Promise<{ weights: WeightSet; survivors: Map<string, Uint32Array> }> {
  const isPrunable = o.prunable ?? ((t) => t.role !== "bias");
  const steps = Math.max(1, Math.floor(o.steps ?? 1));
  const applyMask = (ws: WeightSet, surv: ReadonlyMap<string, Uint32Array>): WeightSet =>
    ws.map((t) => {
      const pos = surv.get(t.name);
      if (!pos) return t;
      const data = new Float32Array(t.data.length);
      for (const p of pos) data[p] = t.data[p]!;
      return { ...t, data };
    });
  let current = weights;
  let survivors = new Map<string, Uint32Array>();
  for (let s = 1; s <= steps; s++) {
    survivors = magnitudePrune(current.filter(isPrunable), { density: o.density ** (s / steps), scope: o.scope ?? "joint" });
    current = applyMask(current, survivors);
    if (o.fineTune) current = applyMask(await o.fineTune(current, survivors, s), survivors);
  }
  return { weights: current, survivors };
}
