import { printable, dequantizeModel, requireCapabilities, throwIfAborted, type DiagnosticsSink, type ModelProbe, type ProgressReporter, type Quantizer, type WeightSet } from "@quantforge/core";
import {
  assertSomethingToQuantize,
  createRunContext,
  defaultSelector,
  tallySelection,
  DEFAULT_FIDELITY_SETTINGS,
  FidelityMeter,
  modelForwardShape,
  type FidelityInputSource,
  type FidelityResult,
  type FidelitySettings,
  type TensorSelector,
} from "@quantforge/core/host";
import { tensorSqnrDb, type MaybeValue } from "./fidelity-impl.js";
import { planSensitivitySamples, type SensitivityPlan } from "./sensitivity-plan.js";

/** One tensor of a sensitivity report. */
export interface SensitivityRow {
  /** 1 = the tensor whose quantization alone moves the outputs most. */
  readonly rank: number;
  readonly tensor: string;
  readonly count: number;
  /** Worst-output relative error with only this tensor quantized. */
  readonly outputRelErrorWorst: MaybeValue;
  /** Relative error over all outputs with only this tensor quantized. */
  readonly outputRelError: MaybeValue;
  /** Its share of Σ error² over all tensors (errors of independent tensors add in power), in [0, 1]. */
  readonly share: number | null;
  /** SQNR of the tensor itself (dB). */
  readonly sqnrDb: MaybeValue;
}

/** Result of {@link sensitivityReport}. */
export interface SensitivityReport {
  readonly model: string;
  readonly quantizer: string;
  readonly samples: number;
  readonly source: FidelityInputSource;
  /** Tensors, most sensitive first. */
  readonly rows: readonly SensitivityRow[];
  /** Worst-output relative error with every selected tensor quantized together. */
  readonly allTogether: MaybeValue;
  /** Outputs whose relative error is not meaningful (saturated, near zero, sparse), left out of "worst". */
  readonly flaggedOutputs: readonly { readonly name: string; readonly reason: string }[];
  /**
   * What the rows are ranked by: the worst-output relative error, or — when every output is
   * flagged, so no output has a meaningful worst — the relative error over all outputs.
   */
  readonly rankedBy: "outputRelErrorWorst" | "outputRelError" | "sqnrDb";
  /**
   * Why no output was measured, when none was (a bare weights manifest has no topology to run):
   * the rows are then ranked by tensor SQNR, lowest first.
   */
  readonly note?: string;
  /**
   * How the samples were chosen when a time budget was given (`budgetSeconds`): the cost model's
   * plan, with `samples` below `requested` on a model too large for the budget.
   */
  readonly plan?: SensitivityPlan;
  /** Tensors whose quantization is exact (decoded = float): their row is measured without a forward pass. */
  readonly exactTensors?: number;
}

/** Options of {@link sensitivityReport}. */
export interface SensitivityOptions {
  /** The quantizer, created with its options (bits …). */
  readonly quantizer: Quantizer;
  /** Which tensors to try (default: core's `defaultSelector`, i.e. kernels, not biases). */
  readonly selector?: TensorSelector;
  readonly settings?: FidelitySettings;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressReporter;
  readonly diagnostics?: DiagnosticsSink;
  /** Run even when the selector picks no tensor (else `QF_NOTHING_TO_QUANTIZE`). */
  readonly allowEmpty?: boolean;
  /**
   * A time budget (seconds on the reference machine): `settings.samples` shrinks along
   * `SENSITIVITY_SAMPLE_LADDER` until the cost model's estimate of every forward pass fits
   * (deterministic: from the model's size, never a clock). Unset: `settings.samples` as is.
   */
  readonly budgetSeconds?: number;
}

const key = (v: MaybeValue): number => (v.value === null ? -1 : v.value);

/**
 * Quantizes one tensor at a time (every other tensor stays float), runs the model and ranks the
 * tensors by the worst-output relative error each causes alone, with each tensor's own SQNR
 * beside it; finally quantizes all selected tensors together for reference.
 *
 * @throws {MissingCapabilityError} when the model has no forward pass or lacks what the quantizer needs.
 * @throws {NothingToQuantizeError} when the selector picks no tensor (unless `allowEmpty`).
 */
