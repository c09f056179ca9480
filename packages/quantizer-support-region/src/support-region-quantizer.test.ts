import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { codebookMap, codedGroups, dequantizeTensor, requantizeValues, Rng, type GridCodebook, type QuantizedModel, type WeightSet, type WeightTensor } from "@quantforge/core";
import { CollectingDiagnostics, createRunContext } from "@quantforge/core/host";
import { shapedTensor } from "./samples.test-support.js";
import { laplacianDistortion, optimalXMax } from "@quantforge/theory-laplacian";
import { GLOBAL_CODEBOOK_ID, supportRegionQuantize, supportRegionQuantizer, type SupportRegionOptionsInput } from "./index.js";

const plugin = supportRegionQuantizer();
const run = (ws: WeightSet, o: SupportRegionOptionsInput) => supportRegionQuantize(ws, plugin.parseOptions(o));

/** Σ w² and Σ (w − ŵ)² over a quantized set, with core's dequantization (what evaluators see). */
function energies(ws: WeightSet, m: QuantizedModel): { signal: number; error: number } {
  const cbs = codebookMap(m);
  let signal = 0,
    error = 0;
  m.tensors.forEach((t, i) => {
    const w = ws[i]!.data,
      h = dequantizeTensor(t, cbs.get(t.codebook)!);
    for (let j = 0; j < w.length; j++) {
      signal += w[j]! * w[j]!;
      error += (w[j]! - h[j]!) ** 2;
    }
  });
  return { signal, error };
}

const sqnrDb = (ws: WeightSet, m: QuantizedModel): number => {
  const e = energies(ws, m);
  return 10 * Math.log10(e.signal / e.error);
};

function laplace(name: string, n: number, sigma: number, seed: number, mean = 0): WeightTensor {
  const r = new Rng(seed);
  return { name, shape: [n], data: Float32Array.from({ length: n }, () => mean + r.laplace(sigma)) };
}

describe("support choices", () => {
  const t = laplace("w", 100_000, 0.05, 1);

  it("optimal at 2 bits is the published design: x_max ≈ 2.175σ, SQNR ≈ 7.07 dB (theory and measured)", () => {
    const r = run([t], { bits: 2 });
    const cb = r.model.codebooks[0] as GridCodebook;
    expect(cb.kind).toBe("grid");
    expect(cb.levels).toBe(4);
    expect(cb.midtread).toBe(false);
    expect(cb.xMax).toBeCloseTo(2.1748, 4);
    expect(laplacianDistortion(4, cb.xMax, 1).sqnrDb).toBeCloseTo(7.07, 2);
    // 1e5 Laplacian samples: sampling noise of the measured SQNR is a few hundredths of a dB.
    expect(Math.abs(sqnrDb([t], r.model) - 7.07)).toBeLessThan(0.1);
    expect(r.details[0]).toMatchObject({ support: "optimal", origin: "rule", scope: "layer", degenerate: false, clamped: false });
  });

  it("iterative, sigma:k, value:x, max and percentile give the x_max they promise", () => {
    const { mu, sigma, maxDev, sorted } = statsOf(t.data);
    const x = (o: SupportRegionOptionsInput) => run([t], o).details[0]!.xMaxSigma;
    expect(x({ supportRegion: "iterative" })).toBeCloseTo(2.0016, 4);
    expect(x({ supportRegion: "sigma:3" })).toBe(3);
    expect(x({ supportRegion: "value:0.1" })).toBe(Math.fround(0.1 / sigma));
    expect(x({ supportRegion: "max" })).toBe(Math.fround(maxDev / sigma));
    expect(x({ supportRegion: "percentile:100" })).toBe(Math.fround(maxDev / sigma));
    // Deviations in units of σ, rounded to float32 like the quantizer's sort keys.
    const a = Float32Array.from(sorted, (v) => v * (1 / sigma));
    const h = (a.length - 1) * 0.999,
      i = Math.floor(h);
    expect(x({ supportRegion: "percentile:99.9" })).toBe(Math.fround(a[i]! + (h - i) * (a[i + 1]! - a[i]!)));
    expect(run([t], {}).details[0]!.mu).toBe(mu);
  });

  it("max gives a far lower SQNR than optimal at 2 bits (the naive min/max choice)", () => {
    expect(sqnrDb([t], run([t], { supportRegion: "max" }).model)).toBeLessThan(sqnrDb([t], run([t], {}).model) - 5);
  });

  it("removes the mean: μ is stored and the SQNR against Σw² follows 10·log10((σ² + μ²)/(σ²·D))", () => {
    const u = laplace("u", 100_000, 0.1, 2, 0.3);
    const r = run([u], { bits: 3 });
    const d = r.details[0]!;
    expect(d.mu).toBeCloseTo(0.3, 2);
    const D = laplacianDistortion(8, d.xMaxSigma, 1).total;
    const theory = 10 * Math.log10((d.sigma ** 2 + d.mu ** 2) / (d.sigma ** 2 * D));
    expect(Math.abs(sqnrDb([u], r.model) - theory)).toBeLessThan(0.1);
  });
});

