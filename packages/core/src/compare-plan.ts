import { InvalidOptionsError } from "./errors.js";
import type { CoderPlugin, EvaluatorPlugin, QuantizerPlugin } from "./plugin.js";

/** A quantizer in a comparison: a descriptor, optionally with fixed options, a label and a sweep. */
export interface CompareQuantizer {
  readonly plugin: QuantizerPlugin;
  /** Options every cell of this quantizer gets. */
  readonly options?: Record<string, unknown>;
  /**
   * Shown in tables and chart legends; default `id` or `id:k=v,…` (fixed options, `bits` left
   * out), plus ` (sweep k×…)` naming the swept options other than `bits`.
   */
  readonly label?: string;
  /**
   * Options to sweep instead of the global bit rates: one cell per combination of the listed
   * values (cartesian product, first key outermost), e.g. `{ step: [0.01, 0.02, 0.04] }` for a
   * uniform ECSQ. A quantizer with a sweep does **not** get the global `bits` axis; sweep `bits`
   * too to combine them (`{ bits: [2, 4], density: [0.5, 1] }`).
   */
  readonly sweep?: Readonly<Record<string, readonly unknown[]>>;
}

/** A coder in a comparison, with options. */
export interface CompareCoder {
  readonly plugin: CoderPlugin;
  readonly options?: Record<string, unknown>;
}

/** An evaluator in a comparison, with options. */
export interface CompareEvaluator {
  readonly plugin: EvaluatorPlugin;
  readonly options?: Record<string, unknown>;
}

/**
 * One planned cell: everything needed to run it, as plain JSON (ids and raw options), so it can
 * be sent to a worker thread or stored in a manifest. `index` is its place in the plan.
 */
export interface CompareCellSpec {
  readonly index: number;
  /** The series (chart line) the cell belongs to: the quantizer's label. */
  readonly label: string;
  readonly quantizer: string;
  /** Raw quantizer options of this cell: fixed options, swept values and `bits`. */
  readonly options: Record<string, unknown>;
  /** The bit rate of the bit-rate axis (global `bits`, or a swept `bits`); null without one. */
  readonly bits: number | null;
  /** The values this cell varies along the plan's axes (`{ bits: 4 }`, `{ step: 0.02 }`); `{}` for none. */
  readonly sweep: Record<string, unknown>;
  readonly coder: string;
  readonly coderOptions: Record<string, unknown>;
}

/** What {@link planCompare} needs (a subset of `CompareOptions`). */
export interface ComparePlanInput {
  readonly quantizers: readonly (QuantizerPlugin | CompareQuantizer)[];
  readonly bits?: readonly number[];
  readonly coders: readonly (CoderPlugin | CompareCoder)[];
}

/** A planned cell with its descriptors (internal to {@link compare}). */
export interface PlannedCell {
  readonly spec: CompareCellSpec;
  readonly quantizer: QuantizerPlugin;
  readonly coder: CoderPlugin;
}

function labelOf(id: string, options: Record<string, unknown>): string {
  const kv = Object.entries(options)
    .filter(([k]) => k !== "bits")
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`);
  return kv.length ? `${id}:${kv.join(",")}` : id;
}

/** Cartesian product of the sweep's value lists, first key outermost. */
function product(sweep: Readonly<Record<string, readonly unknown[]>>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(sweep)) {
    out = out.flatMap((o) => values.map((v) => ({ ...o, [key]: v })));
  }
  return out;
}

/** Normalises a quantizer entry to `{ plugin, options?, label?, sweep? }`. */
export function asCompareQuantizer(q: QuantizerPlugin | CompareQuantizer): CompareQuantizer {
  return "plugin" in q ? q : { plugin: q };
}

/** Normalises a coder entry to `{ plugin, options? }`. */
export function asCompareCoder(c: CoderPlugin | CompareCoder): CompareCoder {
  return "plugin" in c ? c : { plugin: c };
}

/**
 * Expands a comparison into its cells: quantizer × (bit rates, or the quantizer's own sweep) ×
 * coder, in that nesting order. Throws {@link InvalidOptionsError} for an empty sweep list, a
 * non-integer bit rate, or two quantizers (or coders) that would produce the same series.
 */
export function planCells(o: ComparePlanInput): PlannedCell[] {
  const qs = o.quantizers.map(asCompareQuantizer);
  const coders = o.coders.map(asCompareCoder);
  if (qs.length === 0) throw new InvalidOptionsError("compare", "quantizers", "must list at least one quantizer");
  if (coders.length === 0) throw new InvalidOptionsError("compare", "coders", "must list at least one coder");
  for (const [i, b] of (o.bits ?? []).entries()) {
    if (!Number.isInteger(b) || b < 1) throw new InvalidOptionsError("compare", `bits[${i}]`, `must be a positive integer (got ${String(b)})`);
  }
  const bits: (number | null)[] = o.bits && o.bits.length ? [...o.bits] : [null];
  const labels = new Set<string>();
  const coderKeys = new Set<string>();
  for (const c of coders) {
    const key = `${c.plugin.id}${JSON.stringify(c.options ?? {})}`;
    if (coderKeys.has(key)) throw new InvalidOptionsError("compare", "coders", `list coder "${c.plugin.id}" twice with the same options; give each once`);
    coderKeys.add(key);
  }
  const cells: PlannedCell[] = [];
  qs.forEach((q, qi) => {
    const fixed = q.options ?? {};
    const swept = Object.keys(q.sweep ?? {}).filter((k) => k !== "bits");
    const label = q.label ?? `${labelOf(q.plugin.id, fixed)}${swept.length ? ` (sweep ${swept.join("×")})` : ""}`;
    if (labels.has(label)) throw new InvalidOptionsError("compare", `quantizers[${qi}]`, `repeats the series "${label}"; give each quantizer/options pair once or set a distinct label`);
    labels.add(label);
    let points: Record<string, unknown>[];
    if (q.sweep && Object.keys(q.sweep).length > 0) {
      for (const [k, vs] of Object.entries(q.sweep)) {
        if (!Array.isArray(vs) || vs.length === 0) throw new InvalidOptionsError("compare", `quantizers[${qi}].sweep.${k}`, "must be a non-empty list of values");
      }
      points = product(q.sweep);
    } else {
      points = bits.map((b) => (b === null ? {} : { bits: b }));
    }
    for (const sweep of points) {
      for (const c of coders) {
        const options = { ...fixed, ...sweep };
        const b = typeof sweep.bits === "number" ? sweep.bits : null;
        const spec: CompareCellSpec = {
          index: cells.length,
          label,
          quantizer: q.plugin.id,
          options,
          bits: b,
          sweep,
          coder: c.plugin.id,
          coderOptions: { ...(c.options ?? {}) },
        };
        cells.push({ spec, quantizer: q.plugin, coder: c.plugin });
      }
    }
  });
  return cells;
}

/**
 * The cells a comparison will run, in order, as plain JSON (see {@link CompareCellSpec}).
 * `compare()` runs exactly these; a runner can use the plan to validate options before any
 * work, to dispatch cells to worker threads, or to re-run a stored comparison.
 */
export function planCompare(o: ComparePlanInput): CompareCellSpec[] {
  return planCells(o).map((c) => c.spec);
}
