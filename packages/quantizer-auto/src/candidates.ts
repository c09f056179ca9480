import { ByteWriter, codebookSize, InvalidOptionsError, writeCodebook, type Coder, type QuantizedModel, type Quantizer, type QuantizerPlugin } from "@quantforge/core";
import type { AutoOptions } from "./options.js";

/**
 * A candidate: a quantizer id, its options (without `bits`, which is swept, unless fixed there)
 * and optionally the widths to sweep it at.
 */
export interface CandidateSpec {
  readonly quantizer: string;
  readonly options?: Record<string, unknown>;
  /** Widths this candidate is tried at (unless `options.bits` fixes one). @default the auto option `candidateBits` */
  readonly bits?: readonly number[];
}

/** Default bit widths of a candidate that does not list its own. */
export const DEFAULT_CANDIDATE_BITS: readonly number[] = Object.freeze([2, 3, 4, 5, 6, 7, 8]);

/**
 * Widths of the cheap per-tensor/per-channel rtn candidates: beyond 8 bits, so a sensitive tensor
 * can buy more than 8 bits with what cheaper choices elsewhere save (per-channel 8-bit costs
 * > 8 bits/weight with its scales, so an 8-bit budget cannot afford it everywhere).
 */
export const WIDE_CANDIDATE_BITS: readonly number[] = Object.freeze([2, 3, 4, 5, 6, 7, 8, 10, 12]);

/**
 * Default candidates. rtn (zero exact): per output channel (axis `"output"`), per **input**
 * channel (axis `"input"`), per group of 32 and of 128 elements, per tensor (tfjs-converter's
 * grid) — each at {@link WIDE_CANDIDATE_BITS} except group32 (2–8 and 10: its scales already cost
 * 2 bits/weight); uniform-mse per output channel midtread (exact zero) and per tensor (the
 * papers' midrise), and exact 1-D k-means per tensor (`hessian-ecsq`, mode `kmeans`, no
 * importance, one `levels` codebook per tensor, every level a float32 in the rate) — at 2–8 bits.
 * Ids the host did not register are skipped (k-means needs `hessian-ecsq`).
 *
 * Axes: `"output"`/`"input"` resolve through the tensor's recorded layout (core
 * `resolveChannelAxis`); without one they are the last and second-to-last axis, the output and
 * input channels of tfjs kernels `[kh, kw, cin, cout]` and `[in, out]`. rtn groups are runs of
 * consecutive row-major elements, i.e. in a tfjs kernel along the output channels inside one
 * input row (a group spans several rows when `cout` < groupSize). Per output channel isolates
 * outliers that sit in a few output channels; per input channel isolates outliers that sit in a
 * few input rows even when every output channel holds one; per group sits between them; k-means
 * spends a few levels on a handful of outliers wherever they sit and keeps the rest for the ≈ 0
 * bulk.
 */