function statsOf(a: Float32Array) {
  let s = 0;
  for (const v of a) s += v;
  const mu = Math.fround(s / a.length);
  let q = 0,
    maxDev = 0;
  const dev = new Float64Array(a.length);
  a.forEach((v, i) => {
    q += (v - mu) ** 2;
    dev[i] = Math.abs(v - mu);
    maxDev = Math.max(maxDev, dev[i]!);
  });
  const sigma = Math.fround(Math.sqrt(q / a.length));
  return { mu, sigma, maxDev, sorted: dev.sort() };
}

describe("midtread (exact zero)", () => {
  it("has N = 2^R − 1 levels, μ = 0, σ = RMS, the midtread optimal x_max, and reaches its theory SQNR", () => {
    const t = laplace("w", 100_000, 0.05, 1);
    for (const bits of [2, 3, 4]) {
      const r = run([t], { bits, midtread: true });
      const cb = r.model.codebooks[0] as GridCodebook;
      expect(cb).toMatchObject({ levels: 2 ** bits - 1, midtread: true, sigmaSource: "rms" });
      expect(cb.mu[0]).toBe(0);
      let s2 = 0;
      for (const v of t.data) s2 += v * v;
      expect(cb.sigma[0]).toBe(Math.fround(Math.sqrt(s2 / t.data.length)));
      expect(cb.xMax).toBe(Math.fround(optimalXMax(bits, { midtread: true })));
      const theory = laplacianDistortion(2 ** bits - 1, cb.xMax, 1, { midtread: true }).sqnrDb;
      if (bits < 4) expect(Math.abs(sqnrDb([t], r.model) - theory)).toBeLessThan(0.1);
    }
  });
  it("maps near-zero weights to exactly 0 where midrise moves them, in both scopes", () => {
    const data = new Float32Array(400);
    for (let i = 0; i < data.length; i++) data[i] = i % 50 === 0 ? 0.5 : 1e-4 * ((i % 3) - 1);
    const t: WeightTensor = { name: "w", shape: [400], data };
    for (const scope of ["layer", "global"] as const) {
      const mt = run([t], { bits: 3, midtread: true, scope, supportRegion: "max" });
      const mr = run([t], { bits: 3, scope, supportRegion: "max" });
      const dt = dequantizeTensor(mt.model.tensors[0]!, mt.model.codebooks[0]!);
      const dr = dequantizeTensor(mr.model.tensors[0]!, mr.model.codebooks[0]!);
      let zt = 0,
        zr = 0;
      for (let i = 0; i < data.length; i++)
        if (Math.abs(data[i]!) <= 1e-4) {
          zt += Math.abs(dt[i]!);
          zr += Math.abs(dr[i]!);
        }
      expect(zt).toBe(0);
      expect(zr).toBeGreaterThan(0);
      // max support: x_max = max|w|, the outliers land on the outer level (N − 1)/2·Δ = 3·(2·0.5/7).
      expect(dt[0]).toBeCloseTo((3 * 2 * 0.5) / 7, 6);
    }
  });
  it("codes re-quantize to themselves with core's requantize (the grid expression is shared)", () => {
    const t = laplace("w", 5000, 0.2, 4, 0.05);
    const r = run([t], { bits: 3, midtread: true, supportRegion: "percentile:99" });
    const cb = r.model.codebooks[0]!;
    const re = new Uint32Array(t.data.length);
    requantizeValues(cb, dequantizeTensor(r.model.tensors[0]!, cb), null, re);
    expect(Array.from(re)).toEqual(Array.from(r.model.tensors[0]!.codes));
  });
  it("rejects the midrise-only supports with midtread", () => {
    expect(() => plugin.parseOptions({ midtread: true, supportRegion: "mse" })).toThrow(/midrise/);
    expect(() => plugin.parseOptions({ midtread: true, supportRegion: "iterative" })).toThrow(/midrise/);
    expect(plugin.parseOptions({})).toMatchObject({ midtread: false });
  });
});

