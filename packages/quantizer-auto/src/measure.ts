import { dequantizeModel, throwIfAborted, type Coder, type Diagnostic, type RunContext, type WeightSet, type WeightTensor } from "@quantforge/core";
import type { FidelityMeter, FidelityResult } from "@quantforge/core/host";
import { lowerHull, type RdPoint } from "./allocate-impl.js";
import { codedBits, type Candidate } from "./candidates.js";

/** Σ over outputs of the squared relative error (additive over independently quantized tensors); Infinity if undefined. */
export function outputDistortion(r: FidelityResult): number {
  let d = 0;
  for (const o of r.outputs) {
    if (o.relError.value === null) return Infinity;
    d += o.relError.value ** 2;
  }
  return d;
}

/** The model's weights with some tensors' values replaced. */
export function replace(all: WeightSet, repl: ReadonlyMap<string, Float32Array>): WeightSet {
  return all.map((t) => (repl.has(t.name) ? { ...t, data: repl.get(t.name)! } : t));
}

/**
 * Lets the event loop run (signal handlers, progress output, timers): quantizers and tfjs-wasm
 * forward passes are synchronous under their promises, so without this a long `auto` cell on the
 * main thread would never see Ctrl-C. Results do not depend on it.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((r) => (g.setImmediate ? g.setImmediate(r) : setTimeout(r, 0)));
}

/**
 * Which of a tensor's candidates get a forward pass: all when `k` ≥ the usable ones; else `k`
 * spread evenly along the lower convex hull of (rate, weight error) — the points an allocation
 * can end on — cheapest and dearest included, then the remaining usable ones by rate.
 */
export function pickMeasured(rate: readonly number[], sse: readonly number[], k: number): Set<number> {
  const usable = rate.map((_, i) => i).filter((i) => Number.isFinite(rate[i]!) && Number.isFinite(sse[i]!));
  if (k >= usable.length) return new Set(usable);
  const hull = lowerHull(usable.map((i) => ({ rate: rate[i]!, dist: sse[i]! }))).map((j) => usable[j]!);
  const out = new Set<number>();
  if (k === 1) out.add(hull[(hull.length - 1) >> 1]!);
  else for (let j = 0; j < k && j < hull.length; j++) out.add(hull[Math.round((j * (hull.length - 1)) / (k - 1))]!);
  for (const i of [...usable].sort((a, b) => rate[a]! - rate[b]! || a - b)) {
    if (out.size >= k) break;
    out.add(i);
  }
  return out;
}

/**
 * Distortion of the candidates not measured: the measured candidate nearest in log weight error
 * gives the tensor's output sensitivity α = output error² / weight error², and the others get
 * α × their weight error² (output error² is ≈ linear in small weight noise). Without any finite
 * measured ratio the weight error itself ranks them.
 */
export function predictDistortion(sse: readonly number[], dist: readonly number[], measured: ReadonlySet<number>): number[] {
  const refs = [...measured].filter((i) => Number.isFinite(dist[i]!) && sse[i]! > 0).sort((a, b) => a - b);
  return sse.map((e, i) => {
    if (measured.has(i)) return dist[i]!;
    if (!Number.isFinite(e)) return Infinity;
    if (e === 0) return 0;
    if (refs.length === 0) return e;
    let best = refs[0]!,
      gap = Infinity;
    for (const r of refs) {
      const g = Math.abs(Math.log(sse[r]! / e));
      if (g < gap) {
        gap = g;
        best = r;
      }
    }
    return (dist[best]! / sse[best]!) * e;
  });
}

/** One tensor's points and which of them were measured end to end with only it quantized. */
export interface TensorPoints {
  readonly points: RdPoint[];
  readonly measured: number;
}

/**
 * Screens every candidate on tensor `t` (quantize, rate, weight error — no forward pass), runs a
 * forward pass for `k` of them and predicts the rest. `tick` is called after every unit of work
 * (progress); the run's signal is checked between candidates, with the event loop let in.
 */
export async function measureTensor(
  t: WeightTensor,
  model: { readonly weights: WeightSet },
  all: readonly Candidate[],
  k: number,
  meter: FidelityMeter,
  ctx: RunContext,
  quiet: RunContext,
  failedNote: (c: Candidate, e: Error) => Diagnostic | undefined,
  tick: () => void,
  coder?: Coder,
): Promise<TensorPoints> {
  const rate: number[] = [],
    sse: number[] = [];
  const decoded: (Float32Array | undefined)[] = [];
  for (const c of all) {
    await yieldToEventLoop();
    throwIfAborted(ctx);
    try {
      const qm = await c.instance.quantize([t], quiet);
      const dec = dequantizeModel(qm, [t])[0]!.data;
      let e = 0;
      for (let i = 0; i < dec.length; i++) e += (dec[i]! - t.data[i]!) ** 2;
      rate.push(codedBits(qm, coder));
      sse.push(Number.isFinite(e) ? e : Infinity);
      decoded.push(dec);
    } catch (e) {
      if ((e as Error).name === "AbortedError") throw e;
      const d = failedNote(c, e as Error);
      if (d) ctx.diagnostics.report(d);
      rate.push(Infinity);
      sse.push(Infinity);
      decoded.push(undefined);
    }
    tick();
  }
  const chosen = pickMeasured(rate, sse, k);
  const dist: number[] = all.map(() => Infinity);
  for (const i of [...chosen].sort((a, b) => a - b)) {
    await yieldToEventLoop();
    throwIfAborted(ctx);
    const r = await meter.measure(replace(model.weights, new Map([[t.name, decoded[i]!]])));
    dist[i] = outputDistortion(r);
    tick();
  }
  const pred = predictDistortion(sse, dist, chosen);
  return { points: rate.map((r, i) => ({ rate: r, dist: Number.isFinite(r) ? pred[i]! : Infinity })), measured: chosen.size };
}
