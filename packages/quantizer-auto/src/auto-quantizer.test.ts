import {
  assertQuantizedModel,
  defineCoder,
  dequantizeModel,
  InvalidOptionsError,
  MissingCapabilityError,
  UnknownPluginError,
  z,
  type Coder,
  type ModelProbe,
  type QuantizedModel,
  type QuantizerPlugin,
  type WeightSet,
} from "@quantforge/core";
import { CollectingDiagnostics, createRunContext, DEFAULT_FIDELITY_SETTINGS, FidelityMeter, fidelityInputs, instantiate } from "@quantforge/core/host";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { describe, expect, it } from "vitest";
import { autoQuantizer, calibrationSeed, codedBits, defaultCandidates, outputDistortion } from "./index.js";
import { mlpProbe } from "./probe.test-support.js";

const plugins: QuantizerPlugin[] = [rtnQuantizer(), uniformMseQuantizer()];
/** The same plus `hessian-ecsq`, which brings the k-means candidate. */
const withKmeans: QuantizerPlugin[] = [...plugins, hessianEcsqQuantizer()];
const KMEANS = { mode: "kmeans", importance: "none", scope: "layer" } as const;
const WIDE_CANDIDATE_BITS = [2, 3, 4, 5, 6, 7, 8, 10, 12]; // rtn's cheap widths (its `auto` declaration)
const DEFAULT_CANDIDATES = defaultCandidates([...withKmeans].reverse()); // auto orders by `auto.order`, not registration

async function quantize(p: QuantizerPlugin, opts: Record<string, unknown>, model: ModelProbe, diagnostics = new CollectingDiagnostics()): Promise<QuantizedModel> {
  return instantiate(p, opts).quantize(model.weights, createRunContext({ seed: 1, model, diagnostics }));
}
async function distortion(model: ModelProbe, qm: QuantizedModel): Promise<number> {
  const meter = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 16 }, 1);
  return outputDistortion(await meter.measure(dequantizeModel(qm, model.weights) as WeightSet));
}
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
/** n values ≈ 1e-4 (random sign and size). */
const small = (n: number, r: () => number) => Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * 1e-4 * (0.2 + 1.6 * r()));
/**
 * One kernel `k` [in, out] as a model: y_c = Σ_j (x_j − 0.5) · k[j, c] · gain(j, c) — `gain` plays
 * the activations' scale (a tiny gain makes a weight matter little).
 */
function kernelProbe(id: string, shape: [number, number], W: Float32Array, gain: (j: number, c: number) => number): ModelProbe {
  const [In, Out] = shape;
  const G = Float32Array.from({ length: In * Out }, (_, i) => gain(Math.floor(i / Out), i % Out));
  const predictOutputs = async (ws: WeightSet, x: Float32Array, n: number) => {
    const K = ws[0]!.data,
      y = new Float32Array(n * Out);
    for (let i = 0; i < n; i++) for (let j = 0; j < In; j++) for (let c = 0; c < Out; c++) y[i * Out + c]! += (x[i * In + j]! - 0.5) * K[j * Out + c]! * G[j * Out + c]!;
    return [{ name: "y", shape: [Out], data: y }];
  };
  return { id, weights: [{ name: "k", shape, data: W, role: "weight" }], inputShape: [In], forward: { predict: async (ws, x, n) => (await predictOutputs(ws, x, n))[0]!.data, predictOutputs } };
}
const count = (m: ModelProbe) => m.weights.reduce((a, t) => a + t.data.length, 0);