describe("per channel", () => {
  /** [rows, C] with channel c ~ Laplace(scale_c). */
  function channels(rows: number, scales: number[], seed: number): WeightTensor {
    const r = new Rng(seed),
      C = scales.length;
    return { name: "k", shape: [rows, C], data: Float32Array.from({ length: rows * C }, (_, i) => r.laplace(scales[i % C]!)) };
  }
  it("equals quantizing every channel on its own (design support), stores μ_c, σ_c and a channel grouping", () => {
    const t = channels(500, [0.01, 0.1, 1, 0.3], 3);
    for (const midtread of [false, true]) {
      const r = run([t], { bits: 3, granularity: "channel", midtread });
      const q = r.model.tensors[0]!,
        cb = r.model.codebooks[0] as GridCodebook;
      expect(q.grouping).toEqual({ kind: "channel", axis: 1 });
      expect(cb.sigma.length).toBe(4);
      for (let c = 0; c < 4; c++) {
        const col: WeightTensor = { name: "c", shape: [500], data: Float32Array.from({ length: 500 }, (_, i) => t.data[i * 4 + c]!) };
        const alone = run([col], { bits: 3, midtread });
        const acb = alone.model.codebooks[0] as GridCodebook;
        expect(cb.mu[c]).toBe(acb.mu[0]);
        expect(cb.sigma[c]).toBe(acb.sigma[0]);
        expect(cb.xMax).toBe(acb.xMax);
        expect(Array.from({ length: 500 }, (_, i) => q.codes[i * 4 + c])).toEqual(Array.from(alone.model.tensors[0]!.codes));
      }
      const re = new Uint32Array(t.data.length);
      requantizeValues(cb, dequantizeTensor(q, cb), codedGroups(q), re);
      expect(Array.from(re)).toEqual(Array.from(q.codes));
    }
  });
  it("beats per tensor by far when channel scales differ (max and mse supports too)", () => {
    const t = channels(400, [0.001, 0.01, 0.1, 1], 5);
    for (const supportRegion of ["optimal", "max", "mse"]) {
      const ch = run([t], { bits: 3, granularity: "channel", supportRegion });
      const te = run([t], { bits: 3, supportRegion });
      // Per-channel SQNR, averaged: per tensor the small channels drown in the large one's step.
      const meanChannelSqnr = (m: QuantizedModel) => {
        const dec = dequantizeTensor(m.tensors[0]!, m.codebooks[0]!);
        let sum = 0;
        for (let c = 0; c < 4; c++) {
          let s2 = 0,
            e2 = 0;
          for (let i = c; i < t.data.length; i += 4) {
            s2 += t.data[i]! ** 2;
            e2 += (t.data[i]! - dec[i]!) ** 2;
          }
          sum += 10 * Math.log10(s2 / e2);
        }
        return sum / 4;
      };
      expect(meanChannelSqnr(ch.model)).toBeGreaterThan(meanChannelSqnr(te.model) + 3);
      expect(ch.details[0]).toMatchObject({ channels: 4, support: supportRegion });
    }
  });
  it("keeps constant channels exact and rejects channel with global scope, value supports or a missing axis", () => {
    const t: WeightTensor = { name: "k", shape: [3, 2], data: Float32Array.of(0.5, 1, 0.5, -2, 0.5, 3) };
    const r = run([t], { bits: 2, granularity: "channel" });
    const dec = dequantizeTensor(r.model.tensors[0]!, r.model.codebooks[0]!);
    expect([dec[0], dec[2], dec[4]]).toEqual([0.5, 0.5, 0.5]);
    expect(() => plugin.parseOptions({ granularity: "channel", scope: "global" })).toThrow(/granularity/);
    expect(() => plugin.parseOptions({ granularity: "channel", supportRegion: "value:0.2" })).toThrow(/supportRegion/);
    expect(() => run([t], { granularity: "channel", axis: 2 })).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
  });
});

