import { codedGroups, requantizeValues, dequantizeTensor, ErrorCodes, InvalidOptionsError, ShapeMismatchError, type GridCodebook, type QuantizedModel, type WeightTensor } from "@quantforge/core";
import { CollectingDiagnostics, createRunContext } from "@quantforge/core/host";
import { encodeContainer } from "@quantforge/core/format";
import { rawTestCoder, sampleTensor } from "@quantforge/core/testing";
import { iterativeXMax, laplacianDistortion, mismatchSqnrDb, optimalXMax } from "@quantforge/theory-laplacian";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gridEncode, groupRms, storableSigma, uniformMseQuantizer, uniformMseQuantizeTensor, uniformMseOptionsSchema, type UniformMseOptionsInput } from "./index.js";

async function run(ws: WeightTensor[], opts: UniformMseOptionsInput = {}, diagnostics = new CollectingDiagnostics()): Promise<QuantizedModel> {
  const p = uniformMseQuantizer();
  return p.create(p.parseOptions(opts)).quantize(ws, createRunContext({ seed: 1, diagnostics }));
}
const sqnrDb = (x: Float32Array, y: Float32Array) => {
  let s = 0,
    e = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i]! * x[i]!;
    e += (x[i]! - y[i]!) ** 2;
  }
  return 10 * Math.log10(s / e);
};
const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);

describe("the midrise rule (spec §1)", () => {
  it("maps 0 to +Δ/2, keeps the sign, caps the index at N/2 − 1", async () => {
    const t: WeightTensor = { name: "w", shape: [7], data: Float32Array.from([0, -0, 1e-9, -1e-9, 100, -100, 0.5]) };
    const q = await run([t], { bits: 2, mode: "mismatched" });
    const cb = q.codebooks[0] as GridCodebook;
    const step = Math.fround((2 * cb.xMax) / 4);
    expect(Array.from(q.tensors[0]!.codes)).toEqual([2, 2, 2, 1, 3, 0, 2]);
    const dec = dequantizeTensor(q.tensors[0]!, cb);
    expect(dec[0]).toBe(Math.fround(step / 2));
    expect(dec[4]).toBe(Math.fround(1.5 * step)); // overload → outer level x_max − Δ/2
    expect(dec[5]).toBe(-Math.fround(1.5 * step));
    expect(cb).toMatchObject({ kind: "grid", levels: 4, midtread: false, sigmaSource: "design" });
    expect(cb.xMax).toBe(Math.fround(optimalXMax(2)));
    expect(Array.from(cb.sigma)).toEqual([1]);
    expect(Array.from(cb.mu)).toEqual([0]);
  });
  it("codes are the nearest level (within Δ/2) inside the support, for every R", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.float({ min: -6, max: 6, noNaN: true }), (bits, v) => {
        const N = 2 ** bits,
          xMax = Math.fround(optimalXMax(bits)),
          step = Math.fround((2 * xMax) / N);
        const out = new Uint32Array(1);
        gridEncode(Float32Array.of(v), { kind: "tensor" }, Float32Array.of(1), N, step, out);
        const level = (out[0]! - N / 2 + 0.5) * step;
        return Math.abs(Math.fround(v)) > xMax ? Math.abs(level) === (N / 2 - 0.5) * step : Math.abs(level - Math.fround(v)) <= step / 2 + 1e-12;
      }),
      { seed: 3, numRuns: 500 },
    );
  });
});

