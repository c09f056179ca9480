import { describe, expect, it } from "vitest";
import { ErrorCodes, defineEvaluator, z } from "@quantforge/core";
import { randomMlp } from "./__fixtures__/mlp.js";
import { msqQuantizer, preprocessedMsqQuantizer } from "@quantforge/quantizer-preprocessed-msq";
import { logLogSlopes, modelMarkdown, syntheticMarkdown } from "@quantforge/report";
import { runModelExperiment } from "./experiment-model.js";
import { runSyntheticExperiment } from "./experiment-synthetic.js";

const methods = [
  { name: "msq", plugin: msqQuantizer() },
  { name: "preprocessed-msq", plugin: preprocessedMsqQuantizer() },
];

describe("runSyntheticExperiment", () => {
  const small = { methods, ms: [8], n0s: [32, 128, 512], bits: [2], neurons: 8, draws: 2, freshRows: 64, seed: 3 } as const;

  it("returns one row per method × bits × m × N0 with exactly the documented fields, deterministically", async () => {
    const rows = await runSyntheticExperiment(small);
    expect(rows).toHaveLength(2 * 3);
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(["alphabet", "bits", "m", "method", "n0", "neurons", "relErrorFresh", "relErrorTrain"]);
      expect(r.neurons).toBe(16);
      expect(r.relErrorTrain).toBeGreaterThan(0);
      expect(Number.isFinite(r.relErrorFresh)).toBe(true);
    }
    expect(await runSyntheticExperiment(small)).toEqual(rows);
  });

  it("shows preprocessed MSQ's training error decaying with N0 while plain MSQ stays flat (the paper's claim)", async () => {
    const rows = await runSyntheticExperiment(small);
    const slopes = logLogSlopes(rows);
    const pre = slopes.find((s) => s.method === "preprocessed-msq")!,
      msq = slopes.find((s) => s.method === "msq")!;
    expect(pre.slopeTrain!).toBeLessThan(-0.2);
    expect(Math.abs(msq.slopeTrain!)).toBeLessThan(0.15);
    const md = syntheticMarkdown(rows);
    expect(md).toContain("| preprocessed-msq | 2 | 8 |");
    expect(md).toContain("N0=512");
  });

  it("rejects empty lists and N0 < 2m", async () => {
    await expect(runSyntheticExperiment({ methods, ms: [] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
    await expect(runSyntheticExperiment({ methods, ms: [64], n0s: [100] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
  });
});

describe("runModelExperiment", () => {
  // A minimal accuracy evaluator over the probe's forward pass (the real one lives in evaluator-accuracy).
  const accuracy = defineEvaluator({
    id: "test-accuracy",
    version: "0.0.0",
    description: "top-1 accuracy",
    options: z.object({}),
    create: () => ({
      id: "test-accuracy",
      scope: "model" as const,
      needs: ["forward", "dataset"] as const,
      async evaluate(subject, ctx) {
        const ds = ctx.model!.testSet!;
        const top = async (ws: typeof subject.decoded) => {
          const p = await ctx.model!.forward!.predict(ws, ds.inputs, ds.count);
          return Array.from({ length: ds.count }, (_, s) => {
            let b = 0;
            for (let c = 1; c < ds.classes; c++) if (p[s * ds.classes + c]! > p[s * ds.classes + b]!) b = c;
            return b;
          });
        };
        const hits = (t: number[]) => t.filter((c, s) => c === ds.labels[s]).length / ds.count;
        const tq = await top(subject.decoded),
          tf = await top(subject.original);
        return [
          { name: "accuracy", value: hits(tq) },
          { name: "floatAccuracy", value: hits(tf) },
          { name: "agreement", value: tq.filter((c, s) => c === tf[s]).length / ds.count },
        ];
      },
    }),
  });

  it("sweeps bits, and targets where a method has them, through the pipeline", async () => {
    const model = randomMlp([32, 20, 5], 40, 7);
    const labels: string[] = [];
    const rows = await runModelExperiment({ model, methods, evaluator: accuracy, bits: [2, 4], samples: 8, onProgress: (l) => labels.push(l) });
    expect(rows.map((r) => `${r.method}/${r.target}/${r.bits}`)).toEqual(["msq/null/2", "msq/null/4", "preprocessed-msq/quantized/2", "preprocessed-msq/float/2", "preprocessed-msq/quantized/4", "preprocessed-msq/float/4"]);
    expect(labels).toContain("preprocessed-msq 4 bits (target float)");
    for (const r of rows) {
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.floatAccuracy).toBe(rows[0]!.floatAccuracy);
      expect(r.agreement).toBeGreaterThanOrEqual(0);
      expect(r.klDivergence).toBeNull();
    }
    for (const r of rows) {
      expect(r.layers.map((l) => l.layer)).toEqual(["dense1", "dense2"]);
      for (const l of r.layers) expect(l.heldOut! > 0 && l.calibration! > 0).toBe(true);
    }
    // On the samples it was fitted to, the walk reproduces layer 1's output better than rounding.
    const l1 = (method: string, target: string | null) => rows.find((r) => r.method === method && r.target === target && r.bits === 2)!.layers[0]!.calibration!;
    expect(l1("preprocessed-msq", "quantized")).toBeLessThan(l1("msq", null));
    const md = modelMarkdown(rows, "mlp");
    expect(md).toContain("| m | bits | msq | preprocessed-msq (target quantized) | preprocessed-msq (target float) |");
    // One accuracy row and one agreement row per bit width.
    expect(md.split("\n").filter((l) => /^\| 8 \| [24] \| [0-9.]+ % \|/.test(l))).toHaveLength(2);
    expect(md.split("\n").filter((l) => /^\| 8 \| [24] \| [0-9.]+ % \/ – \|/.test(l))).toHaveLength(2);
    expect(md).toContain("| 8 | 4 | dense2 |");
    expect(md).toContain("### Agreement with the float model");
  });
});
