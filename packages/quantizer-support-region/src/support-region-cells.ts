import { resolveChannelAxis, type ChannelAxis, type GridCodebook, type WeightSet, type WeightTensor } from "@quantforge/core";
import { centerScale, gridEncode, storableXMax } from "./support-region-impl.js";
import { resolveSupport, type SupportOrigin } from "./support-resolve.js";
import type { parseSupportSpec } from "./support-spec.js";

/** One codebook cell of {@link quantizeCell}: the tensors sharing a grid codebook, and how its support was obtained. */
export interface Cell {
  readonly id: string;
  readonly tensors: WeightSet;
  readonly codebook: GridCodebook;
  readonly origin: SupportOrigin;
  readonly degenerate: boolean;
  readonly clamped: boolean;
}
/** Grid codebook of one cell (a tensor in `layer` scope, every tensor in `joint` scope) from the μ, σ of its weights and the resolved support. */
export function quantizeCell(id: string, tensors: WeightSet, bits: number, support: ReturnType<typeof parseSupportSpec>, midtread = false): Cell {
  const levels = midtread ? 2 ** bits - 1 : 2 ** bits;
  const parts = tensors.map((t) => t.data);
  const st = centerScale(parts, { zeroMean: midtread });
  const sigma = Math.fround(st.sigma);
  const degenerate = sigma === 0;
  // σ = 0: every weight decodes to μ whatever x_max is, so data choices (0/0) are not taken;
  // the design support is stored so the codebook stays a valid, finite design.
  const r = degenerate ? resolveSupport({ kind: "optimal" }, bits, null, { midtread }) : resolveSupport(support, bits, { parts, mu: st.mu, sigma, maxDev: st.maxDev }, { midtread });
  const s = storableXMax(r.xMaxSigma, levels, st.mu, sigma, midtread);
  const codebook: GridCodebook = {
    kind: "grid",
    id,
    levels,
    xMax: s.xMax,
    midtread,
    sigma: Float32Array.of(sigma),
    mu: Float32Array.of(st.mu),
    sigmaSource: midtread ? "rms" : "std",
  };
  return { id, tensors, codebook, origin: r.origin, degenerate, clamped: s.clamped && !degenerate };
}

/** What {@link quantizeChannels} chose for one tensor: per-channel codebook, codes and overload statistics. */
export interface ChannelResult {
  readonly codebook: GridCodebook;
  readonly codes: Uint32Array;
  readonly axis: number;
  readonly origin: SupportOrigin;
  readonly degenerate: boolean;
  readonly clamped: boolean;
  readonly overload: number;
  readonly maxAbsOverSigma: number | null;
  readonly zeroChannels: number;
}

/**
 * One tensor per channel: μ_c, σ_c per index of the axis (μ_c = 0, σ_c = RMS with midtread), one
 * x_max in units of σ for the tensor, chosen on the normalised weights (w − μ_c)/σ_c of every
 * non-constant channel pooled (data choices `max`, `percentile`, `mse` see all of them), and
 * lowered if needed so every channel's outer level stays a finite float32.
 */
export function quantizeChannels(t: WeightTensor, bits: number, support: ReturnType<typeof parseSupportSpec>, midtread: boolean, axisOpt: ChannelAxis): ChannelResult {
  const rank = t.shape.length;
  const axis = resolveChannelAxis(t, axisOpt, "support-region");
  const C = t.shape[axis]!;
  let inner = 1;
  for (let a = axis + 1; a < rank; a++) inner *= t.shape[a]!;
  const outer = C * inner === 0 ? 0 : t.data.length / (C * inner);
  const levels = midtread ? 2 ** bits - 1 : 2 ** bits;
  // Gather each channel contiguously (row-major index = (o·C + c)·inner + k).
  const chans = Array.from({ length: C }, () => new Float32Array(outer * inner));
  for (let o = 0, i = 0; o < outer; o++) for (let c = 0; c < C; c++) for (let k = 0; k < inner; k++) chans[c]![o * inner + k] = t.data[i++]!;
  const mu = new Float32Array(C),
    sigma = new Float32Array(C);
  const normalized: Float32Array[] = [];
  let maxDev = 0,
    zeroChannels = 0;
  for (let c = 0; c < C; c++) {
    const st = centerScale([chans[c]!], { zeroMean: midtread });
    mu[c] = st.mu;
    sigma[c] = Math.fround(st.sigma);
    if (sigma[c] === 0) {
      zeroChannels++;
      continue;
    }
    const z = new Float32Array(chans[c]!.length);
    for (let j = 0; j < z.length; j++) z[j] = (chans[c]![j]! - mu[c]!) / sigma[c]!;
    normalized.push(z);
    maxDev = Math.max(maxDev, st.maxDev / sigma[c]!);
  }
  const degenerate = normalized.length === 0;
  const r = degenerate ? resolveSupport({ kind: "optimal" }, bits, null, { midtread }) : resolveSupport(support, bits, { parts: normalized, mu: 0, sigma: 1, maxDev }, { midtread });
  let xMax = Infinity,
    clamped = false;
  for (let c = 0; c < C; c++) {
    const sx = storableXMax(r.xMaxSigma, levels, mu[c]!, sigma[c]!, midtread);
    xMax = Math.min(xMax, sx.xMax);
    clamped ||= sx.clamped;
  }
  if (C === 0) xMax = storableXMax(r.xMaxSigma, levels, 0, 0, midtread).xMax;
  const codes = new Uint32Array(t.data.length);
  const chCodes = new Uint32Array(outer * inner);
  let overload = 0;
  for (let c = 0; c < C; c++) {
    overload += gridEncode(chans[c]!, levels, xMax, mu[c]!, sigma[c]!, chCodes, midtread).overload;
    for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) codes[(o * C + c) * inner + k] = chCodes[o * inner + k]!;
  }
  const codebook: GridCodebook = { kind: "grid", id: t.name, levels, xMax, midtread, sigma, mu, sigmaSource: midtread ? "rms" : "std" };
  return { codebook, codes, axis, origin: r.origin, degenerate, clamped: clamped && !degenerate, overload, maxAbsOverSigma: degenerate ? null : maxDev, zeroChannels };
}
