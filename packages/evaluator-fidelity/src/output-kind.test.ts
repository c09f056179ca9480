import type { ForwardOutput, ModelProbe, WeightSet } from "@quantforge/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter, classAxis, classifierKind, fidelityMetrics, isDistributionRows, outputFlag, softmaxRows } from "./index.js";

const f32 = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

describe("outputFlag", () => {
  it("flags a sigmoid map pinned near 0 or near 1 as saturated", () => {
    expect(
      outputFlag(
        f32(64, (i) => 3e-7 * (1 + (i % 3))),
        null,
      )?.kind,
    ).toBe("near-zero");
    expect(
      outputFlag(
        f32(64, (i) => 3e-5 + 1e-4 * (i % 2)),
        null,
      )?.kind,
    ).toBe("saturated");
    expect(
      outputFlag(
        f32(64, (i) => 0.9995 + 1e-5 * (i % 5)),
        null,
      )?.kind,
    ).toBe("saturated");
  });
  it("flags an embedding with 5 of 1,024 nonzero as sparse, with the count in the reason", () => {
    const f = outputFlag(
      f32(1024, (i) => (i % 200 === 7 && i < 900 ? 0.5 : 0)),
      1024,
    );
    expect(f).toMatchObject({ kind: "sparse" });
    expect(f!.reason).toContain("5 of 1024");
  });
  it("does not flag ordinary outputs, confident softmax rows, or a 0/1 mix", () => {
    expect(
      outputFlag(
        f32(64, (i) => Math.sin(i)),
        null,
      ),
    ).toBeNull();
    expect(
      outputFlag(
        f32(30, (i) => (i % 3 === 0 ? 1 : 0)),
        3,
      ),
    ).toBeNull(); // one-hot rows are distributions
    expect(
      outputFlag(
        f32(64, (i) => (i % 2 ? 0.9999 : 1e-5)),
        null,
      ),
    ).toBeNull();
  });
  it("never flags an output with at least 1 % nonzero values of normal size (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.float({ min: -10, max: 10, noNaN: true }).filter((v) => Math.abs(v) > 0.01),
          { minLength: 1, maxLength: 50 },
        ),
        (vals) => {
          const a = new Float32Array(vals.length * 50);
          vals.forEach((v, i) => (a[i * 50] = v));
          vals.forEach((v, i) => (a[i * 50 + 1] = -Math.abs(v))); // signed: not a [0, 1] map
          expect(outputFlag(a, null)).toBeNull();
        },
      ),
    );
  });
});

describe("classifierKind", () => {
  it("reads distributions over the last axis as probabilities, whatever the name", () => {
    const p = softmaxRows(
      f32(4 * 7, (i) => Math.cos(i)),
      4,
      7,
    );
    expect(isDistributionRows(p, 7)).toBe(true);
    expect(classifierKind("Identity", [7], p, false)).toBe("probabilities");
    expect(
      classifierKind(
        "seg",
        [2, 2, 7],
        softmaxRows(
          f32(16 * 7, (i) => Math.cos(i)),
          16,
          7,
        ),
        false,
      ),
    ).toBe("probabilities");
  });
  it("reads logits only with a class-like name, signed values and a vector shape", () => {
    const z = f32(4 * 10, (i) => Math.sin(3 * i) * 4);
    expect(classifierKind("logits", [10], z, false)).toBe("logits");
    expect(classifierKind("dense/class_scores", [1, 10], z, false)).toBe("logits");
    expect(classifierKind("Identity_2", [10], z, false)).toBeNull(); // landmark regressions look like this too
    expect(classifierKind("class_embedding", [10], z, false)).toBeNull();
    expect(classifierKind("logits", [2, 5], z, false)).toBeNull(); // a map, not one vector
    expect(classifierKind("logits", [10], z.map(Math.abs), false)).toBeNull();
    expect(classifierKind("logits", [10], z, true)).toBeNull();
    const unit = f32(10, (i) => (i % 2 ? 1 : -1) / Math.sqrt(10));
    expect(classifierKind("scores", [10], unit, false)).toBeNull(); // L2-normalised: an embedding
    expect(classAxis([1])).toBeNull();
  });
});

/** A probe with fixed float outputs; "decoded" weights add `w[0]` to every output value. */
function fixedProbe(outs: readonly ForwardOutput[]): ModelProbe {
  const weights: WeightSet = [{ name: "w", shape: [1], data: Float32Array.of(0) }];
  return {
    id: "fixed",
    weights,
    inputShape: [1],
    forward: {
      predict: async () => outs[0]!.data,
      predictOutputs: async (ws: WeightSet) => outs.map((o) => ({ ...o, data: o.data.map((v) => v + ws[0]!.data[0]!) })),
    },
  } as unknown as ModelProbe;
}

describe("FidelityMeter with flagged outputs", () => {
  it("leaves flagged outputs out of worst, reports the flag, and KL/top-1 only for distributions", async () => {
    const count = 32;
    const probs = softmaxRows(
      f32(count * 4, (i) => Math.sin(i)),
      count,
      4,
    );
    const m = fixedProbe([
      { name: "probs", shape: [4], data: probs },
      { name: "heat", shape: [8], data: f32(count * 8, () => 2e-5) },
      { name: "embedding", shape: [1024], data: f32(count * 1024, (i) => (i % 1024 < 5 ? 1 : 0)) },
    ]);
    const meter = new FidelityMeter(m, m.weights, DEFAULT_FIDELITY_SETTINGS, 0);
    const r = await meter.measure([{ name: "w", shape: [1], data: Float32Array.of(1e-3) }]);
    const by = new Map(r.outputs.map((o) => [o.name, o]));
    expect(by.get("heat")!.flag?.kind).toBe("saturated");
    expect(by.get("embedding")!.flag?.kind).toBe("sparse");
    expect(by.get("probs")!.flag).toBeUndefined();
    // heat's relative error is huge (Δ 1e-3 on 2e-5) but not the worst: only probs counts.
    expect(by.get("heat")!.relError.value!).toBeGreaterThan(10);
    expect(r.worst.value).toBe(by.get("probs")!.relError.value);
    expect(by.get("probs")!.classifier).toBe(true);
    expect(by.get("embedding")!.classifier).toBe(false);
    const metrics = new Map(fidelityMetrics(r).map((x) => [x.name, x]));
    expect(metrics.get("outputFlag:heat")).toMatchObject({ value: null, reason: expect.stringContaining("saturated") });
    expect(metrics.get("outputFlag:embedding")!.reason).toContain("sparse");
    expect(metrics.has("outputFlag:probs")).toBe(false);
  });
  it("gives a null worst with the reason when every output is flagged", async () => {
    const m = fixedProbe([{ name: "heat", shape: [8], data: f32(32 * 8, () => 2e-5) }]);
    const r = await new FidelityMeter(m, m.weights, DEFAULT_FIDELITY_SETTINGS, 0).measure([{ name: "w", shape: [1], data: Float32Array.of(1e-3) }]);
    expect(r.worst.value).toBeNull();
    expect(r.worst.reason).toContain("saturated");
    expect(r.overall.value).toBeGreaterThan(0);
  });
});