describe("auto quantizer", () => {
  it("meets the bit budget and beats every single candidate method that fits the same size", async () => {
    const model = mlpProbe();
    for (const bits of [3, 4, 8]) {
      const diagnostics = new CollectingDiagnostics();
      const qm = await quantize(autoQuantizer({ plugins: withKmeans }), { bits }, model, diagnostics);
      assertQuantizedModel(qm, model.weights);
      const rate = codedBits(qm);
      expect(rate).toBeLessThanOrEqual(bits * count(model));
      const dAuto = await distortion(model, qm);
      const singles = [
        [rtnQuantizer(), { granularity: "channel", axis: -1 }],
        [rtnQuantizer(), { granularity: "channel", axis: -2 }],
        [rtnQuantizer(), { granularity: "tensor" }],
        [rtnQuantizer(), { granularity: "group", groupSize: 32 }],
        [rtnQuantizer(), { granularity: "group", groupSize: 128 }],
        [uniformMseQuantizer(), { granularity: "channel", axis: -1, midtread: true }],
        [uniformMseQuantizer(), {}],
        [hessianEcsqQuantizer(), KMEANS],
      ] as const;
      for (const [p, o] of singles) {
        for (const b of [2, 3, 4, 5, 6, 7, 8]) {
          const s = await quantize(p, { ...o, bits: b }, model);
          if (codedBits(s) > rate) continue;
          expect(dAuto).toBeLessThanOrEqual(await distortion(model, s));
        }
      }
      const summary = diagnostics.items.find((d) => d.ruleId === "summary")!;
      expect(summary.message).toMatch(/bits\/weight/);
    }
  });
  it("has input-channel rtn and k-means candidates and widths beyond 8 bits by default, within the default cap", () => {
    expect(DEFAULT_CANDIDATES).toEqual([
      { quantizer: "rtn", options: { granularity: "channel", axis: "output", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
      { quantizer: "rtn", options: { granularity: "channel", axis: "input", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
      { quantizer: "rtn", options: { granularity: "group", groupSize: 32, zero: "exact" }, bits: [2, 3, 4, 5, 6, 7, 8, 10] },
      { quantizer: "rtn", options: { granularity: "group", groupSize: 128, zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
      { quantizer: "rtn", options: { granularity: "tensor", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
      { quantizer: "uniform-mse", options: { granularity: "channel", axis: "output", midtread: true } },
      { quantizer: "uniform-mse", options: { granularity: "tensor" } },
      { quantizer: "hessian-ecsq", options: { mode: "kmeans", importance: "none", scope: "layer" } },
    ]);
    expect(WIDE_CANDIDATE_BITS).toEqual([2, 3, 4, 5, 6, 7, 8, 10, 12]);
    // rtn 9 + 9 + 8 + 9 + 9, uniform-mse 7 + 7, k-means 7 = 65 ≤ 72 (the default cap); without
    // hessian-ecsq registered the k-means candidate is skipped: 58.
    expect(instantiate(autoQuantizer({ plugins: withKmeans }), {}).id).toBe("auto");
    expect(() => instantiate(autoQuantizer({ plugins: withKmeans }), { maxCandidates: 64 })).toThrow(/65 candidates/);
    expect(instantiate(autoQuantizer({ plugins: withKmeans }), { maxCandidates: 65 }).id).toBe("auto");
    expect(() => instantiate(autoQuantizer({ plugins }), { maxCandidates: 57 })).toThrow(/58 candidates/);
  });
  it("sweeps each candidate's own widths; candidateBits overrides the defaults' lists but not a listed candidate's", () => {
    const count = (o: Record<string, unknown>, p = withKmeans) => {
      try {
        instantiate(autoQuantizer({ plugins: p }), { ...o, maxCandidates: 1 });
        return 1;
      } catch (e) {
        return Number(/but (\d+) candidates/.exec((e as Error).message)?.[1]);
      }
    };
    expect(count({ candidateBits: [8] })).toBe(8);
    expect(count({ candidateBits: [4, 8] })).toBe(16);
    expect(count({ candidates: [{ quantizer: "rtn", options: { granularity: "tensor" }, bits: [3, 10, 12] }] })).toBe(3);
    expect(
      count({
        candidates: [
          { quantizer: "rtn", bits: [3, 10] },
          { quantizer: "rtn", options: { granularity: "channel", axis: -2 } },
        ],
        candidateBits: [4, 6, 8],
      }),
    ).toBe(5);
    expect(count({ candidates: [{ quantizer: "rtn", options: { bits: 6 }, bits: [3, 10] }] })).toBe(1);
    // No listed widths and no candidateBits: 2–8.
    expect(count({ candidates: [{ quantizer: "hessian-ecsq", options: KMEANS }] })).toBe(7);
  });
  it("picks per-group rtn for a kernel whose outliers sit in every output channel but few input rows", async () => {
    // [in=64, out=8]: every output column has one outlier, all in input rows 0–7, so per channel
    // gets a coarse grid everywhere while groups of 32 (4 input rows each) are coarse only in the first 2.
    const r = (() => {
      let s = 7;
      return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    })();
    const In = 64,
      Out = 8;
    const W = Float32Array.from({ length: In * Out }, () => (r() < 0.5 ? -1 : 1) * 1e-4 * (0.2 + 1.6 * r()));
    for (let c = 0; c < Out; c++) W[c * Out + c] = c % 2 ? 0.5 : -0.45;
    const weights: WeightSet = [{ name: "k", shape: [In, Out], data: W, role: "weight" }];
    const predictOutputs = async (ws: WeightSet, x: Float32Array, n: number) => {
      const K = ws[0]!.data,
        y = new Float32Array(n * Out);
      // Rows 0–7 see inputs 1e-3 × smaller, so the output is carried by the ≈ 1e-4 weights.
      for (let i = 0; i < n; i++) for (let j = 0; j < In; j++) for (let c = 0; c < Out; c++) y[i * Out + c]! += (j < 8 ? 1e-3 : 1) * (x[i * In + j]! - 0.5) * K[j * Out + c]!;
      return [{ name: "y", shape: [Out], data: y }];
    };
    const model: ModelProbe = { id: "rows", weights, inputShape: [In], forward: { predict: async (ws, x, n) => (await predictOutputs(ws, x, n))[0]!.data, predictOutputs } };
    // A budget that affords every 8-bit candidate with its scales: auto takes the lowest output error.
    const diagnostics = new CollectingDiagnostics();
    const qm = await quantize(autoQuantizer({ plugins }), { bits: 12, candidateBits: [8], samples: 8 }, model, diagnostics);
    const choice = diagnostics.items.find((d) => d.ruleId === "choice")!;
    expect(choice.message).toMatch(/granularity=group/);
    const ch = await quantize(rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }, model);
    expect(await distortion(model, qm)).toBeLessThan(await distortion(model, ch));
  });
  it("picks the input-channel grid for a kernel whose outliers fill two input rows (every output channel holds one)", async () => {
    // [in=16, out=96]: rows 2 and 9 are near ±0.5 in every column, the rest ≈ 1e-4. Per output
    // channel every grid is set by an outlier; groups of 32/128 cost more scales (group128 also
    // straddles rows); one grid per input row isolates the two rows for 0.67 bits/weight of scales.
    const r = lcg(11);
    const In = 16,
      Out = 96,
      rows = [2, 9];
    const W = small(In * Out, r);
    for (const j of rows) for (let c = 0; c < Out; c++) W[j * Out + c] = (r() < 0.5 ? -1 : 1) * (0.4 + 0.2 * r());
    // The outlier rows see 1e-3 × smaller inputs, so the output is carried by the ≈ 1e-4 weights.
    const model = kernelProbe("rows", [In, Out], W, (j) => (rows.includes(j) ? 1e-3 : 1));
    const diagnostics = new CollectingDiagnostics();
    const qm = await quantize(autoQuantizer({ plugins: withKmeans }), { bits: 9, samples: 64 }, model, diagnostics);
    expect(codedBits(qm)).toBeLessThanOrEqual(9 * In * Out);
    expect(diagnostics.items.find((d) => d.ruleId === "choice")!.message).toMatch(/rtn:granularity=channel,axis=input/);
    // Per-output-channel 8-bit spends 12 bits/weight and is still far worse.
    const ch = await quantize(rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }, model);
    expect(await distortion(model, qm)).toBeLessThan((await distortion(model, ch)) / 10);
  });
  it("picks k-means for ≈ 1e-4 weights with a handful of ±0.5 outliers in every row and column", async () => {
    // [32, 32] with outliers on the diagonal: every output channel, input channel and group of
    // 32 (one row) holds one, so every affine grid is coarse; k-means spends a few levels on them.
    const r = lcg(5);
    const N = 32;
    const W = small(N * N, r);
    for (let i = 0; i < N; i++) W[i * N + i] = (i % 2 ? -1 : 1) * (0.4 + 0.2 * r());
    // The outliers' inputs are 1e-3 × smaller (as after a batch norm), so the output rests on the small weights.
    const model = kernelProbe("diag", [N, N], W, (j, c) => (j === c ? 1e-3 : 1));
    const diagnostics = new CollectingDiagnostics();
    const qm = await quantize(autoQuantizer({ plugins: withKmeans }), { bits: 10, samples: 64 }, model, diagnostics);
    expect(diagnostics.items.find((d) => d.ruleId === "choice")!.message).toMatch(/hessian-ecsq:mode=kmeans/);
    // Its codebook is an explicit level list, counted in the rate (float32 per level).
    expect(qm.codebooks[0]!.kind).toBe("levels");
    expect(codedBits(qm)).toBeLessThanOrEqual(10 * N * N);
    // Exact k-means keeps most of its levels for the small weights (0.018 measured; with the
    // unrefined 4,096-bin histogram start they got 2 levels: 0.24), where per-channel 8-bit loses them.
    expect(Math.sqrt(await distortion(model, qm))).toBeLessThan(0.05);
    const ch = await quantize(rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }, model);
    expect(Math.sqrt(await distortion(model, ch))).toBeGreaterThan(0.5);
  });
  it("counts a k-means codebook exactly: ⌈log2 K⌉ bits per code plus the serialized float32 levels", async () => {
    const model = mlpProbe();
    const t = model.weights[2]!; // s/kernel [24, 2]: 48 values, 4-bit k-means
    const qm = await quantize(hessianEcsqQuantizer(), { ...KMEANS, bits: 4 }, { ...model, weights: [t] });
    const cb = qm.codebooks[0]!;
    if (cb.kind !== "levels") throw new Error("expected a levels codebook");
    const K = cb.levels.length;
    // kind byte + id (varint length + UTF-8) + varint(K) + 4 bytes per level.
    const header = 1 + 1 + new TextEncoder().encode(cb.id).length + 1;
    expect(codedBits(qm)).toBe(t.data.length * Math.ceil(Math.log2(K)) + 8 * (header + 4 * K));
  });
  it("skips a candidate that does not fit a tensor (axis −2 of a rank-1 tensor) once, not per width", async () => {
    const base = mlpProbe();
    const v: WeightSet = [...base.weights, { name: "v", shape: [6], data: Float32Array.from([0.1, -0.2, 0.3, 0.05, -0.4, 0.2]), role: "weight" }];
    const model: ModelProbe = { ...base, weights: v };
    const diagnostics = new CollectingDiagnostics();
    const candidates = [{ quantizer: "rtn", options: { granularity: "channel", axis: -2 } }, { quantizer: "rtn" }];
    const qm = await quantize(autoQuantizer({ plugins }), { bits: 6, samples: 8, candidates }, model, diagnostics);
    assertQuantizedModel(qm, v);
    const failed = diagnostics.items.filter((d) => d.ruleId === "candidate-failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.tensor).toBe("v");
    expect(failed[0]!.message).toMatch(/axis=-2/);
    // The default input-channel candidate ("input") resolves to the only axis of a rank-1 tensor.
    const d2 = new CollectingDiagnostics();
    await quantize(autoQuantizer({ plugins }), { bits: 6, samples: 8, candidateBits: [4, 8] }, model, d2);
    expect(d2.items.filter((d) => d.ruleId === "candidate-failed")).toHaveLength(0);
  });
  it("gives the fragile tensor more bits than the others", async () => {
    const model = mlpProbe({ gain: 100 });
    const qm = await quantize(autoQuantizer({ plugins }), { bits: 4 }, model);
    const per = (name: string) => {
      const t = qm.tensors.find((x) => x.name === name)!;
      return codedBits({ codebooks: qm.codebooks.filter((c) => c.id === t.codebook), tensors: [t] }) / t.codes.length;
    };
    expect(per("d2/kernel")).toBeGreaterThan(per("d1/kernel"));
  });
  it("is deterministic, uses a byte budget, and has unique codebook ids", async () => {
    const model = mlpProbe();
    const bytes = 600;
    const a = await quantize(autoQuantizer({ plugins }), { bytes }, model);
    const b = await quantize(autoQuantizer({ plugins, cache: new WeakMap() }), { bytes }, model);
    expect(a).toEqual(b);
    expect(codedBits(a)).toBeLessThanOrEqual(8 * bytes);
    expect(new Set(a.codebooks.map((c) => c.id)).size).toBe(a.codebooks.length);
  });
  it("reuses its measurements across budgets on the same model and weights (same results as a fresh descriptor), but not across changed weights", async () => {
    const base = mlpProbe();
    let calls = 0;
    const model: ModelProbe = {
      ...base,
      forward: {
        predict: base.forward!.predict,
        predictOutputs: async (ws, x, n) => {
          calls++;
          return base.forward!.predictOutputs!(ws, x, n);
        },
      },
    };
    const shared = autoQuantizer({ plugins, cache: new WeakMap() });
    const a4 = await quantize(shared, { bits: 4, samples: 16 }, model);
    const first = calls;
    const a6 = await quantize(shared, { bits: 6, samples: 16 }, model);
    // Only the float reference and the end-to-end checks (greedy + one per single method) run again.
    expect(calls - first).toBeLessThanOrEqual(2 + DEFAULT_CANDIDATES.length);
    expect(first).toBeGreaterThan(3 * 20);
    expect(a6).toEqual(await quantize(autoQuantizer({ plugins, cache: new WeakMap() }), { bits: 6, samples: 16 }, model));
    expect(a4).toEqual(await quantize(autoQuantizer({ plugins, cache: new WeakMap() }), { bits: 4, samples: 16 }, model));
    // Other weight values (same names and shapes) are measured anew.
    const changed = model.weights.map((t, i) => (i === 0 ? { ...t, data: t.data.map((v) => v * 0.5) } : t));
    const before = calls;
    await instantiate(shared, { bits: 4, samples: 16 }).quantize(changed, createRunContext({ seed: 1, model }));
    expect(calls - before).toBeGreaterThan(10);
  });
  it("calibrates on random inputs of its own stream, not the ones the fidelity evaluator draws by default for the same seed", () => {
    const model = mlpProbe();
    const settings = { ...DEFAULT_FIDELITY_SETTINGS, samples: 16 };
    for (const seed of [0, 1, 42]) {
      const evalInputs = fidelityInputs(model, settings, seed).inputs;
      const calInputs = fidelityInputs(model, settings, calibrationSeed(seed)).inputs;
      expect(calInputs).not.toEqual(evalInputs);
      expect(calibrationSeed(seed)).toBe(calibrationSeed(seed));
    }
  });
  it("calibrates on calibration rows or random inputs, never on the model's test set", async () => {
    const base = mlpProbe();
    const rows = (n: number, v: number) => ({ count: n, sampleShape: [24], inputs: new Float32Array(n * 24).fill(v), labels: new Int32Array(n), classes: 6 });
    const seen: number[] = [];
    const spy = (m: ModelProbe): ModelProbe => ({
      ...m,
      forward: {
        predict: m.forward!.predict,
        predictOutputs: async (ws, x, n) => {
          seen.push(x[0]!);
          return m.forward!.predictOutputs!(ws, x, n);
        },
      },
    });
    for (const [extra, expected] of [
      [{ testSet: rows(8, 7) }, "random"],
      [{ testSet: rows(8, 7), calibrationSet: rows(8, 3) }, "calibration"],
    ] as const) {
      seen.length = 0;
      const diagnostics = new CollectingDiagnostics();
      await quantize(autoQuantizer({ plugins }), { bits: 4, samples: 8, candidateBits: [4] }, spy({ ...base, ...extra } as ModelProbe), diagnostics);
      expect(seen).not.toContain(7);
      expect(diagnostics.items.find((d) => d.ruleId === "summary")!.message).toMatch(new RegExp(`${expected} samples`));
    }
  });
  it("fails with typed errors: no forward pass, unknown or invalid candidates, too many candidates", async () => {
    const model = mlpProbe();
    await expect(quantize(autoQuantizer({ plugins }), {}, { id: "x", weights: model.weights })).rejects.toBeInstanceOf(MissingCapabilityError);
    expect(() => instantiate(autoQuantizer({ plugins }), { candidates: [{ quantizer: "nope" }] })).toThrow(InvalidOptionsError);
    expect(() => instantiate(autoQuantizer({ plugins }), { candidates: [{ quantizer: "rtn", options: { granularity: "diagonal" } }] })).toThrow(InvalidOptionsError);
    expect(() => instantiate(autoQuantizer({ plugins }), { maxCandidates: 3 })).toThrow(/maxCandidates/);
    expect(() => instantiate(autoQuantizer(), {})).toThrow(InvalidOptionsError);
    // A lazily given list may contain auto itself; it is never its own candidate.
    const self: QuantizerPlugin[] = [];
    const auto = autoQuantizer({ plugins: () => self });
    self.push(auto, ...plugins);
    expect(instantiate(auto, { candidates: [{ quantizer: "rtn" }] }).id).toBe("auto");
    expect(() => instantiate(auto, { candidates: [{ quantizer: "auto" }] })).toThrow(InvalidOptionsError);
  });
});

describe("auto quantizer with a coder (option coder)", () => {
  // An ideal coder of skewed codes: one bit per code whatever the codebook size, plus one byte.
  const oneBit = defineCoder({
    id: "one-bit",
    version: "0.0.0",
    description: "test coder: ⌈n/8⌉ + 1 bytes",
    options: z.object({}).strict(),
    create: (): Coder => ({
      id: "one-bit",
      encode: (t) => new Uint8Array(Math.ceil(t.codes.length / 8) + 1),
      decode: () => {
        throw new Error("not needed");
      },
    }),
  });
  const registered = () => [...withKmeans, oneBit];

  it("measures candidate sizes with the coder's real bytes, so the same budget buys wider codes", async () => {
    const model = mlpProbe();
    const plain = await quantize(autoQuantizer({ plugins: registered }), { bits: 3 }, model);
    const coded = await quantize(autoQuantizer({ plugins: registered }), { bits: 3, coder: "one-bit" }, model);
    const coder = instantiate(oneBit);
    expect(codedBits(plain)).toBeLessThanOrEqual(3 * count(model));
    expect(codedBits(coded, coder)).toBeLessThanOrEqual(3 * count(model));
    // Sized as fixed-length codes, the coder-sized choice would be far over the 3-bit budget.
    expect(codedBits(coded)).toBeGreaterThan(3 * count(model));
    expect(await distortion(model, coded)).toBeLessThan(await distortion(model, plain));
  });

  it("names the registered coders when the coder is unknown", () => {
    expect(() => instantiate(autoQuantizer({ plugins: registered }), { coder: "nope" })).toThrow(UnknownPluginError);
    expect(() => instantiate(autoQuantizer({ plugins: registered }), { coder: "nope" })).toThrow(/one-bit/);
  });
});