describe("scopes", () => {
  const ws = [laplace("a", 3000, 0.02, 3), laplace("b", 2000, 0.2, 4, 0.05)];

  it("global: one grid codebook with the μ, σ of all tensors, referenced by every tensor", () => {
    const r = run(ws, { scope: "global" });
    expect(r.model.codebooks.map((c) => c.id)).toEqual([GLOBAL_CODEBOOK_ID]);
    expect(r.model.tensors.map((t) => t.codebook)).toEqual([GLOBAL_CODEBOOK_ID, GLOBAL_CODEBOOK_ID]);
    const all = new Float32Array(5000);
    all.set(ws[0]!.data);
    all.set(ws[1]!.data, 3000);
    const { mu, sigma } = statsOf(all);
    const cb = r.model.codebooks[0] as GridCodebook;
    expect([cb.mu[0], cb.sigma[0], cb.sigmaSource]).toEqual([mu, sigma, "std"]);
  });

  it("layer: one codebook per tensor (id = tensor name) with its own μ_l, σ_l", () => {
    const r = run(ws, {});
    expect(r.model.codebooks.map((c) => c.id)).toEqual(["a", "b"]);
    ws.forEach((t, i) => {
      const cb = r.model.codebooks[i] as GridCodebook;
      expect([cb.mu[0], cb.sigma[0]]).toEqual([statsOf(t.data).mu, statsOf(t.data).sigma]);
    });
  });

  it("reports every tensor's choice as an info diagnostic", () => {
    const diagnostics = new CollectingDiagnostics();
    supportRegionQuantize(ws, plugin.parseOptions({ supportRegion: "mse", scope: "global" }), createRunContext({ diagnostics }));
    const info = diagnostics.items.filter((d) => d.ruleId === "support-choice");
    expect(info.map((d) => [d.severity, d.tensor])).toEqual([
      ["info", "a"],
      ["info", "b"],
    ]);
    expect(info[0]!.message).toMatch(/support mse .*x_max = [\d.]+σ.*global scope/);
  });
});

describe("degenerate inputs", () => {
  it("constant tensors, a single element and σ = 0 decode exactly, without NaN, in both scopes", () => {
    const ws: WeightSet = [
      { name: "c", shape: [5, 4], data: new Float32Array(20).fill(0.1) },
      { name: "one", shape: [1], data: Float32Array.of(-2.5) },
      { name: "z", shape: [3], data: new Float32Array(3) },
      { name: "empty", shape: [0], data: new Float32Array(0) },
    ];
    for (const supportRegion of ["optimal", "max", "percentile:50", "value:0.3", "mse"]) {
      const r = run(ws, { supportRegion });
      expect(r.details.map((d) => d.degenerate)).toEqual([true, true, true, true]);
      const cbs = codebookMap(r.model);
      r.model.tensors.forEach((t, i) => expect(dequantizeTensor(t, cbs.get(t.codebook)!)).toEqual(ws[i]!.data));
      expect(r.details.every((d) => d.maxAbsOverSigma === null && Number.isFinite(d.xMaxSigma))).toBe(true);
    }
    const g = run([ws[0]!, { name: "c2", shape: [2], data: new Float32Array(2).fill(0.1) }], { scope: "global", supportRegion: "mse" });
    expect(g.details.every((d) => d.degenerate)).toBe(true);
  });

  it("rejects non-finite weights with QF_NON_FINITE when called directly", () => {
    expect(() => run([{ name: "n", shape: [3], data: Float32Array.of(0, Infinity, 1) }], {})).toThrow(expect.objectContaining({ code: "QF_NON_FINITE" }));
  });

  it("a percentile of 0 is raised to the smallest support and reported as clamped", () => {
    const data = new Float32Array(100); // μ = 0 and 98 deviations of 0: the median |w − μ| is 0
    data[7] = 1;
    data[60] = -1;
    const diagnostics = new CollectingDiagnostics();
    const r = supportRegionQuantize([{ name: "s", shape: [100], data }], plugin.parseOptions({ supportRegion: "percentile:50" }), createRunContext({ diagnostics }));
    expect(r.details[0]).toMatchObject({ clamped: true, xMaxSigma: 2 ** -20 });
    expect(diagnostics.items.some((d) => d.ruleId === "support-clamped" && d.severity === "warning")).toBe(true);
  });
});

/** Tensors of several shapes of distribution (light, Laplacian, heavy-tailed, skewed, offset). */
const tensorArb = fc
  .record({
    kind: fc.constantFrom("laplace", "gauss", "uniform", "heavy", "skewed"),
    n: fc.integer({ min: 2, max: 3000 }),
    seed: fc.integer({ min: 0, max: 1e9 }),
    logSigma: fc.double({ min: -8, max: 3, noNaN: true }),
    mean: fc.double({ min: -1, max: 1, noNaN: true }),
  })
  .map(({ kind, n, seed, logSigma, mean }) => shapedTensor(kind, n, seed, Math.exp(logSigma), mean));

