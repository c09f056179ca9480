import type { CompareCell } from "@quantforge/core/host";
import { bestInGroup, type Better, type CellPoint } from "./points.js";

/** The metric a comparison's cells are ranked by ("best" of each bit rate). */
export type RankMetric = "accuracy" | "outputRelErrorWorst" | "sqnrDb";

/** How the cells are ranked: the metric, its direction and how reports name it. */
export interface Ranking {
  readonly metric: RankMetric;
  readonly better: Better;
  /** Column heading and footnote text. */
  readonly label: string;
  readonly value: (p: CellPoint) => number | null;
}

const RANKINGS: Record<RankMetric, Ranking> = {
  accuracy: { metric: "accuracy", better: "max", label: "accuracy", value: (p) => p.accuracy },
  outputRelErrorWorst: { metric: "outputRelErrorWorst", better: "min", label: "worst-output relative error", value: (p) => p.outputRelErrorWorst },
  sqnrDb: { metric: "sqnrDb", better: "max", label: "weight SQNR", value: (p) => p.sqnrDb },
};

/**
 * What users care about first: with labelled data, the decoded model's top-1 accuracy; else,
 * with the fidelity evaluator, the worst-output relative error against the float model
 * (flagged outputs excluded); only without any model-output metric, the weight SQNR. The first
 * metric that some ok cell has wins, so one comparison is ranked one way throughout.
 */
export function rankingOf(points: readonly CellPoint[]): Ranking {
  for (const m of ["accuracy", "outputRelErrorWorst"] as const) {
    if (points.some((p) => p.status === "ok" && RANKINGS[m].value(p) !== null)) return RANKINGS[m];
  }
  return RANKINGS.sqnrDb;
}

/** Whether each point is the best of its bit-rate group by the ranking metric (ties are all best). */
export function bestByRanking(points: readonly CellPoint[], r: Ranking = rankingOf(points)): boolean[] {
  return bestInGroup(points, r.value, r.better);
}

/** A model output whose relative error is left out of "worst", with the reason. */
export interface FlaggedOutput {
  readonly name: string;
  readonly reason: string;
}

const FLAG = "outputFlag:";

/**
 * The outputs the fidelity evaluator flagged (saturated, near zero, sparse: `outputFlag:<name>`
 * with a reason) in any ok cell, in first-seen order. The flag is a property of the float
 * outputs, so every cell that ran fidelity reports the same ones.
 */
export function flaggedOutputs(cells: readonly CompareCell[]): FlaggedOutput[] {
  const out = new Map<string, string>();
  for (const c of cells) {
    const s = c.result?.summary;
    if (c.status !== "ok" || !s) continue;
    for (const k of Object.keys(s)) {
      if (!k.startsWith(FLAG) || k.endsWith("Reason")) continue;
      const name = k.slice(FLAG.length);
      const why = s[`${k}Reason`];
      if (!out.has(name)) out.set(name, typeof why === "string" ? why : "flagged");
    }
  }
  return [...out].map(([name, reason]) => ({ name, reason }));
}

/** The sentence under a results table that says what its marked ("best") values mean. */
export function bestNote(r: Ranking, mark: string): string {
  const group = "Cells without a bit rate are grouped by their measured bits/weight rounded to an integer.";
  if (r.metric === "sqnrDb")
    return `${mark}: the best value among the cells of the same nominal bit rate (smallest bits/weight and bytes; largest SQNR, σ-normalised SQNR, accuracy and agreement). No model-output metric was measured, so the cells are ranked by weight SQNR. ${group}`;
  const how =
    r.metric === "accuracy" ? "the highest top-1 accuracy of the decoded model on the labelled data" : "the lowest worst-output relative error of the decoded model against the float model (fidelity evaluator; flagged outputs left out)";
  return `${mark}: the best cell of each nominal bit rate, ranked by ${how}. Weight SQNR is shown for reference only: a high SQNR does not mean the model still works. ${group}`;
}
