/** Assembles a mixed quantized model from one candidate per tensor (split from `auto-quantizer.ts`). */

import { dequantizeModel, throwIfAborted, type Codebook, type Coder, type QuantizedModel, type QuantizedTensor, type RunContext, type WeightSet, type WeightTensor } from "@quantforge/core";
import { codedBits, type Candidate } from "./candidates.js";
import { yieldToEventLoop } from "./measure.js";

/** Renames a single-tensor result's codebooks so they are unique in the mixed model. */
function renamed(qm: QuantizedModel, t: WeightTensor): { codebooks: Codebook[]; tensors: QuantizedTensor[]; passthrough: WeightTensor[] } {
  const ids = new Map(qm.codebooks.map((c) => [c.id, qm.codebooks.length === 1 ? t.name : `${t.name}#${c.id}`]));
  return {
    codebooks: qm.codebooks.map((c) => ({ ...c, id: ids.get(c.id)! })),
    tensors: qm.tensors.map((q) => ({ ...q, codebook: ids.get(q.codebook)! })),
    passthrough: [...(qm.passthrough ?? [])],
  };
}

/** A mixed quantized model assembled from one candidate per tensor. */
export interface Assembled {
  readonly choice: ArrayLike<number>;
  readonly codebooks: Codebook[];
  readonly tensors: QuantizedTensor[];
  readonly passthrough: WeightTensor[];
  readonly decoded: Map<string, Float32Array>;
  readonly rate: number;
}

/** Quantizations done while assembling, by tensor index and candidate: options share most tensors' choices. */
export type QuantizedMemo = Map<string, QuantizedModel>;

/** Quantizes every tensor with its chosen candidate (memoised in `memo`) and gathers the renamed codebooks, the decoded weights and the coded rate. */
export async function assemble(weights: WeightSet, all: readonly Candidate[], choice: ArrayLike<number>, ctx: RunContext, memo: QuantizedMemo, coder?: Coder): Promise<Assembled> {
  const codebooks: Codebook[] = [],
    tensors: QuantizedTensor[] = [],
    passthrough: WeightTensor[] = [];
  const decoded = new Map<string, Float32Array>();
  let rate = 0;
  for (let i = 0; i < weights.length; i++) {
    const t = weights[i]!;
    const key = `${i}:${choice[i]!}`;
    let qm = memo.get(key);
    if (!qm) {
      await yieldToEventLoop();
      throwIfAborted(ctx);
      qm = await all[choice[i]!]!.instance.quantize([t], ctx);
      memo.set(key, qm);
    }
    rate += codedBits(qm, coder);
    const r = renamed(qm, t);
    // Loops, not push(...): argument spreads overflow the call stack on very many tensors.
    for (const c of r.codebooks) codebooks.push(c);
    for (const x of r.tensors) tensors.push(x);
    for (const p of r.passthrough) passthrough.push(p);
    decoded.set(t.name, dequantizeModel(qm, [t])[0]!.data);
  }
  return { choice, codebooks, tensors, passthrough, decoded, rate };
}
