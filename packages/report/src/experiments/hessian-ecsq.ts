/**
 * The Hessian-ECSQ experiment's (paper 003) result types and its Markdown renderer. The
 * experiment itself is `experiments/hessian-ecsq`; the CLI renders what it returns.
 */

/** One row of the Table 1 reproduction. */
export interface HessianEcsqTable1Row {
  readonly method: string;
  /** Test accuracy, %. */
  readonly accuracy: number;
  /** Accuracy on the calibration subset used for the selection, %. */
  readonly selectionAccuracy: number | null;
  /** Real bytes of everything needed to rebuild every parameter. */
  readonly bytes: number;
  /** 32·N_all / (8·bytes): the project's compression ratio. */
  readonly ratio: number;
  /** The paper's Eq. 1 (no term for positions), or null where it does not apply. */
  readonly ratioEq1: number | null;
  /**
   * The same quantized network coded with rANS in place of Huffman (`coder-rans`, every byte
   * counted as in `ratio`); null for the float rows or results written before it was measured.
   */
  readonly ransBytes?: number | null;
  /** 32·N_all / (8·ransBytes). */
  readonly ratioRans?: number | null;
  /** Zeroth-order entropy of the codes (bits per quantized value). */
  readonly entropy: number | null;
  readonly levels: number | null;
  /** Bits per surviving weight from real bytes (positions + codes + tables). */
  readonly bitsPerSurvivor: number | null;
  /** The quantizer options of the chosen configuration. */
  readonly settings: Record<string, unknown> | null;
}

/** One point of an accuracy-vs-rate sweep. */
export interface HessianEcsqSweepPoint {
  readonly model: string;
  /** Quantizer mode (`kmeans`, `hessian-kmeans`, `uniform`, `ecsq`, …). */
  readonly mode: string;
  /** `hessian-<samples>`, `adam` or `none`. */
  readonly importance: string;
  readonly rate: number;
  readonly coder: "fixed" | "huffman";
  /** Average bits per quantized weight from real bytes: streams, codebooks and headers (float passthrough excluded). */
  readonly bitsPerWeight: number;
  /** Compression ratio over every parameter (float biases included at 32 bits). */
  readonly ratio: number;
  readonly accuracy: number;
  readonly entropy: number;
  readonly levels: number;
}

/** Everything the experiment measured. */
export interface HessianEcsqExperimentResult {
  readonly seed: number;
  readonly density: number;
  readonly fineTuned: boolean;
  /** Pruning stages (each followed by fine-tuning when `fineTuned`). */
  readonly pruneSteps: number;
  readonly floatBiases: boolean;
  readonly table1: { readonly model: string; readonly parameters: number; readonly survivors: number; readonly rows: readonly HessianEcsqTable1Row[] };
  readonly sweep: readonly HessianEcsqSweepPoint[];
  readonly importance: readonly HessianEcsqSweepPoint[];
  /**
   * Iterative ECSQ λ sweep on the pruned network's surviving weights (Hessian importance, h of
   * mean 1, 64-cluster linear start): the rate–distortion curve, one point per λ.
   */
  readonly lambdaSweep: readonly { readonly lambda: number; readonly entropy: number; readonly weightedDistortion: number; readonly mse: number; readonly levels: number; readonly iterations: number; readonly converged: boolean }[];
  readonly seconds: number;
}

const f2 = (x: number | null, d = 2) => (x === null ? "–" : x.toFixed(d));

/** Markdown tables of an experiment result (Table 1, sweeps, importance study). */
export function renderHessianEcsqMarkdown(r: HessianEcsqExperimentResult): string {
  const out: string[] = [];
  const t = r.table1;
  out.push(
    `### Table 1 on ${t.model} (${t.parameters} parameters; pruned to ${t.survivors} weights = ${(100 * r.density).toFixed(2)} %${r.fineTuned ? `, ${r.pruneSteps} pruning stage(s) each with masked fine-tuning` : ", one-shot, no fine-tuning"}; biases ${r.floatBiases ? "float32" : "quantized"}; Huffman codes, rANS beside them; seed ${r.seed})`,
    "",
  );
  out.push("| method | accuracy % | calib. accuracy % | real bytes | ratio (real bytes) | rANS bytes | ratio (rANS) | ratio (Eq. 1) | entropy bits | levels | bits/survivor | settings |", "|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const row of t.rows) {
    out.push(
      `| ${row.method} | ${f2(row.accuracy)} | ${f2(row.selectionAccuracy)} | ${row.bytes} | ${f2(row.ratio)} | ${row.ransBytes ?? "–"} | ${f2(row.ratioRans ?? null)} | ${f2(row.ratioEq1)} | ${f2(row.entropy, 3)} | ${row.levels ?? "–"} | ${f2(row.bitsPerSurvivor, 3)} | ${
        row.settings
          ? Object.entries(row.settings)
              .filter(([k]) => !["density", "pruneScope", "scope", "importance"].includes(k))
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(", ")
          : "–"
      } |`,
    );
  }
  const table = (title: string, pts: readonly HessianEcsqSweepPoint[]) => {
    if (pts.length === 0) return;
    out.push("", `### ${title}`, "", "| model | mode | importance | b | coder | bits/weight | ratio | accuracy % | entropy | levels |", "|---|---|---|---|---|---|---|---|---|---|");
    for (const p of pts) out.push(`| ${p.model} | ${p.mode} | ${p.importance} | ${p.rate} | ${p.coder} | ${f2(p.bitsPerWeight, 3)} | ${f2(p.ratio)} | ${f2(p.accuracy)} | ${f2(p.entropy, 3)} | ${p.levels} |`);
  };
  if (r.lambdaSweep.length > 0) {
    out.push(
      "",
      `### Iterative ECSQ λ sweep on the pruned ${t.model}'s ${t.survivors} surviving weights (Hessian importance, mean 1; 64-cluster linear start)`,
      "",
      "| λ | entropy bits | weighted distortion | MSE | levels | iterations |",
      "|---|---|---|---|---|---|",
    );
    for (const p of r.lambdaSweep) out.push(`| ${p.lambda} | ${p.entropy.toFixed(3)} | ${p.weightedDistortion.toExponential(3)} | ${p.mse.toExponential(3)} | ${p.levels} | ${p.iterations}${p.converged ? "" : " (cap)"} |`);
  }
  table("Unpruned: accuracy vs average bits/weight (b: k = 2^b for k-means, entropy target b for uniform/ECSQ)", r.sweep);
  table("Importance: Hessian from 1,000 samples vs more vs Adam √v̂", r.importance);
  out.push("", `Run time ${r.seconds.toFixed(0)} s.`);
  return out.join("\n") + "\n";
}
