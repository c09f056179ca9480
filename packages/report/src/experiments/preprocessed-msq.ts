/**
 * The preprocessed-MSQ experiments' (paper 004) result rows, the log–log slope summary and the
 * Markdown renderers. The experiments themselves are `experiments/preprocessed-msq`.
 */

/** One point of the synthetic experiment. */
export interface PreprocessedMsqSyntheticRow {
  readonly method: string;
  readonly bits: number;
  readonly m: number;
  readonly n0: number;
  /** Mean over neurons of ‖X(w − q)‖/‖Xw‖ on the calibration X. */
  readonly relErrorTrain: number;
  /** The same on a fresh X of `freshRows` i.i.d. N(0, 1) rows (generalisation). */
  readonly relErrorFresh: number;
  /** Neurons averaged (neurons × draws). */
  readonly neurons: number;
  readonly alphabet: string;
}

/** Least-squares slope of log(error) against log(N0) for one method, bit width and m. */
export interface PreprocessedMsqSlopeRow {
  readonly method: string;
  readonly bits: number;
  readonly m: number;
  readonly slopeTrain: number | null;
  readonly slopeFresh: number | null;
}

function slope(xs: readonly number[], ys: readonly number[]): number | null {
  const pts = xs
    .map((x, i) => [Math.log(x), ys[i]!] as const)
    .filter(([, y]) => y > 0 && Number.isFinite(y))
    .map(([x, y]) => [x, Math.log(y)] as const);
  if (pts.length < 2) return null;
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length,
    my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  let sxy = 0,
    sxx = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}

/**
 * Log–log slopes of the relative errors against N0, per method, bits and m (the paper's claim is
 * a negative slope for preprocessed MSQ — about −½ when the error is dominated by the ≤ m rounded
 * coordinates — and a flat one for plain MSQ). `null` when fewer than two positive errors exist.
 */
