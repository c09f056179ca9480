import { defineEvaluator, defineQuantizer, perTensorQuantizer, Rng, z, type WeightSet } from "@quantforge/core";
import { compare, type CompareCell } from "@quantforge/core/host";
import { fixedCoder } from "@quantforge/coder-fixed";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { normalizedSqnr } from "@quantforge/metrics";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { COMPARE_FORMAT, COMPARE_FORMAT_VERSION, type CompareDocument } from "../document.js";

/** Seeded Laplacian weights: two layers of different spread. */
export function laplacianWeights(seed = 5): WeightSet {
  const rng = new Rng(seed);
  const make = (name: string, n: number, b: number) => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.float() - 0.5;
      data[i] = -b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
    }
    return { name, shape: [n], data };
  };
  return [make("dense_1/kernel", 6000, 0.03), make("dense_2/kernel", 2000, 0.2)];
}

/**
 * A stand-in for the accuracy evaluator (model-level metrics without a model): accuracy falls
 * as the pooled SQNR falls, so the accuracy charts have real, monotone data.
 */
export function fakeAccuracy() {
  return defineEvaluator({
    id: "fake-accuracy",
    version: "0.0.0",
    description: "tests only",
    options: z.strictObject({}),
    create: () => ({
      id: "fake-accuracy",
      scope: "model" as const,
      evaluate: (s) => {
        let sig = 0,
          err = 0;
        for (const t of s.original) {
          if (!s.quantizedNames.has(t.name)) continue;
          const d = s.decoded.find((x) => x.name === t.name)!.data;
          t.data.forEach((v, i) => {
            sig += v * v;
            err += (v - d[i]!) ** 2;
          });
        }
        return [
          { name: "floatAccuracy", value: 0.98 },
          { name: "accuracy", value: 0.98 - 0.5 * Math.sqrt(err / sig) },
          { name: "agreement", value: 1 - Math.sqrt(err / sig) },
        ];
      },
    }),
  });
}

/** A quantizer that always throws (one failed cell per bit rate). */
export function brokenQuantizer() {
  return defineQuantizer({
    id: "broken",
    version: "0.0.0",
    description: "tests only",
    options: z.strictObject({ bits: z.number().optional() }),
    create: () =>
      perTensorQuantizer("broken", () => {
        throw new Error("deliberately broken");
      }),
  });
}

/** A real comparison (rtn, uniform-mse, and a broken quantizer at one rate) as a results document. */
export async function sampleDocument(): Promise<CompareDocument> {
  const { cells, total, aborted } = await compare({
    weights: laplacianWeights(),
    quantizers: [rtnQuantizer(), uniformMseQuantizer(), { plugin: brokenQuantizer(), sweep: { bits: [3] } }],
    bits: [2, 3, 4, 6],
    coders: [fixedCoder()],
    evaluators: [sqnrEvaluator(), sizeEvaluator(), fakeAccuracy()],
    seed: 1,
    normalize: normalizedSqnr,
  });
  return fixtureDocument(cells, total, aborted);
}

/** Wraps cells in a results document with a fixed manifest. */
export function fixtureDocument(cells: readonly CompareCell[], planned: number, interrupted = false): CompareDocument {
  const ok = cells.filter((c) => c.status === "ok").length;
  return {
    format: COMPARE_FORMAT,
    version: COMPARE_FORMAT_VERSION,
    title: "weights <fixture>.safetensors",
    manifest: {
      seed: 1,
      quantforgeVersion: "0.0.0-test",
      node: "v20.0.0",
      plugins: [{ kind: "quantizer", id: "rtn", version: "1" }],
      inputs: [{ role: "weights", path: "/tmp/<fixture>.safetensors", bytes: 10, sha256: "ab".repeat(32) }],
      config: { weights: "/tmp/<fixture>.safetensors", seed: 1 },
    },
    interrupted,
    totals: { planned, finished: cells.length, ok, failed: cells.length - ok, seconds: 1.5 },
    cells,
  };
}
