import type { CompareCell } from "@quantforge/core/host";

/** One cell flattened to the numbers the tables and charts use (null where not measured). */
export interface CellPoint {
  readonly index: number;
  /** Chart line: the cell's label, plus ` + coder` when the comparison has several coders. */
  readonly series: string;
  readonly label: string;
  /** The swept values as text (`bits=4`, `step=0.02`); empty without a sweep. */
  readonly point: string;
  readonly coder: string;
  readonly status: "ok" | "failed";
  /** The nominal bit rate the cell is grouped under for "best per bit rate" (see {@link rateGroup}). */
  readonly rate: number | null;
  /** Bits per weight of the whole coded model (size evaluator). */
  readonly bitsPerWeight: number | null;
  /** Bytes of the coded model (size evaluator). */
  readonly bytes: number | null;
  /** SQNR of all quantized weights pooled, in dB (sqnr evaluator). */
  readonly sqnrDb: number | null;
  /** True when the reconstruction is exact (SQNR is then null). */
  readonly exact: boolean;
  /** Per-tensor σ-normalised SQNR in dB (core's compare). */
  readonly normSqnrDb: number | null;
  /** Bits per quantized weight (streams + codebooks) of the normalised chart. */
  readonly normBitsPerWeight: number | null;
  /** Top-1 accuracy in [0, 1] (accuracy evaluator). */
  readonly accuracy: number | null;
  /** Accuracy of the float model in [0, 1]. */
  readonly floatAccuracy: number | null;
  /** Top-1 agreement with the float model in [0, 1]. */
  readonly agreement: number | null;
  /** Worst-output relative error of the decoded model (fidelity evaluator; flagged outputs excluded). */
  readonly outputRelErrorWorst: number | null;
  /** Top-1 agreement over classifier outputs (fidelity evaluator), in [0, 1]. */
  readonly top1: number | null;
  readonly seconds: number;
  readonly error: string | null;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Formats a cell's sweep point: `step=0.02`, `bits=4` (empty when it has none). */
export function pointText(c: CompareCell): string {
  return Object.entries(c.sweep ?? (c.bits === null ? {} : { bits: c.bits }))
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

/**
 * The nominal bit rate a cell is grouped under when the best value "per bit rate" is marked:
 * its bit-rate axis value, else a fixed `bits` option, else its measured bits/weight rounded to
 * the nearest integer (sweeps over Δ or λ land next to the fixed-rate cells of similar size).
 */
export function rateGroup(c: CompareCell): number | null {
  if (c.bits !== null) return c.bits;
  if (typeof c.options.bits === "number") return c.options.bits;
  const bpw = num(c.result?.summary.bitsPerWeight);
  return bpw === null ? null : Math.round(bpw);
}

/** Flattens cells for tables and charts. */
export function cellPoints(cells: readonly CompareCell[]): CellPoint[] {
  const coders = new Set(cells.map((c) => `${c.coder}${JSON.stringify(c.coderOptions ?? {})}`));
  return cells.map((c, i) => {
    const s = c.result?.summary ?? { count: 0 };
    return {
      index: c.index ?? i,
      series: coders.size > 1 ? `${c.label} + ${c.coder}` : c.label,
      label: c.label,
      point: pointText(c),
      coder: c.coder,
      status: c.status,
      rate: rateGroup(c),
      bitsPerWeight: num(s.bitsPerWeight),
      bytes: num(s.bytes),
      sqnrDb: num(s.sqnrDb),
      exact: s.exact === true,
      normSqnrDb: num(c.normalized?.sqnrDb),
      normBitsPerWeight: num(c.normalized?.bitsPerWeight),
      accuracy: num(s.accuracy),
      floatAccuracy: num(s.floatAccuracy),
      agreement: num(s.agreement),
      outputRelErrorWorst: num(s.outputRelErrorWorst),
      top1: num(s.top1Agreement),
      seconds: c.seconds,
      error: c.error ? `${c.error.code}: ${c.error.message}` : null,
    };
  });
}

/**
 * The Pareto front of points where a smaller `x` and a larger `y` are better: every point no
 * other point beats in both (ties in x keep the larger y). Returned in increasing x.
 */
export function paretoFront<T>(items: readonly T[], x: (t: T) => number | null, y: (t: T) => number | null): T[] {
  const valid = items.filter((t) => x(t) !== null && y(t) !== null);
  valid.sort((a, b) => x(a)! - x(b)! || y(b)! - y(a)!);
  const front: T[] = [];
  let best = -Infinity;
  for (const t of valid) {
    if (y(t)! > best) {
      front.push(t);
      best = y(t)!;
    }
  }
  return front;
}

/** Which direction is better for a column of {@link bestInGroup}. */
export type Better = "max" | "min";

/**
 * For every point, whether its value is the best among the points of the same rate group
 * (ties are all best). Points without a value or group are never best.
 */
export function bestInGroup(points: readonly CellPoint[], value: (p: CellPoint) => number | null, better: Better): boolean[] {
  const best = new Map<number, number>();
  for (const p of points) {
    const v = value(p);
    if (v === null || p.rate === null || p.status !== "ok") continue;
    const cur = best.get(p.rate);
    if (cur === undefined || (better === "max" ? v > cur : v < cur)) best.set(p.rate, v);
  }
  return points.map((p) => {
    const v = value(p);
    return v !== null && p.rate !== null && p.status === "ok" && best.get(p.rate) === v;
  });
}