describe("the midtread variant (exact zero)", () => {
  it("has N = 2^R − 1 levels, maps the central cell [−Δ/2, Δ/2] to exactly 0 and decodes 0 to 0", async () => {
    const bits = 3,
      N = 7,
      xMax = Math.fround(optimalXMax(bits, { midtread: true })),
      step = Math.fround((2 * xMax) / N);
    const t: WeightTensor = { name: "w", shape: [8], data: Float32Array.from([0, -0, 0.49 * step, -0.49 * step, 0.51 * step, 100, -100, 1e-9]) };
    const q = await run([t], { bits, mode: "mismatched", midtread: true });
    const cb = q.codebooks[0] as GridCodebook;
    expect(cb).toMatchObject({ kind: "grid", levels: N, midtread: true });
    expect(cb.xMax).toBe(xMax);
    expect(Array.from(q.tensors[0]!.codes)).toEqual([3, 3, 3, 3, 4, 6, 0, 3]);
    const dec = dequantizeTensor(q.tensors[0]!, cb);
    expect(Array.from(dec.slice(0, 4)).map(Math.abs)).toEqual([0, 0, 0, 0]);
    expect(dec[5]).toBe(Math.fround(3 * step));
  });
  it("reaches the midtread theory SQNR on Laplacian weights (R = 2, 3)", async () => {
    const t = sampleTensor("lap", [500, 400], { dist: "laplace", sigma: 0.04, seed: 5 });
    for (const bits of [2, 3]) {
      const q = await run([t], { bits, midtread: true });
      const cb = q.codebooks[0] as GridCodebook;
      const theory = laplacianDistortion(2 ** bits - 1, optimalXMax(bits, { midtread: true }), 1, { midtread: true }).sqnrDb;
      expect(Math.abs(sqnrDb(t.data, dequantizeTensor(q.tensors[0]!, cb)) - theory)).toBeLessThan(0.1);
    }
  });
  it("keeps sparse near-zero weights at 0 where midrise shifts them by ±Δ/2 (per channel too)", async () => {
    const data = new Float32Array(64 * 4);
    for (let i = 0; i < data.length; i++) data[i] = i % 37 === 0 ? 0.5 : 1e-4 * ((i % 3) - 1);
    const t: WeightTensor = { name: "w", shape: [64, 4], data };
    for (const granularity of ["tensor", "channel"] as const) {
      const mt = await run([t], { bits: 4, midtread: true, granularity });
      const mr = await run([t], { bits: 4, granularity });
      const dt = dequantizeTensor(mt.tensors[0]!, mt.codebooks[0]!);
      const dr = dequantizeTensor(mr.tensors[0]!, mr.codebooks[0]!);
      let zt = 0,
        zr = 0;
      for (let i = 0; i < data.length; i++)
        if (Math.abs(data[i]!) <= 1e-4) {
          zt += Math.abs(dt[i]!);
          zr += Math.abs(dr[i]!);
        }
      expect(zt).toBe(0);
      expect(zr).toBeGreaterThan(0);
    }
  });
  it("codes re-quantize to themselves (core's requantize) and reject midtread at 1 bit or with the iterative rule", async () => {
    const t = sampleTensor("w", [300], { seed: 3 });
    const q = await run([t], { bits: 5, midtread: true, granularity: "channel", axis: 0 });
    const re = new Uint32Array(t.data.length);
    requantizeValues(q.codebooks[0]!, dequantizeTensor(q.tensors[0]!, q.codebooks[0]!), codedGroups(q.tensors[0]!), re);
    expect(Array.from(re)).toEqual(Array.from(q.tensors[0]!.codes));
    expect(() => uniformMseQuantizer().parseOptions({ bits: 1, midtread: true })).toThrow(InvalidOptionsError);
    expect(() => uniformMseQuantizer().parseOptions({ design: "iterative", midtread: true })).toThrow(/midtread/);
  });
});

