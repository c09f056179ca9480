import { codebookSize, DEFAULT_AUTO_ORDER, InvalidOptionsError, type AutoCandidateSpec, type AutoEligibility, type Coder, type PluginHost, type QuantizedModel, type Quantizer, type QuantizerPlugin } from "@quantforge/core";
import { ByteWriter, writeCodebook } from "@quantforge/core/format";
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

/** The quantizers that declare themselves eligible, in auto's order: `auto.order` (default 100), then id. */
function eligible(plugins: readonly QuantizerPlugin[]): QuantizerPlugin[] {
  return plugins.filter((p) => p.kind === "quantizer" && p.id !== "auto" && p.auto !== undefined).sort((a, b) => (a.auto!.order ?? DEFAULT_AUTO_ORDER) - (b.auto!.order ?? DEFAULT_AUTO_ORDER) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function specsOf(plugins: readonly QuantizerPlugin[], pick: (a: AutoEligibility) => readonly AutoCandidateSpec[] | undefined): CandidateSpec[] {
  return eligible(plugins).flatMap((p) => (pick(p.auto!) ?? []).map((c): CandidateSpec => ({ quantizer: p.id, options: { ...c.options }, ...(c.bits ? { bits: c.bits } : {}) })));
}

/**
 * auto's default candidates among `plugins`: every option set the quantizers declare in
 * `auto.candidates` (core's `AutoEligibility`), in their declared order. auto hard-codes no
 * quantizer: with the built-in ones registered these are rtn (5 option sets up to 12 bits),
 * uniform-mse (2) and hessian-ecsq's exact 1-D k-means (1) — 65 candidates — and a quantizer
 * loaded at run time (`--plugin`) that declares itself eligible joins them.
 */
export function defaultCandidates(plugins: readonly QuantizerPlugin[]): CandidateSpec[] {
  return specsOf(plugins, (a) => a.candidates);
}

/**
 * The opt-in candidates among `plugins` (`auto.optIn`: with the built-ins, GPTQ per output
 * channel at 2–4 bits, HQQ and NF4 in groups of 64). Pass them, with or beside
 * {@link defaultCandidates}, in the `candidates` option.
 */
export function fieldCandidates(plugins: readonly QuantizerPlugin[]): CandidateSpec[] {
  return specsOf(plugins, (a) => a.optIn);
}

/** One usable candidate: label, instance, and which spec (method + options) it sweeps the width of. */
export interface Candidate {
  readonly label: string;
  readonly instance: Quantizer;
  readonly spec: number;
  readonly bits: number;
  /** The quantizer id and its raw options (with `bits`). */
  readonly quantizer: string;
  readonly options: Record<string, unknown>;
  /** The quantizer declares these options costly (`auto.costly`): the cost model plans for it. */
  readonly costly: boolean;
}

/**
 * Bits a quantized tensor costs: its codes — the real stream of `coder` when given, else
 * fixed-length codes (+ positions when sparse) — plus its serialized codebook(s).
 */
export function codedBits(qm: QuantizedModel, coder?: Coder): number {
  let bits = 0;
  const cbs = new Map(qm.codebooks.map((c) => [c.id, c]));
  for (const t of qm.tensors) {
    if (coder) {
      bits += 8 * coder.encode(t, cbs.get(t.codebook)!).length;
      continue;
    }
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
  const kv = Object.entries(options)
    .filter(([k]) => k !== "bits")
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${id}${kv.length ? `:${kv.join(",")}` : ""}@${String(options.bits ?? "?")}b`;
}

/**
 * The candidates of one run: the `candidates` option, else {@link defaultCandidates}, each at
 * every width it sweeps, created with `host` (candidates may be hosts' plugins too).
 */
export function buildCandidates(o: AutoOptions, plugins: readonly QuantizerPlugin[], host: PluginHost): Candidate[] {
  const byId = new Map(plugins.filter((p) => p.kind === "quantizer" && p.id !== "auto").map((p) => [p.id, p]));
  const explicit = o.candidates !== undefined;
  const specs = o.candidates ?? defaultCandidates([...byId.values()]);
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const [si, s] of specs.entries()) {
    const p = byId.get(s.quantizer);
    if (!p) {
      if (explicit) throw new InvalidOptionsError("auto", "candidates", `names quantizer "${s.quantizer}", which is not available (known: ${[...byId.keys()].sort().join(", ") || "none"})`);
      continue;
    }
    const widths = s.options && "bits" in s.options ? [s.options.bits] : explicit ? (s.bits ?? o.candidateBits ?? DEFAULT_CANDIDATE_BITS) : (o.candidateBits ?? s.bits ?? DEFAULT_CANDIDATE_BITS);
    for (const b of widths) {
      const raw = { ...(s.options ?? {}), bits: b };
      let parsed: unknown;
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
        } catch {
          /* the options are wrong whatever the width */
        }
        if (!fixedBits && othersValid) continue;
        throw e;
      }
      const l = label(p.id, raw);
      if (seen.has(l)) continue;
      seen.add(l);
      out.push({ label: l, instance: p.create(parsed, host), spec: si, bits: Number(raw.bits), quantizer: p.id, options: raw, costly: p.auto?.costly?.(raw) ?? false });
    }
  }
  if (out.length > o.maxCandidates) throw new InvalidOptionsError("auto", "maxCandidates", `is ${o.maxCandidates} but ${out.length} candidates were given; raise it or give fewer candidates/candidateBits`);
  if (out.length === 0) throw new InvalidOptionsError("auto", "candidates", "leave no usable candidate; register a quantizer that declares itself eligible (its descriptor's auto.candidates, e.g. rtn) or list candidates explicitly");
  return out;
}
