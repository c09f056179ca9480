import { Rng, type Dataset, type ModelProbe, type WeightSet } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { renderHessianEcsqMarkdown } from "@quantforge/report";
import { accuracyOf, paperRatio, runHessianEcsqExperiment } from "./experiment.js";

/** A softmax-regression "network" on synthetic data whose true weights classify it well. */
function linearProbe(id: string, d = 24, c = 4, n = 400, seed = 1): ModelProbe {
  const rng = new Rng(seed);
  const W = Float32Array.from({ length: d * c }, () => rng.laplace(0.3));
  const b = Float32Array.from({ length: c }, () => rng.laplace(0.05));
  const data = (count: number): Dataset => {
    const inputs = Float32Array.from({ length: count * d }, () => rng.normal());
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let best = 0,
        bv = -Infinity;
      for (let k = 0; k < c; k++) {
        let z = b[k]!;
        for (let j = 0; j < d; j++) z += inputs[i * d + j]! * W[j * c + k]!;
        if (z > bv) {
          bv = z;
          best = k;
        }
      }
      labels[i] = best;
    }
    return { inputs, labels, count, sampleShape: [d], classes: c };
  };
  const weights: WeightSet = [
    { name: "dense/kernel", shape: [d, c], data: W, role: "weight", layer: "dense", layerKind: "dense" },
    { name: "dense/bias", shape: [c], data: b, role: "bias", layer: "dense", layerKind: "dense" },
  ];
  const predict = async (ws: WeightSet, x: Float32Array, count: number) => {
    const w = ws.find((t) => t.name === "dense/kernel")!.data,
      bb = ws.find((t) => t.name === "dense/bias")!.data;
    const out = new Float32Array(count * c);
    for (let i = 0; i < count; i++) {
      let m = -Infinity;
      for (let k = 0; k < c; k++) {
        let z = bb[k]!;
        for (let j = 0; j < d; j++) z += x[i * d + j]! * w[j * c + k]!;
        out[i * c + k] = z;
        m = Math.max(m, z);
      }
      let s = 0;
      for (let k = 0; k < c; k++) s += out[i * c + k] = Math.exp(out[i * c + k]! - m);
      for (let k = 0; k < c; k++) out[i * c + k]! /= s;
    }
    return out;
  };
  const samplesSeen: number[] = [];
  return {
    id,
    weights,
    testSet: data(n),
    calibrationSet: data(n),
    forward: { predict },
    hessian: {
      hessianDiagonal: async ({ samples }) => {
        samplesSeen.push(samples);
        return weights.map((t) => ({ ...t, data: Float32Array.from(t.data, (x) => 0.5 + (x * x * samples) / 100) }));
      },
    },
    optimizer: { secondMoments: async () => weights.map((t) => ({ ...t, data: Float32Array.from(t.data, (x) => x * x + 1e-8) })) },
  };
}

describe("hessian-ecsq experiment", () => {
  it("reproduces the shape of Table 1 with real-byte ratios, sweeps and the importance study", async () => {
    const lenet = linearProbe("toy-a", 40, 4, 300, 2);
    const mlp = linearProbe("toy-b", 16, 3, 200, 3);
    let tuned = 0;
    const r = await runHessianEcsqExperiment(
      { lenet, others: [mlp] },
      {
        density: 0.3,
        pruneSteps: 2,
        lambdas: [0, 0.003, 0.03, 0.3],
        rates: [2, 3],
        hessianSamples: [10, 50],
        selectionDrop: 5,
        ecsqMaxIterations: 40,
        fineTune: async (_p, w, surv) => {
          tuned++;
          // Stage 1 keeps √0.3 of the weights, stage 2 the target 0.3; pruned weights arrive as 0.
          expect(surv.get("dense/kernel")!.length).toBe(Math.round((tuned === 1 ? Math.sqrt(0.3) : 0.3) * 160));
          expect(w.find((t) => t.name === "dense/kernel")!.data.filter((x) => x !== 0).length).toBeLessThanOrEqual(surv.get("dense/kernel")!.length);
          return w;
        },
      },
    );
    expect(tuned).toBe(2);
    // λ sweep: rate falls and distortion rises as λ grows (λ = 0 is k-means from the linear start).
    expect(r.lambdaSweep.map((p) => p.lambda)).toEqual([0, 0.003, 0.03, 0.3]);
    const first = r.lambdaSweep[0]!,
      last = r.lambdaSweep[r.lambdaSweep.length - 1]!;
    expect(last.entropy).toBeLessThan(first.entropy);
    expect(last.weightedDistortion).toBeGreaterThan(first.weightedDistortion);
    expect(r.pruneSteps).toBe(2);
    const rows = r.table1.rows;
    expect(rows.map((x) => x.method.split(" (")[0])).toEqual(["original", "pruned", "pruning + k-means", "pruning + Hessian-weighted k-means", "pruning + uniform quantization", "pruning + iterative ECSQ"]);
    expect(rows[0]!.ratio).toBe(1);
    for (const row of rows.slice(2)) {
      // Every parameter counted from real bytes: 32·N_all / (8·bytes).
      expect(row.ratio).toBeCloseTo((32 * 164) / (8 * row.bytes), 10);
      expect(row.ratioEq1).toBeGreaterThan(0);
      // rANS codes the same codes and positions in fewer bytes than Huffman (issue 19).
      expect(row.ransBytes!).toBeGreaterThan(0);
      expect(row.ransBytes!).toBeLessThan(row.bytes);
      expect(row.ratioRans).toBeCloseTo((32 * r.table1.parameters) / (8 * row.ransBytes!), 9);
      expect(row.accuracy).toBeGreaterThan(50);
    }
    // Sweep: 4 modes × 2 rates × 2 coders per model; importance: 2 modes × 2 rates × (1 more Hessian + Adam) × 2 coders.
    expect(r.sweep).toHaveLength(2 * 4 * 2 * 2);
    expect(r.importance).toHaveLength(2 * 2 * 2 * 2 * 2);
    expect(new Set(r.importance.map((p) => p.importance))).toEqual(new Set(["hessian-50", "adam"]));
    const fixedK = r.sweep.filter((p) => p.mode === "kmeans" && p.coder === "fixed" && p.model === "toy-a");
    // Fixed-length k-means at b bits costs about b bits per weight plus headers.
    for (const p of fixedK) expect(p.bitsPerWeight).toBeGreaterThanOrEqual(p.rate);
    const md = renderHessianEcsqMarkdown(r);
    expect(md).toContain("| pruning + uniform quantization");
    expect(md).toContain("### Importance");
  });

  it("paperRatio follows Eq. 1 and Eq. 2", () => {
    // Two clusters of 3 and 1 members: Huffman lengths 1 and 1.
    expect(paperRatio(10, Float64Array.of(3, 1), true)).toBeCloseTo((10 * 32) / ((3 + 1) * 1 + (1 + 1) * 1 + 2 * 32), 12);
    expect(paperRatio(10, Float64Array.of(3, 1, 0, 4), false)).toBeCloseTo((10 * 32) / (8 * 2 + 3 * 32), 12);
  });

  it("accuracyOf scores the probe's forward pass", async () => {
    const p = linearProbe("toy", 8, 3, 100, 4);
    expect(await accuracyOf(p, p.weights, p.testSet!)).toBe(100);
    const zero = p.weights.map((t) => ({ ...t, data: new Float32Array(t.data.length) }));
    expect(await accuracyOf(p, zero, p.testSet!)).toBeLessThan(100);
  });
});