export async function sensitivityReport(model: ModelProbe, o: SensitivityOptions): Promise<SensitivityReport> {
  requireCapabilities("sensitivity", model, ["forward"]);
  requireCapabilities(o.quantizer.id, model, o.quantizer.needs ?? [], o.quantizer.capabilityAdvice);
  const seed = o.seed ?? 0;
  const original = model.weights;
  const settings = o.settings ?? DEFAULT_FIDELITY_SETTINGS;
  const selected = original.filter(o.selector ?? defaultSelector);
  assertSomethingToQuantize(tallySelection(original, o.selector ?? defaultSelector), { allowEmpty: o.allowEmpty });
  const ctx = createRunContext({ seed, model, ...(o.signal ? { signal: o.signal } : {}), ...(o.diagnostics ? { diagnostics: o.diagnostics } : {}) });
  // Quantize first (cheap beside a forward pass): exact tensors need no pass, and the number of
  // passes sizes the sample plan.
  const decodedAll = new Map<string, Float32Array>();
  const exact = new Set<string>();
  for (const t of selected) {
    throwIfAborted(ctx);
    const dec = dequantizeModel(await o.quantizer.quantize([t], ctx), [t])[0]!;
    decodedAll.set(t.name, dec.data);
    if (sameBits(t.data, dec.data)) exact.add(t.name);
  }
  let plan: SensitivityPlan | undefined;
  let meterSettings = settings;
  if (o.budgetSeconds !== undefined) {
    const shape = await modelForwardShape(model);
    plan = planSensitivitySamples(shape, { passes: selected.length - exact.size + 2 + (exact.size > 0 ? 1 : 0), requested: settings.samples, budgetSeconds: o.budgetSeconds });
    meterSettings = { ...settings, samples: plan.samples };
  }
  const meter = new FidelityMeter(model, original, meterSettings, seed);
  // Identical weights give identical outputs: one float-weights measurement stands for every exact tensor.
  let unchanged: Promise<FidelityResult> | undefined;
  const raw: Omit<SensitivityRow, "rank" | "share">[] = [];
  for (let i = 0; i < selected.length; i++) {
    throwIfAborted(ctx);
    const t = selected[i]!;
    const dec = decodedAll.get(t.name)!;
    const r = exact.has(t.name) ? await (unchanged ??= meter.measure(original)) : await meter.measure(original.map((u) => (u.name === t.name ? { ...u, data: dec } : u)));
    raw.push({ tensor: t.name, count: t.data.length, outputRelErrorWorst: r.worst, outputRelError: r.overall, sqnrDb: tensorSqnrDb(t.data, dec) });
    o.progress?.update("sensitivity", i + 1, selected.length);
  }
  const all = await meter.measure(original.map((u) => (decodedAll.has(u.name) ? { ...u, data: decodedAll.get(u.name)! } : u)));
  const flaggedOutputs = all.outputs.flatMap((x) => (x.flag ? [{ name: x.name, reason: x.flag.reason }] : []));
  const rankedBy = all.outputs.length > 0 && flaggedOutputs.length === all.outputs.length ? "outputRelError" : "outputRelErrorWorst";
  const by = (r: Omit<SensitivityRow, "rank" | "share">) => (rankedBy === "outputRelError" ? r.outputRelError : r.outputRelErrorWorst);
  raw.sort((a, b) => key(by(b)) - key(by(a)) || (a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0));
  const power = raw.reduce((s, r) => s + (by(r).value ?? 0) ** 2, 0);
  const rows = raw.map((r, i) => {
    const v = by(r).value;
    return { rank: i + 1, ...r, share: v === null ? null : power === 0 ? 0 : v ** 2 / power };
  });
  return {
    model: model.id,
    quantizer: o.quantizer.id,
    samples: meter.inputs.count,
    source: meter.inputs.source,
    rows,
    allTogether: all.worst,
    flaggedOutputs,
    rankedBy,
    ...(plan ? { plan } : {}),
    exactTensors: exact.size,
  };
}

/** True when two float arrays hold the same bits (so a model computes exactly the same). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length),
    y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** One line on how the samples were planned, when they were reduced or the budget is exceeded. */
export function sensitivityPlanNote(r: SensitivityReport): string | undefined {
  const p = r.plan;
  if (!p || (p.samples === p.requested && p.fits)) return undefined;
  const est = `estimated ${p.seconds.toFixed(0)} s for ${p.passes} forward passes`;
  if (p.samples < p.requested)
    return `${p.samples} samples instead of ${p.requested} so that the model fits the ${p.budgetSeconds} s budget (${est}${p.fits ? "" : ", still over it"}); pass --samples to fix the count or --budget-seconds to change the budget.`;
  return `${est}, over the ${p.budgetSeconds} s budget; pass --samples or --budget-seconds to change it.`;
}