export function logLogSlopes(rows: readonly PreprocessedMsqSyntheticRow[]): PreprocessedMsqSlopeRow[] {
  const groups = new Map<string, PreprocessedMsqSyntheticRow[]>();
  for (const r of rows) {
    const k = `${r.method}|${r.bits}|${r.m}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((g) => {
    const s = [...g].sort((a, b) => a.n0 - b.n0);
    return {
      method: s[0]!.method,
      bits: s[0]!.bits,
      m: s[0]!.m,
      slopeTrain: slope(
        s.map((r) => r.n0),
        s.map((r) => r.relErrorTrain),
      ),
      slopeFresh: slope(
        s.map((r) => r.n0),
        s.map((r) => r.relErrorFresh),
      ),
    };
  });
}

const f3 = (v: number | null): string => (v === null ? "–" : v.toFixed(3));

const f2s = (v: number | null): string => (v === null ? "–" : `${v >= 0 ? "+" : ""}${v.toFixed(2)}`);

/**
 * Markdown report of the synthetic experiment: for the training and the fresh X, one table with a
 * row per (method, bits, m), a column per N0 and the log–log slope.
 */
export function syntheticMarkdown(rows: readonly PreprocessedMsqSyntheticRow[]): string {
  const slopes = logLogSlopes(rows);
  const n0s = [...new Set(rows.map((r) => r.n0))].sort((a, b) => a - b);
  const keyed = new Map(rows.map((r) => [`${r.method}|${r.bits}|${r.m}|${r.n0}`, r]));
  const alphabet = rows[0]?.alphabet ?? "midtread";
  const neurons = rows[0]?.neurons ?? 0;
  const out: string[] = [];
  for (const [title, pick, slopeOf] of [
    ["Relative error ‖X(w − q)‖/‖Xw‖ on the calibration X", (r: PreprocessedMsqSyntheticRow) => r.relErrorTrain, (s: PreprocessedMsqSlopeRow) => s.slopeTrain],
    ["Relative error on a fresh X (generalisation)", (r: PreprocessedMsqSyntheticRow) => r.relErrorFresh, (s: PreprocessedMsqSlopeRow) => s.slopeFresh],
  ] as const) {
    out.push(`### ${title}`, "", `Alphabet: ${alphabet}; mean over ${neurons} neurons per point; slope = least-squares d log(error) / d log(N0).`, "");
    out.push(`| method | bits | m | ${n0s.map((n) => `N0=${n}`).join(" | ")} | slope |`);
    out.push(`|---|---:|---:|${n0s.map(() => "---:").join("|")}|---:|`);
    for (const s of slopes) {
      const cells = n0s.map((n) => {
        const r = keyed.get(`${s.method}|${s.bits}|${s.m}|${n}`);
        return r ? f3(pick(r)) : "–";
      });
      out.push(`| ${s.method} | ${s.bits} | ${s.m} | ${cells.join(" | ")} | ${f2s(slopeOf(s))} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

/**
 * Relative error of one layer's pre-activation output in the quantized network against the float
 * network, mean over neurons of ‖X_f·w − X̃·q‖ / ‖X_f·w‖ (X_f: the layer's input in the float
 * network, X̃: in the quantized one).
 */
export interface PreprocessedMsqLayerOutputError {
  readonly layer: string;
  /** On the first m calibration samples (those the data-driven methods may use). */
  readonly calibration: number | null;
  /** On the next `heldOut` calibration samples (seen by no method). */
  readonly heldOut: number | null;
}

/** One (method, target, bits) cell of the model experiment. */
export interface PreprocessedMsqModelRow {
  readonly method: string;
  /** `null` for methods without a `target` option (plain MSQ). */
  readonly target: "quantized" | "float" | null;
  readonly bits: number;
  /** The evaluator's metric on the decoded model (null with the evaluator's reason). */
  readonly accuracy: number | null;
  readonly floatAccuracy: number | null;
  /** Top-1 agreement with the float model (the evaluator's `agreement` metric, if it has one). */
  readonly agreement: number | null;
  /** Mean KL divergence float ‖ quantized in nats (the evaluator's `klDivergence`, if it has one). */
  readonly klDivergence: number | null;
  readonly samples: number;
  readonly alphabet: string;
  /** Per layer, in forward order (empty when the model has no layer inputs or heldOut = 0 and m = 0). */
  readonly layers: readonly PreprocessedMsqLayerOutputError[];
}

const pct = (v: number | null): string => (v === null ? "–" : `${(100 * v).toFixed(2)} %`);

/**
 * Markdown of the model experiment: test accuracy (one row per m and bit width, one column per
 * method/target), agreement with the float model, then each layer's output error on held-out samples.
 */
export function modelMarkdown(rows: readonly PreprocessedMsqModelRow[], modelId: string): string {
  const cols = [...new Map(rows.map((r) => [`${r.method}|${r.target ?? ""}`, r])).values()];
  const bits = [...new Set(rows.map((r) => r.bits))].sort((a, b) => a - b);
  const ms = [...new Set(rows.map((r) => r.samples))].sort((a, b) => a - b);
  const head = cols.map((c) => (c.target ? `${c.method} (target ${c.target})` : c.method));
  const floatAcc = rows.find((r) => r.floatAccuracy !== null)?.floatAccuracy ?? null;
  const find = (m: number, b: number, c: PreprocessedMsqModelRow) => rows.find((r) => r.samples === m && r.bits === b && r.method === c.method && r.target === c.target);
  const out = [
    `### Test accuracy of ${modelId} (alphabet ${rows[0]?.alphabet ?? "midtread"}; m calibration samples, m_l = min(m, ⌊N0/2⌋) for preprocessed MSQ)`,
    "",
    `Float model: ${pct(floatAcc)}.`,
    "",
    `| m | bits | ${head.join(" | ")} |`,
    `|---:|---:|${head.map(() => "---:").join("|")}|`,
  ];
  for (const m of ms) for (const b of bits) out.push(`| ${m} | ${b} | ${cols.map((c) => pct(find(m, b, c)?.accuracy ?? null)).join(" | ")} |`);
  if (rows.some((r) => r.agreement !== null || r.klDivergence !== null)) {
    out.push("", "### Agreement with the float model", "", "Top-1 agreement / mean KL divergence (nats) of the quantized model's predictions against the float model's, on the test set.", "");
    out.push(`| m | bits | ${head.join(" | ")} |`, `|---:|---:|${head.map(() => "---:").join("|")}|`);
    for (const m of ms)
      for (const b of bits) {
        out.push(
          `| ${m} | ${b} | ${cols
            .map((c) => {
              const r = find(m, b, c);
              return r ? `${pct(r.agreement)} / ${f3(r.klDivergence)}` : "–";
            })
            .join(" | ")} |`,
        );
      }
  }
  const layers = [...new Set(rows.flatMap((r) => r.layers.map((l) => l.layer)))];
  if (layers.length > 0) {
    out.push("", "### Layer output error on held-out samples", "", "Mean over neurons of ‖X_f·w − X̃·q‖/‖X_f·w‖ (float vs quantized network, pre-activation) on calibration samples no method saw.", "");
    out.push(`| m | bits | layer | ${head.join(" | ")} |`, `|---:|---:|---|${head.map(() => "---:").join("|")}|`);
    for (const m of ms)
      for (const b of bits)
        for (const l of layers) {
          out.push(`| ${m} | ${b} | ${l} | ${cols.map((c) => f3(find(m, b, c)?.layers.find((x) => x.layer === l)?.heldOut ?? null)).join(" | ")} |`);
        }
  }
  return `${out.join("\n")}\n`;
}