describe("mse (property)", () => {
  it("is never below optimal or max in measured SQNR on the same tensor at the same bits", () => {
    fc.assert(
      fc.property(tensorArb, fc.integer({ min: 2, max: 4 }), (t, bits) => {
        const ws = [t];
        const e = (supportRegion: string) => energies(ws, run(ws, { bits, supportRegion }).model).error;
        const mse = e("mse");
        // Same decoded values summed in the same order: the comparison is exact.
        expect(mse).toBeLessThanOrEqual(e("optimal"));
        expect(mse).toBeLessThanOrEqual(e("max"));
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it("global scope: never below optimal or max in overall measured SQNR", () => {
    fc.assert(
      fc.property(fc.array(tensorArb, { minLength: 2, maxLength: 3 }), fc.integer({ min: 2, max: 4 }), (ts, bits) => {
        const ws = ts.map((t, i) => ({ ...t, name: `t${i}` }));
        const e = (supportRegion: string) => energies(ws, run(ws, { bits, supportRegion, scope: "global" }).model).error;
        const mse = e("mse");
        expect(mse).toBeLessThanOrEqual(e("optimal"));
        expect(mse).toBeLessThanOrEqual(e("max"));
      }),
      { numRuns: 25, seed: 6 },
    );
  });
});

describe("layer-wise vs global (property)", () => {
  it("layer-wise beats global on Laplacian tensors whose scales differ by ≥ 1.5× with ≥ 1,000 weights each", () => {
    const setArb = fc.record({
      ratios: fc.array(fc.double({ min: 1.5, max: 4, noNaN: true }), { minLength: 1, maxLength: 3 }),
      sizes: fc.array(fc.integer({ min: 1000, max: 4000 }), { minLength: 4, maxLength: 4 }),
      logBase: fc.double({ min: -6, max: 2, noNaN: true }),
      seed: fc.integer({ min: 0, max: 1e9 }),
      rotate: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(setArb, fc.integer({ min: 2, max: 4 }), fc.constantFrom("optimal", "iterative", "sigma:3", "mse"), ({ ratios, sizes, logBase, seed, rotate }, bits, supportRegion) => {
        // Scales s_0 < s_1 < … with every consecutive (hence every) pair ≥ 1.5× apart, rotated so
        // the largest tensor is not always the widest.
        const scales = [Math.exp(logBase)];
        for (const r of ratios) scales.push(scales[scales.length - 1]! * r);
        const ws = scales.map((_, i) => laplace(`t${i}`, sizes[i]!, scales[(i + rotate) % scales.length]!, seed + i));
        const layer = sqnrDb(ws, run(ws, { bits, supportRegion }).model);
        const global = sqnrDb(ws, run(ws, { bits, supportRegion, scope: "global" }).model);
        expect(layer).toBeGreaterThan(global);
      }),
      { numRuns: 40, seed: 9 },
    );
  });
});

describe("determinism", () => {
  it("same input gives bit-identical codes and codebooks", () => {
    const ws = [laplace("a", 5000, 0.1, 8), laplace("b", 3000, 0.3, 9)];
    for (const scope of ["layer", "global"] as const) {
      const a = run(ws, { supportRegion: "mse", scope, bits: 3 }),
        b = run(ws, { supportRegion: "mse", scope, bits: 3 });
      expect(a.model.tensors.map((t) => t.codes)).toEqual(b.model.tensors.map((t) => t.codes));
      expect(a.model.codebooks).toEqual(b.model.codebooks);
    }
  });
});

describe("deprecated spelling scope: global", () => {
  const ws = [laplace("a", 3000, 0.02, 3), laplace("b", 2000, 0.2, 4, 0.05), laplace("c", 1000, 0.1, 5)];

  it("parses to scope joint: identical options, codes and codebooks", () => {
    expect(plugin.parseOptions({ scope: "global", supportRegion: "mse" })).toEqual(plugin.parseOptions({ scope: "joint", supportRegion: "mse" }));
    expect(plugin.optionAliases).toEqual({ scope: { global: "joint" } });
    expect(run(ws, { scope: "global", bits: 3 }).model).toEqual(run(ws, { scope: "joint", bits: 3 }).model);
  });

  it("a pipeline over several tensors reports exactly one deprecation warning, naming the new spelling", async () => {
    const { runPipeline } = await import("@quantforge/core/host");
    const old = await runPipeline({ weights: ws, quantizer: { plugin, options: { scope: "global" } } });
    expect(old.diagnostics.filter((d) => d.ruleId === "deprecated-option")).toEqual([{ severity: "warning", source: "support-region", ruleId: "deprecated-option", message: "option scope=global is deprecated; use scope=joint" }]);
    const neu = await runPipeline({ weights: ws, quantizer: { plugin, options: { scope: "joint" } } });
    expect(neu.diagnostics.filter((d) => d.ruleId === "deprecated-option")).toEqual([]);
    // Diagnostics keep the paper's word for the joint scope, as before the rename.
    expect(neu.diagnostics.filter((d) => d.ruleId === "support-choice").every((d) => d.message.includes("global scope"))).toBe(true);
  });
});