describe("matched mode", () => {
  it("stores σ = RMS and reaches the design SQNR on Laplacian weights (R = 2, 3)", async () => {
    const t = sampleTensor("lap", [500, 400], { dist: "laplace", sigma: 0.04, seed: 5 });
    for (const bits of [2, 3]) {
      const q = await run([t], { bits });
      const cb = q.codebooks[0] as GridCodebook;
      expect(cb.sigma[0]).toBe(Math.fround(rms(t.data)));
      expect(cb.sigmaSource).toBe("rms");
      const theory = laplacianDistortion(2 ** bits, optimalXMax(bits)).sqnrDb;
      expect(Math.abs(sqnrDb(t.data, dequantizeTensor(q.tensors[0]!, cb)) - theory)).toBeLessThan(0.1);
    }
  });
  it("is scale invariant: w and 2^k·w get the same codes", async () => {
    const t = sampleTensor("g", [64, 32], { dist: "gaussian", sigma: 0.3, seed: 6 });
    const big = { ...t, data: t.data.map((v) => v * 1024) };
    for (const granularity of ["tensor", "channel"] as const) {
      const [a, b] = [await run([t], { bits: 5, granularity }), await run([big], { bits: 5, granularity })];
      expect(b.tensors[0]!.codes).toEqual(a.tensors[0]!.codes);
    }
  });
  it("per channel equals quantizing every channel on its own", async () => {
    const t = sampleTensor("k", [30, 6], { dist: "laplace", sigma: 1, seed: 7 });
    for (let c = 0; c < 6; c++) for (let r = 0; r < 30; r++) t.data[r * 6 + c]! *= 1 + c; // channel scales differ
    const q = await run([t], { bits: 4, granularity: "channel" }); // axis −1: the 6 output units
    expect(q.tensors[0]!.grouping).toEqual({ kind: "channel", axis: 1 });
    const cb = q.codebooks[0] as GridCodebook;
    expect(cb.sigma).toHaveLength(6);
    for (let c = 0; c < 6; c++) {
      const col: WeightTensor = { name: `c${c}`, shape: [30], data: Float32Array.from({ length: 30 }, (_, r) => t.data[r * 6 + c]!) };
      const one = await run([col], { bits: 4 });
      expect((one.codebooks[0] as GridCodebook).sigma[0]).toBe(cb.sigma[c]);
      expect(Array.from(one.tensors[0]!.codes)).toEqual(Array.from({ length: 30 }, (_, r) => q.tensors[0]!.codes[r * 6 + c]));
    }
    const rows = await run([t], { bits: 4, granularity: "channel", axis: 0 });
    expect((rows.codebooks[0] as GridCodebook).sigma).toHaveLength(30);
  });
  it("handles all-zero groups (σ = 0) without NaN and says so", async () => {
    const t: WeightTensor = { name: "z", shape: [4, 3], data: Float32Array.from([0, 1, -2, 0, 0.5, 3, 0, -1, 0.25, 0, 2, 1]) };
    const d = new CollectingDiagnostics();
    const q = await run([t, { name: "zeros", shape: [5], data: new Float32Array(5) }], { bits: 3, granularity: "channel" }, d);
    const cb = q.codebooks[0] as GridCodebook;
    expect(cb.sigma[0]).toBe(0);
    const dec = dequantizeTensor(q.tensors[0]!, cb);
    expect([dec[0], dec[3], dec[6], dec[9]]).toEqual([0, 0, 0, 0]);
    expect(dec.every(Number.isFinite)).toBe(true);
    expect(dequantizeTensor(q.tensors[1]!, q.codebooks[1]!)).toEqual(new Float32Array(5));
    expect(d.items.filter((x) => x.ruleId === "zero-sigma").map((x) => x.tensor)).toEqual(["z", "zeros"]);
  });
  it("lowers σ when the outer level would overflow float32 and warns", async () => {
    // RMS ≈ 3e38, so σ·(x_max − Δ/2) ≈ 7σ would overflow: σ is lowered to ≈ FLT_MAX/7.
    const data = Float32Array.from({ length: 64 }, (_, i) => (i % 8 === 0 ? 0 : i % 2 ? 3.4e38 : -3.4e38));
    const d = new CollectingDiagnostics();
    const q = await run([{ name: "huge", shape: [64], data }], { bits: 8 }, d);
    const dec = dequantizeTensor(q.tensors[0]!, q.codebooks[0]!);
    expect(dec.every(Number.isFinite)).toBe(true);
    expect(dec[3]).toBeGreaterThan(3e38);
    expect(dec[2]).toBeLessThan(-3e38);
    expect(Math.abs(dec[0]!)).toBeLessThan(1e38);
    expect(d.items.map((x) => x.ruleId)).toContain("sigma-capped");
    expect(storableSigma(1, 7)).toEqual({ sigma: 1, capped: false });
    const capped = storableSigma(1e38, 7);
    expect(capped.capped).toBe(true);
    expect(Number.isFinite(Math.fround(capped.sigma * 7))).toBe(true);
  });
});

describe("mismatched mode (paper 000)", () => {
  it("puts raw weights into the σ = 1 design; SQNR follows the mismatch formula", async () => {
    const t = sampleTensor("lap", [400, 300], { dist: "laplace", sigma: 0.5, seed: 8 });
    for (const bits of [2, 3]) {
      const q = await run([t], { bits, mode: "mismatched", granularity: "channel" });
      expect(q.tensors[0]!.grouping).toEqual({ kind: "tensor" }); // one σ = 1: nothing per channel
      const cb = q.codebooks[0] as GridCodebook;
      expect(Array.from(cb.sigma)).toEqual([1]);
      expect(Math.abs(sqnrDb(t.data, dequantizeTensor(q.tensors[0]!, cb)) - mismatchSqnrDb(bits, rms(t.data)))).toBeLessThan(0.1);
    }
  });
});

