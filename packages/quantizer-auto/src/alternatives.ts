/** The single-method alternatives auto measures against the greedy allocation, and how it explains an unspent budget (split from `auto-quantizer.ts`). */

import { allocate, cheapestImprovingStep, type Allocation, type RdPoint } from "./allocate-impl.js";
import type { Candidate } from "./candidates.js";

/**
 * Per candidate method (spec): the greedy allocation among that method's widths only (each
 * tensor may take another width of it) — the single method's best mix under the budget; and that
 * method at one width on every tensor (the widest that fits) when its predicted Σ D is lower
 * still. Methods that fail on a tensor are left out; repeated choices are dropped.
 */
export function singleMethodChoices(all: readonly Candidate[], points: readonly (readonly RdPoint[])[], budget: number): { name: string; choice: Int32Array }[] {
  const out: { name: string; choice: Int32Array }[] = [];
  const predicted = (choice: Int32Array) => choice.reduce((a, c, t) => a + points[t]![c]!.dist, 0);
  const specs = [...new Set(all.map((c) => c.spec))];
  for (const spec of specs) {
    const only = points.map((row) => row.map((p, c) => (all[c]!.spec === spec ? p : { rate: Infinity, dist: Infinity })));
    const name = all.find((c) => c.spec === spec)!.label.replace(/@[^@]*$/, "");
    let mixed: Int32Array | undefined;
    if (only.every((row) => row.some((p) => Number.isFinite(p.rate) && Number.isFinite(p.dist)))) {
      const a = allocate(only, budget);
      if (a.feasible) {
        mixed = a.choice;
        out.push({ name: `single method ${name} (its widths mixed per tensor)`, choice: a.choice });
      }
    }
    const widths = [...new Set(all.filter((c) => c.spec === spec).map((c) => c.bits))].sort((a, b) => b - a);
    for (const b of widths) {
      const ci = all.findIndex((c) => c.spec === spec && c.bits === b);
      let rate = 0,
        ok = true;
      for (const row of points) {
        const p = row[ci]!;
        if (!Number.isFinite(p.rate) || !Number.isFinite(p.dist)) {
          ok = false;
          break;
        }
        rate += p.rate;
      }
      if (!ok || rate > budget) continue;
      const uniform = new Int32Array(points.length).fill(ci);
      if (!mixed || predicted(uniform) < predicted(mixed)) out.push({ name: `single method ${all[ci]!.label} on every tensor`, choice: uniform });
      break;
    }
  }
  return out;
}

/** The sentence telling why the chosen mix leaves budget unspent (empty when ≥ 97 % is spent or the budget is unbounded). */
export function explainSpend(kept: string, greedy: Allocation, points: readonly (readonly RdPoint[])[], chosen: { rate: number; choice: ArrayLike<number> }, budget: number, count: number): string {
  const spent = chosen.rate / budget;
  if (spent >= 0.97 || !Number.isFinite(budget)) return "";
  const bpw = (b: number) => `${(b / Math.max(1, count)).toFixed(4)} bits/weight`;
  if (kept !== "greedy allocation") {
    return ` Spent ${(100 * spent).toFixed(1)} % of the budget: the ${kept} measured a lower error end to end than the greedy allocation (${((100 * greedy.totalRate) / budget).toFixed(1)} % of it).`;
  }
  const step = cheapestImprovingStep(points, chosen.choice);
  return ` Spent ${(100 * spent).toFixed(1)} % of the budget: ${Number.isFinite(step) ? `the cheapest change that lowers the predicted error costs ${bpw(step)} more, above the ${bpw(budget - chosen.rate)} left` : "no candidate lowers the predicted error further"}.`;
}
