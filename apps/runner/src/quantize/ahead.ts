import { assertWeightSet, type WeightTensor } from "@quantforge/core";
import type { TensorSelector } from "@quantforge/core/host";
import type { QuantizedOne } from "../threads/protocol.js";
import type { SourceEntry } from "./source.js";

/** Per-tensor work of `quantize --threads n > 1`: quantize and code one tensor on a worker. */
export interface TensorAhead {
  /** Tensors read and in flight ahead of the one being written. */
  readonly depth: number;
  /** Read safetensors tensors into shared memory (the workers read them in place). */
  readonly shared: boolean;
  /** Quantizes `t` as `quantizer.quantize([t], ctx)` would and codes `coder.encode(qt, cb)`. */
  quantize(t: WeightTensor): Promise<QuantizedOne>;
}

/** One slot of the input, read — and when selected, handed to a worker — ahead of its turn. */
export interface AheadItem {
  /** Undefined for a non-float slot (never read). */
  readonly t?: WeightTensor;
  readonly selected: boolean;
  readonly job?: Promise<QuantizedOne>;
}

/**
 * `item(i)` for i = 0, 1, … in order: slot i read, selected and (when selected) submitted, with
 * up to `depth` later slots already on their way. Reads and selections happen strictly in slot
 * order, each once, exactly as the one-thread loop does them; an error (an unreadable tensor,
 * non-finite weights, a worker's failure) surfaces when its slot's turn comes.
 */
export function readAhead(entries: readonly SourceEntry[], select: TensorSelector, ahead: TensorAhead): (i: number) => Promise<AheadItem> {
  // Handed-out slots are dropped, so a consumed tensor is not kept alive (peak memory stays at
  // about depth + 1 tensors).
  const started = new Map<number, Promise<AheadItem>>();
  let next = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const start = (i: number) => {
    const e = entries[i]!;
    const item = chain.then(async (): Promise<AheadItem> => {
      if (!e.float) return { selected: false };
      const t = await e.read();
      if (!select(t)) return { t, selected: false };
      assertWeightSet([t]);
      const job = ahead.quantize(t);
      job.catch(() => undefined);
      return { t, selected: true, job };
    });
    item.catch(() => undefined);
    // The next read waits for this one (slot order), not for its worker.
    chain = item.catch(() => undefined);
    started.set(i, item);
  };
  return (i) => {
    while (next < Math.min(entries.length, i + 1 + ahead.depth)) start(next++);
    const item = started.get(i)!;
    started.delete(i);
    return item;
  };
}