describe("options", () => {
  it("stores the iterative rule's x_max when asked", async () => {
    const t = sampleTensor("w", [100], { seed: 9 });
    const q = await run([t], { bits: 6, design: "iterative" });
    expect((q.codebooks[0] as GridCodebook).xMax).toBe(Math.fround(iterativeXMax(6).xMax));
  });
  it("uses bits = 8, optimal, matched, tensor and the output axis by default", () => {
    expect(uniformMseQuantizer().parseOptions({})).toEqual({ bits: 8, design: "optimal", mode: "matched", granularity: "tensor", axis: "output", midtread: false });
    expect(uniformMseQuantizer({ bits: 12 }).parseOptions({})).toMatchObject({ bits: 12 });
  });
  it("rejects bad options and axes with typed errors", () => {
    for (const bad of [{ bits: 0 }, { bits: 17 }, { design: "x" }, { granularity: "group" }]) {
      try {
        uniformMseQuantizer().parseOptions(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidOptionsError);
        expect((e as InvalidOptionsError).code).toBe(ErrorCodes.INVALID_OPTIONS);
        expect((e as Error).message).toContain(Object.keys(bad)[0]);
      }
    }
    const o = uniformMseOptionsSchema.parse({ granularity: "channel", axis: 3 });
    expect(() => uniformMseQuantizeTensor({ name: "m", shape: [2, 2], data: new Float32Array(4) }, o)).toThrow(ShapeMismatchError);
  });
  it("stores one σ per group (μ = 0 is not stored), and they count in the coded size", async () => {
    const t = sampleTensor("w", [50, 40], { seed: 10 });
    const coder = rawTestCoder().create({});
    const perTensor = encodeContainer(await run([t], { bits: 4 }), coder).size;
    const perChannel = encodeContainer(await run([t], { bits: 4, granularity: "channel" }), coder).size;
    expect(perChannel.codebookBytes - perTensor.codebookBytes).toBe(39 * 4); // 39 more float32 σ; all μ are 0 (grid codebooks omit all-zero μ)
  });
  it("is deterministic", async () => {
    const t = sampleTensor("w", [33, 17], { seed: 11 });
    const [a, b] = [await run([t], { bits: 7, granularity: "channel" }), await run([t], { bits: 7, granularity: "channel" })];
    expect(a).toEqual(b);
  });
});

describe("groupRms", () => {
  it("matches a direct computation per channel", () => {
    const d = Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2);
    const r = groupRms(d, { kind: "channel", outer: 2, channels: 3, inner: 4 });
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let o = 0; o < 2; o++) for (let k = 0; k < 4; k++) s += d[o * 12 + c * 4 + k]! ** 2;
      expect(r[c]).toBeCloseTo(Math.sqrt(s / 8), 15);
    }
    expect(Array.from(groupRms(new Float32Array(0), { kind: "tensor" }))).toEqual([0]);
  });
});

describe("deprecated spelling granularity: layer", () => {
  const ws: WeightTensor[] = Array.from({ length: 4 }, (_, i) => sampleTensor(`w${i}`, [8, 16], { dist: "laplace", seed: i + 1 }));

  it("parses to granularity tensor: identical options and identical codes and codebooks", async () => {
    const p = uniformMseQuantizer();
    expect(p.parseOptions({ bits: 4, granularity: "layer" })).toEqual(p.parseOptions({ bits: 4, granularity: "tensor" }));
    expect(p.optionAliases).toEqual({ granularity: { layer: "tensor" } });
    expect(await run(ws, { bits: 4, granularity: "layer" })).toEqual(await run(ws, { bits: 4, granularity: "tensor" }));
  });

  it("a pipeline over several tensors reports exactly one deprecation warning, naming the new spelling", async () => {
    const { runPipeline } = await import("@quantforge/core/host");
    const old = await runPipeline({ weights: ws, quantizer: { plugin: uniformMseQuantizer(), options: { granularity: "layer" } } });
    expect(old.diagnostics.filter((d) => d.ruleId === "deprecated-option")).toEqual([{ severity: "warning", source: "uniform-mse", ruleId: "deprecated-option", message: "option granularity=layer is deprecated; use granularity=tensor" }]);
    const neu = await runPipeline({ weights: ws, quantizer: { plugin: uniformMseQuantizer(), options: { granularity: "tensor" } } });
    expect(neu.diagnostics.filter((d) => d.ruleId === "deprecated-option")).toEqual([]);
  });
});