export const DEFAULT_CANDIDATES: readonly CandidateSpec[] = Object.freeze([
  { quantizer: "rtn", options: { granularity: "channel", axis: "output", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "rtn", options: { granularity: "channel", axis: "input", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "rtn", options: { granularity: "group", groupSize: 32, zero: "exact" }, bits: [...DEFAULT_CANDIDATE_BITS, 10] },
  { quantizer: "rtn", options: { granularity: "group", groupSize: 128, zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "rtn", options: { granularity: "tensor", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "uniform-mse", options: { granularity: "channel", axis: "output", midtread: true } },
  { quantizer: "uniform-mse", options: { granularity: "tensor" } },
  { quantizer: "hessian-ecsq", options: { mode: "kmeans", importance: "none", scope: "layer" } },
]);

/**
 * The field's methods as `auto` candidates (pass them, with or beside {@link DEFAULT_CANDIDATES},
 * in the `candidates` option): GPTQ per output channel at 2–4 bits (only on models with layer
 * inputs; auto drops candidates whose `needs` the model lacks), data-free HQQ and NF4 in groups
 * of 64. They are not in the default list: within the default time budget every extra candidate
 * leaves fewer measured by a forward pass (the rest are predicted from weight error), and adding
 * these three doubled auto's worst-output error on human's emotion.json at 4 bits/weight
 * (0.0402 → 0.0802, same budget, same seed).
 */
export const FIELD_CANDIDATES: readonly CandidateSpec[] = Object.freeze([
  { quantizer: "gptq", options: { granularity: "channel", axis: "output", zero: "exact" }, bits: [2, 3, 4] },
  { quantizer: "hqq", options: { groupSize: 64 }, bits: [2, 3, 4] },
  { quantizer: "nf4", options: { groupSize: 64 }, bits: [4] },
]);

/** One usable candidate: label, instance, and which spec (method + options) it sweeps the width of. */
export interface Candidate {
  readonly label: string;
  readonly instance: Quantizer;
  readonly spec: number;
  readonly bits: number;
  /** The quantizer id and its parsed options (the cost model reads the method). */
  readonly quantizer: string;
  readonly options: Record<string, unknown>;
}

/**
 * Bits a quantized tensor costs: its codes — the real stream of `coder` when given, else
 * fixed-length codes (+ positions when sparse) — plus its serialized codebook(s).
 */
export function codedBits(qm: QuantizedModel, coder?: Coder): number {
  let bits = 0;
  const cbs = new Map(qm.codebooks.map((c) => [c.id, c]));
  for (const t of qm.tensors) {
    if (coder) { bits += 8 * coder.encode(t, cbs.get(t.codebook)!).length; continue; }
    const size = codebookSize(cbs.get(t.codebook)!);
    bits += t.codes.length * Math.max(1, Math.ceil(Math.log2(Math.max(size, 2))));
    if (t.sparse) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      bits += t.sparse.positions.length * Math.max(1, Math.ceil(Math.log2(Math.max(n, 2))));
    }
  }
  for (const cb of qm.codebooks) {
    const w = new ByteWriter(64);
    writeCodebook(w, cb);
    bits += 8 * w.length;
  }
  for (const p of qm.passthrough ?? []) bits += 32 * p.data.length;
  return bits;
}

function label(id: string, options: Record<string, unknown>): string {
  const kv = Object.entries(options).filter(([k]) => k !== "bits").map(([k, v]) => `${k}=${String(v)}`);
  return `${id}${kv.length ? `:${kv.join(",")}` : ""}@${String(options.bits ?? "?")}b`;
}

export function buildCandidates(o: AutoOptions, plugins: readonly QuantizerPlugin[]): Candidate[] {
  const byId = new Map(plugins.filter((p) => p.kind === "quantizer" && p.id !== "auto").map((p) => [p.id, p]));
  const explicit = o.candidates !== undefined;
  const specs = o.candidates ?? DEFAULT_CANDIDATES;
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const [si, s] of specs.entries()) {
    const p = byId.get(s.quantizer);
    if (!p) {
      if (explicit) throw new InvalidOptionsError("auto", "candidates", `names quantizer "${s.quantizer}", which is not available (known: ${[...byId.keys()].sort().join(", ") || "none"})`);
      continue;
    }
    const widths = s.options && "bits" in s.options ? [s.options.bits]
      : explicit ? (s.bits ?? o.candidateBits ?? DEFAULT_CANDIDATE_BITS) : (o.candidateBits ?? s.bits ?? DEFAULT_CANDIDATE_BITS);
    for (const b of widths) {
      const raw = { ...(s.options ?? {}), bits: b };
      let parsed;
      try {
        parsed = p.parseOptions(raw);
      } catch (e) {
        // A swept width the method does not support (support-region: 2–4 bits; midtread: ≥ 2) is
        // skipped; an explicit candidate whose other options are wrong is an error.
        if (!explicit) continue;
        const fixedBits = s.options !== undefined && "bits" in s.options;
        let othersValid = false;
        try {
          p.parseOptions(s.options ?? {});
          othersValid = true;
        } catch { /* the options are wrong whatever the width */ }
        if (!fixedBits && othersValid) continue;
        throw e;
      }
      const l = label(p.id, raw);
      if (seen.has(l)) continue;
      seen.add(l);
      out.push({ label: l, instance: p.create(parsed), spec: si, bits: Number(raw.bits), quantizer: p.id, options: raw });
    }
  }
  if (out.length > o.maxCandidates) throw new InvalidOptionsError("auto", "maxCandidates", `is ${o.maxCandidates} but ${out.length} candidates were given; raise it or give fewer candidates/candidateBits`);
  if (out.length === 0) throw new InvalidOptionsError("auto", "candidates", "leave no usable candidate; register rtn or uniform-mse or list candidates explicitly");
  return out;
}

