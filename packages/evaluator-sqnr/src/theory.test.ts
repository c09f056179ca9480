import { perTensorQuantizer, requantizeValues, Rng, type CodebookSpec, type WeightTensor } from "@quantforge/core";
import { runPipeline } from "@quantforge/core/host";
import { laplacianDistortion, mismatchSqnrDb, optimalXMax } from "@quantforge/theory-laplacian";
import { describe, expect, it } from "vitest";
import { DEFAULT_SQNR_EXTENSIONS, laplacianTheoryExtension, sqnrEvaluator } from "./index.js";

function laplaceTensor(name: string, n: number, sigma: number, seed: number): WeightTensor {
  const rng = new Rng(seed),
    data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.laplace(sigma);
  return { name, shape: [n], data };
}
const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);

/** A minimal grid quantizer: σ = RMS (matched) or 1 (mismatched); codes by core's requantize. */
function gridQuantizer(bits: number, mode: "matched" | "mismatched", affineFor?: string) {
  return perTensorQuantizer("grid-test", (t) => {
    const codes = new Uint32Array(t.data.length);
    if (t.name === affineFor) {
      const cb: CodebookSpec = { kind: "affine", levels: 256, scale: Float32Array.of(0.01), zeroPoint: Float32Array.of(128) };
      requantizeValues({ ...cb, id: "x" }, t.data, null, codes);
      return { codebook: cb, codes, grouping: { kind: "tensor" } };
    }
    const cb: CodebookSpec = {
      kind: "grid",
      levels: 2 ** bits,
      xMax: Math.fround(optimalXMax(bits)),
      midtread: false,
      sigma: Float32Array.of(mode === "matched" ? Math.fround(rms(t.data)) : 1),
      mu: new Float32Array(1),
    };
    requantizeValues({ ...cb, id: "x" }, t.data, null, codes);
    return { codebook: cb, codes, grouping: { kind: "tensor" } };
  });
}
async function metricsOf(ws: WeightTensor[], q: ReturnType<typeof gridQuantizer>) {
  const r = await runPipeline({ weights: ws, quantizer: q, evaluators: [sqnrEvaluator()], options: { seed: 1 } });
  const get = (name: string, tensor?: string) => r.metrics.find((m) => m.name === name && m.tensor === tensor);
  return { metrics: r.metrics, get };
}

describe("Laplacian theory beside measured SQNR", () => {
  it("is one of the default extensions", () => {
    expect(DEFAULT_SQNR_EXTENSIONS).toContain(laplacianTheoryExtension);
  });
  it("matched grid: theory = design SQNR, measured agrees (R = 3), overall = the single tensor", async () => {
    const t = laplaceTensor("w", 200_000, 0.07, 3);
    const { get } = await metricsOf([t], gridQuantizer(3, "matched"));
    const design = laplacianDistortion(8, optimalXMax(3)).sqnrDb;
    expect(get("sqnrTheoryDb", "w")!.value!).toBeCloseTo(design, 4);
    expect(get("sqnrTheoryDb", "w")!.unit).toBe("dB");
    expect(Math.abs(get("sqnrDb", "w")!.value! - design)).toBeLessThan(0.1);
    expect(get("sqnrGranularDb", "w")!.value!).toBeGreaterThan(design);
    expect(get("sqnrTheoryDb")!.value).toBe(get("sqnrTheoryDb", "w")!.value);
    expect(get("overloadCount", "w")!.value).toBeGreaterThan(0);
    expect(get("overloadShare", "w")!.value!).toBeGreaterThan(0);
    expect(get("overloadShare", "w")!.value!).toBeLessThan(1);
  });
  it("mismatched grid: theory = variance-mismatch SQNR at the tensor's RMS; overall pools tensors", async () => {
    const a = laplaceTensor("a", 50_000, 0.2, 4),
      b = laplaceTensor("b", 20_000, 0.05, 5);
    const { get } = await metricsOf([a, b], gridQuantizer(6, "mismatched"));
    expect(get("sqnrTheoryDb", "a")!.value!).toBeCloseTo(mismatchSqnrDb(6, rms(a.data)), 6);
    expect(get("sqnrTheoryDb", "b")!.value!).toBeCloseTo(mismatchSqnrDb(6, rms(b.data)), 6);
    const overall = get("sqnrTheoryDb")!.value!;
    expect(overall).toBeLessThan(get("sqnrTheoryDb", "a")!.value!);
    expect(overall).toBeGreaterThan(get("sqnrTheoryDb", "b")!.value!);
    expect(get("overloadCount")!.value).toBe(get("overloadCount", "a")!.value! + get("overloadCount", "b")!.value!);
  });
  it("reports an outlier: max|w|/σ and the overload share", async () => {
    const t = laplaceTensor("w", 10_000, 1, 6);
    t.data[5] = 60;
    const { get } = await metricsOf([t], gridQuantizer(9, "matched"));
    expect(get("maxAbsOverSigma", "w")!.value!).toBeCloseTo(60 / rms(t.data), 5);
    expect(get("overloadCount", "w")!.value).toBeGreaterThanOrEqual(1);
    expect(get("overloadShare", "w")!.value!).toBeGreaterThan(0.5); // one 60σ weight dominates the error at 9 bits
    expect(get("sqnrDb", "w")!.value!).toBeLessThan(get("sqnrTheoryDb", "w")!.value! - 1);
  });
  it("skips non-grid tensors; overall theory is null with a reason for a mixture", async () => {
    const a = laplaceTensor("a", 1000, 0.3, 7),
      b = laplaceTensor("b", 1000, 0.3, 8);
    const { metrics, get } = await metricsOf([a, b], gridQuantizer(4, "matched", "b"));
    expect(get("sqnrTheoryDb", "a")!.value).not.toBeNull();
    expect(metrics.filter((m) => m.tensor === "b" && m.name.startsWith("sqnrTheory"))).toHaveLength(0);
    expect(get("sqnrTheoryDb")).toMatchObject({ value: null, reason: "not every quantized tensor has a grid codebook" });
    const none = await metricsOf([b], gridQuantizer(4, "matched", "b"));
    expect(none.metrics.some((m) => m.name === "sqnrTheoryDb")).toBe(false);
  });
  it("all-zero tensor: null values with reasons, never NaN", async () => {
    const { metrics } = await metricsOf([{ name: "z", shape: [8], data: new Float32Array(8) }], gridQuantizer(3, "matched"));
    for (const m of metrics) if (m.value !== null) expect(Number.isFinite(m.value)).toBe(true);
    expect(metrics.find((m) => m.name === "sqnrTheoryDb" && m.tensor === "z")).toMatchObject({ value: null, reason: "zero signal power" });
  });
});