/**
 * Sensitivity of weights that cannot be run (a bare tfjs weights manifest: no topology): each
 * selected tensor quantized alone, ranked by its own SQNR (lowest first); the output columns are
 * empty and `note` says why.
 *
 * @throws {NothingToQuantizeError} when the selector picks no tensor (unless `allowEmpty`).
 */
export async function weightSensitivityReport(id: string, weights: WeightSet, o: SensitivityOptions & { note: string }): Promise<SensitivityReport> {
  const seed = o.seed ?? 0;
  const selected = weights.filter(o.selector ?? defaultSelector);
  assertSomethingToQuantize(tallySelection(weights, o.selector ?? defaultSelector), { allowEmpty: o.allowEmpty });
  const model = { id, weights };
  requireCapabilities(o.quantizer.id, model, o.quantizer.needs ?? [], o.quantizer.capabilityAdvice);
  const ctx = createRunContext({ seed, model, ...(o.signal ? { signal: o.signal } : {}), ...(o.diagnostics ? { diagnostics: o.diagnostics } : {}) });
  const none: MaybeValue = { value: null, reason: "no model outputs" };
  const raw: Omit<SensitivityRow, "rank" | "share">[] = [];
  for (let i = 0; i < selected.length; i++) {
    throwIfAborted(ctx);
    const t = selected[i]!;
    const dec = dequantizeModel(await o.quantizer.quantize([t], ctx), [t])[0]!;
    raw.push({ tensor: t.name, count: t.data.length, outputRelErrorWorst: none, outputRelError: none, sqnrDb: tensorSqnrDb(t.data, dec.data) });
    o.progress?.update("sensitivity", i + 1, selected.length);
  }
  const sq = (r: Omit<SensitivityRow, "rank" | "share">) => r.sqnrDb.value ?? Infinity;
  raw.sort((a, b) => sq(a) - sq(b) || (a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0));
  const rows = raw.map((r, i) => ({ rank: i + 1, ...r, share: null }));
  return { model: id, quantizer: o.quantizer.id, samples: 0, source: "random", rows, allTogether: none, flaggedOutputs: [], rankedBy: "sqnrDb", note: o.note };
}

function num(v: MaybeValue, digits: number, suffix = ""): string {
  return v.value === null ? `— (${v.reason ?? "undefined"})` : `${v.value.toPrecision(digits)}${suffix}`;
}

/** The report as a Markdown table (most sensitive tensor first). */
export function formatSensitivityMarkdown(r: SensitivityReport): string {
  const lines = [
    `# Sensitivity: ${r.model} — ${r.quantizer}`,
    "",
    r.note !== undefined
      ? `One tensor quantized at a time, ranked by its own SQNR (lowest first). ${r.note}`
      : `One tensor quantized at a time, every other tensor float; ${r.samples} ${r.source} input sample(s). Worst-output relative error with all of them quantized together: ${num(r.allTogether, 4)}.`,
    "",
    ...(sensitivityPlanNote(r) !== undefined ? [`Samples: ${sensitivityPlanNote(r)}`, ""] : []),
    ...(r.flaggedOutputs.length > 0
      ? [
          `Outputs left out of "worst" (their relative error does not measure quality on these inputs)${r.rankedBy === "outputRelError" ? "; every output is flagged, so the rows are ranked by the error over all outputs" : ""}:`,
          "",
          ...r.flaggedOutputs.map((f) => `- ${printable(f.name)}: ${f.reason}`),
          "",
        ]
      : []),
    "| rank | tensor | weights | worst-output rel. error | rel. error (all outputs) | share of error² | tensor SQNR (dB) |",
    "|---:|---|---:|---:|---:|---:|---:|",
  ];
  for (const row of r.rows) {
    lines.push(`| ${row.rank} | ${printable(row.tensor)} | ${row.count} | ${num(row.outputRelErrorWorst, 4)} | ${num(row.outputRelError, 4)} | ${row.share === null ? "—" : `${(100 * row.share).toFixed(1)} %`} | ${num(row.sqnrDb, 4)} |`);
  }
  return lines.join("\n") + "\n";
}
