import { test as fcTest, fc } from "@fast-check/vitest";
import { dequantizeTensor, requantizeTensor, shapeSize, type AffineCodebook, type QuantizedTensor, type RunContext, type WeightTensor } from "@quantforge/core";
import { createRunContext, CollectingDiagnostics } from "@quantforge/core/host";
import { describe, expect, it } from "vitest";
import { FLT_MAX, groupMinMax, layoutGroups, roundHalfEven, rtnLevels, rtnQuantize } from "./rtn-impl.js";
import { rtnGrouping, rtnOptionsSchema, rtnQuantizeTensor, type RtnOptions, type RtnOptionsInput } from "./rtn-quantizer.js";

const opts = (o: RtnOptionsInput = {}): RtnOptions => rtnOptionsSchema.parse(o);

/** Quantizes one tensor and decodes it with core's fixed float32 expression. */
function roundTrip(t: WeightTensor, o: RtnOptions, ctx?: RunContext) {
  const q = rtnQuantizeTensor(t, o, ctx);
  const cb = { ...q.codebook, id: t.name } as AffineCodebook;
  const qt: QuantizedTensor = { name: t.name, shape: t.shape, codebook: t.name, grouping: q.grouping, codes: q.codes };
  return { q, cb, qt, decoded: dequantizeTensor(qt, cb) };
}

/** Options whose channel axis is an index (as {@link caseArb} draws them), for the reference computations. */
type IndexAxisOptions = RtnOptions & { readonly axis: number };

/** Group of element `i`, computed independently of the implementation (unravel the flat index). */
function refGroup(shape: readonly number[], o: IndexAxisOptions, i: number): number {
  if (o.granularity === "tensor" || shape.length === 0) return 0;
  if (o.granularity === "group") return Math.floor(i / o.groupSize);
  const axis = o.axis < 0 ? shape.length + o.axis : o.axis;
  let rest = i;
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
  }
  return coords[axis]!;
}

/** The next float32 above a positive float32. */
function nextUp32(x: number): number {
  const f = new Float32Array([x]);
  new Uint32Array(f.buffer)[0]! += 1;
  return f[0]!;
}

/** float32 ulp-scale slack of a reconstructed value: fround adds at most half an ulp. */
const roundSlack = (v: number) => Math.abs(v) * 2 ** -24 + 2 ** -150;

const shapeArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 });
const tensorArb = (lo = -1e3, hi = 1e3) =>
  shapeArb.chain((shape) =>
    fc.float32Array({ minLength: shapeSize(shape), maxLength: shapeSize(shape), noNaN: true, noDefaultInfinity: true, min: Math.fround(lo), max: Math.fround(hi) }).map((a): WeightTensor => ({ name: "w", shape, data: new Float32Array(a) })),
  );
const optionsArb = fc
  .record({
    bits: fc.integer({ min: 1, max: 16 }),
    scheme: fc.constantFrom("asymmetric" as const, "symmetric" as const),
    zero: fc.constantFrom("exact" as const, "free" as const),
    granularity: fc.constantFrom("tensor" as const, "channel" as const, "group" as const),
    axis: fc.integer({ min: -3, max: 2 }),
    groupSize: fc.integer({ min: 1, max: 20 }),
  })
  .map((o) => ({ ...o, bits: o.scheme === "symmetric" ? Math.max(2, o.bits) : o.bits, zero: o.scheme === "symmetric" ? ("exact" as const) : o.zero }));
/** A tensor plus options whose channel axis exists in it. */
const caseArb = (lo?: number, hi?: number) =>
  fc.tuple(tensorArb(lo, hi), optionsArb).map(([t, o]) => {
    const r = t.shape.length;
    const axis = (((o.axis % r) + r) % r) - (o.axis < 0 ? r : 0);
    // The schema keeps an integer axis as it is; spreading it again types `o.axis` as that index.
    return { t, o: { ...opts({ ...o, axis }), axis } };
  });

describe("rtn grid", () => {
  fcTest.prop([caseArb()], { numRuns: 300 })("every weight inside the stored grid is within s/2 of its reconstruction", ({ t, o }) => {
    const { cb, qt, decoded } = roundTrip(t, o);
    const L = cb.levels;
    for (let i = 0; i < t.data.length; i++) {
      const g = cb.scale.length === 1 ? 0 : refGroup(t.shape, o, i);
      const s = cb.scale[g]!,
        z = cb.zeroPoint[g]!;
      const lo = Math.fround((0 - z) * s),
        hi = Math.fround((L - 1 - z) * s);
      const w = t.data[i]!;
      expect(Number.isFinite(decoded[i]!)).toBe(true);
      expect(qt.codes[i]!).toBeLessThan(L);
      if (w >= lo && w <= hi) expect(Math.abs(w - decoded[i]!)).toBeLessThanOrEqual((s / 2) * (1 + 1e-12) + roundSlack(decoded[i]!));
    }
  });

  fcTest.prop([caseArb()], { numRuns: 300 })("every weight, inside the grid or clipped to it, is within s/2 (the nudge moves the grid by at most half a step)", ({ t, o }) => {
    const diagnostics = new CollectingDiagnostics();
    const { cb, decoded } = roundTrip(t, o, createRunContext({ diagnostics }));
    expect(diagnostics.items.filter((d) => d.ruleId === "range-clipped")).toEqual([]); // only at ±FLT_MAX (tested below)
    for (let i = 0; i < t.data.length; i++) {
      const k = cb.scale.length === 1 ? 0 : refGroup(t.shape, o, i);
      expect(Math.abs(t.data[i]! - decoded[i]!)).toBeLessThanOrEqual((cb.scale[k]! / 2) * (1 + 1e-12) + roundSlack(decoded[i]!));
    }
  });

  fcTest.prop([caseArb()], { numRuns: 200 })("re-quantizing the decoded weights with the stored parameters reproduces the codes", ({ t, o }) => {
    const { cb, qt, decoded } = roundTrip(t, o);
    expect(Array.from(requantizeTensor(qt, cb, decoded))).toEqual(Array.from(qt.codes));
  });

  fcTest.prop([caseArb(), fc.integer({ min: 0, max: 1000 })], { numRuns: 200 })("zero=exact: 0 is exactly a level whenever min ≤ 0 ≤ max, and zeros decode to +0", ({ t, o }, k) => {
    fc.pre(o.zero === "exact");
    const data = new Float32Array(t.data);
    data[k % data.length] = 0; // guarantee 0 ∈ [min, max] of that element's group
    const t0 = { ...t, data };
    const { cb, decoded } = roundTrip(t0, o);
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0) continue;
      const g = cb.scale.length === 1 ? 0 : refGroup(t.shape, o, i);
      const z = cb.zeroPoint[g]!;
      expect(Number.isInteger(z)).toBe(true);
      expect(Math.fround((z - z) * cb.scale[g]!)).toBe(0);
      expect(decoded[i]).toBe(0);
    }
  });

  fcTest.prop([tensorArb(), fc.integer({ min: 2, max: 16 })], { numRuns: 200 })("symmetric: 2^b − 1 levels, z = 2^(b−1) − 1, levels mirror around 0, scale = max|w|/z", (t, bits) => {
    const { cb } = roundTrip(t, opts({ bits, scheme: "symmetric" }));
    const zc = 2 ** (bits - 1) - 1;
    expect(cb.levels).toBe(2 ** bits - 1);
    expect(cb.zeroPoint[0]).toBe(zc);
    const s = cb.scale[0]!;
    for (let k = 1; k <= zc; k += Math.max(1, zc >> 4)) {
      expect(Math.fround((zc + k - zc) * s)).toBe(-Math.fround((zc - k - zc) * s));
    }
    let a = 0,
      lo = Infinity,
      hi = -Infinity;
    for (const v of t.data) {
      a = Math.max(a, Math.abs(v));
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (lo === hi) return; // constant tensors are stored exactly with s = |c| (tested below)
    // The nearest float32 to max|w|/z, moved up an ulp when needed so the grid covers ±max|w|.
    expect(s * zc).toBeGreaterThanOrEqual(a);
    expect(Math.abs(s - a / zc)).toBeLessThanOrEqual(s * 2 ** -23 + 2 ** -149);
  });

  it("asymmetric 8-bit on [−1, 3]: tfjs-converter's nudged zero point, codes and clipping", () => {
    const t: WeightTensor = { name: "w", shape: [4], data: new Float32Array([-1, -0.25, 0.5, 3]) };
    const { cb, qt, decoded } = roundTrip(t, opts());
    // scale = 4/255; −min/scale = 63.75 → z = 64, grid [−64·s, 191·s] = [−1.0039, 2.9961].
    const s = Math.fround(4 / 255);
    expect(cb.scale[0]).toBe(s);
    expect(cb.zeroPoint[0]).toBe(64);
    expect(cb.levels).toBe(256);
    // −1 → 0.25 → 0; −0.25 → 48.06 → 48; 0.5 → 95.875 → 96; 3 → 255.25 → 255.
    expect(Array.from(qt.codes)).toEqual([0, 48, 96, 255]);
    // 3 is clipped to the nudged grid's top level 191·s (by s/4, within half a step).
    expect(decoded[3]).toBe(Math.fround(191 * s));
  });

  it("asymmetric zero=free starts the grid at min (zero point −min/s, not an integer)", () => {
    const data = new Float32Array([-1.1, 0.35, 2]);
    const t: WeightTensor = { name: "w", shape: [3], data };
    const { cb, qt, decoded } = roundTrip(t, opts({ bits: 4, zero: "free" }));
    // The nearest float32 to (max − min)/15, or the next one up when that grid falls short of max.
    const s = cb.scale[0]!,
      nearest = Math.fround((2 - data[0]!) / 15);
    expect(s === nearest || (nearest * 15 < 2 - data[0]! && s === nextUp32(nearest))).toBe(true);
    expect(s * 15).toBeGreaterThanOrEqual(2 - data[0]!);
    expect(cb.zeroPoint[0]).toBe(Math.fround(-data[0]! / s));
    expect(Number.isInteger(cb.zeroPoint[0])).toBe(false);
    // 0.35 sits 7.016 steps above min.
    expect(Array.from(qt.codes)).toEqual([0, 7, 15]);
    expect(Math.abs(decoded[0]! - data[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(decoded[2]! - 2)).toBeLessThan(1e-6);
  });

  it("zero=exact does not nudge when 0 is outside [min, max] (tfjs: only nudge if 0 is covered)", () => {
    const t: WeightTensor = { name: "w", shape: [3], data: new Float32Array([1, 2, 4]) };
    const exact = roundTrip(t, opts({ bits: 3 }));
    const free = roundTrip(t, opts({ bits: 3, zero: "free" }));
    expect(exact.cb.zeroPoint[0]).toBe(free.cb.zeroPoint[0]);
    expect(exact.cb.zeroPoint[0]).toBe(Math.fround(-1 / Math.fround(3 / 7)));
  });

  it("roundHalfEven matches numpy's np.round", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 128, 2, -3]);
  });

  it("level counts", () => {
    expect(rtnLevels(8, "asymmetric")).toBe(256);
    expect(rtnLevels(8, "symmetric")).toBe(255);
    expect(rtnLevels(16, "asymmetric")).toBe(65536);
  });
});

describe("degenerate groups", () => {
  const cases: [string, number[], number[]][] = [
    ["constant positive", [4], [0.75, 0.75, 0.75, 0.75]],
    ["constant negative", [2, 2], [-3.5, -3.5, -3.5, -3.5]],
    ["all zero", [3], [0, 0, 0]],
    ["single element", [1, 1], [-0.3125]],
    ["subnormal constant", [2], [1e-45, 1e-45]],
    ["float32 max constant", [2], [FLT_MAX, FLT_MAX]],
    ["empty", [0, 3], []],
  ];
  for (const [label, shape, values] of cases) {
    for (const o of [opts(), opts({ zero: "free", bits: 1 }), opts({ scheme: "symmetric", bits: 2 }), opts({ granularity: "channel", bits: 3 }), opts({ granularity: "group", groupSize: 3 })]) {
      it(`${label} reconstructs exactly (${o.scheme}/${o.zero}/${o.granularity}/${o.bits} bits)`, () => {
        const t: WeightTensor = { name: "w", shape, data: new Float32Array(values) };
        const { cb, decoded } = roundTrip(t, o);
        expect(Array.from(decoded)).toEqual(Array.from(t.data).map((v) => v + 0)); // −0 → +0 allowed
        for (const s of cb.scale) expect(Number.isFinite(s) && s > 0).toBe(true);
        for (const z of cb.zeroPoint) expect(Number.isFinite(z)).toBe(true);
      });
    }
  }

  it("reports constant groups as an info diagnostic", () => {
    const diagnostics = new CollectingDiagnostics();
    const ctx = createRunContext({ diagnostics });
    const t: WeightTensor = { name: "k", shape: [2, 3], data: new Float32Array([1, 2, 3, 1, 5, 3]) };
    rtnQuantizeTensor(t, opts({ granularity: "channel", axis: 1 }), ctx);
    expect(diagnostics.items).toEqual([expect.objectContaining({ severity: "info", source: "rtn", ruleId: "constant-group", tensor: "k" })]);
    expect(diagnostics.items[0]!.message).toContain("2 of 3 group(s)");
  });

  it("a constant channel inside a varying tensor is exact while the others are quantized", () => {
    const t: WeightTensor = { name: "k", shape: [3, 2], data: new Float32Array([0.1, 7, 0.2, 7, 0.35, 7]) };
    const { decoded } = roundTrip(t, opts({ granularity: "channel", axis: -1, bits: 2 }));
    expect([decoded[1], decoded[3], decoded[5]]).toEqual([7, 7, 7]);
  });
});

describe("float32 edge ranges", () => {
  function run(values: number[], o: RtnOptions) {
    const t: WeightTensor = { name: "big", shape: [values.length], data: new Float32Array(values) };
    const diagnostics = new CollectingDiagnostics();
    const q = rtnQuantizeTensor(t, o, createRunContext({ diagnostics }));
    const cb = { ...q.codebook, id: "big" } as AffineCodebook;
    const decoded = dequantizeTensor({ name: "big", shape: t.shape, codebook: "big", grouping: q.grouping, codes: q.codes }, cb);
    return { t, cb, decoded, clipped: diagnostics.items.some((d) => d.ruleId === "range-clipped") };
  }
  const withMax = [3e38, -3e38, FLT_MAX, -FLT_MAX, 0, 1e30];
  const large = [3e38, -3e38, 0, 1e30, -2.5e37];
  for (const bits of [1, 2, 8, 16]) {
    for (const zero of ["exact", "free"] as const) {
      it(`±FLT_MAX at ${bits} bits (${zero}): finite levels; error ≤ s/2 unless the group is reported clipped`, () => {
        for (const values of [withMax, large]) {
          const { t, cb, decoded, clipped } = run(values, opts({ bits, zero }));
          for (const v of decoded) expect(Number.isFinite(v)).toBe(true);
          for (const v of [0, cb.levels - 1]) expect(Number.isFinite(Math.fround((v - cb.zeroPoint[0]!) * cb.scale[0]!))).toBe(true);
          if (!clipped) for (let i = 0; i < values.length; i++) expect(Math.abs(t.data[i]! - decoded[i]!)).toBeLessThanOrEqual((cb.scale[0]! / 2) * (1 + 1e-12) + roundSlack(decoded[i]!));
        }
      });
    }
  }
  it("a 1-bit zero=exact grid over more than FLT_MAX is reported clipped; free 1-bit and ±3e38 at 8 and 16 bits are not", () => {
    // free: the capped step FLT_MAX centred on the range gives levels ±FLT_MAX/2, within s/2 of ±FLT_MAX.
    expect(run(withMax, opts({ bits: 1, zero: "free" })).clipped).toBe(false);
    // exact: 0 must be a level, so the levels are {0, FLT_MAX} and −FLT_MAX is clipped by a whole step.
    expect(run(withMax, opts({ bits: 1 })).clipped).toBe(true);
    for (const bits of [8, 16]) for (const zero of ["exact", "free"] as const) expect(run(large, opts({ bits, zero })).clipped).toBe(false);
  });

  it("subnormal ranges: the step never rounds to 0 and the grid covers the data", () => {
    const data = new Float32Array([0, 3e-45, 7e-45, 4.2e-43, -1.1e-42]);
    for (const bits of [2, 4, 8]) {
      const t: WeightTensor = { name: "sub", shape: [data.length], data };
      const { cb, decoded } = roundTrip(t, opts({ bits }));
      expect(cb.scale[0]).toBeGreaterThan(0);
      for (let i = 0; i < data.length; i++) expect(Math.abs(data[i]! - decoded[i]!)).toBeLessThanOrEqual(cb.scale[0]! / 2 + 2 ** -150);
    }
  });
});

describe("grouping vs an independent reference", () => {
  /**
   * Straightforward reference: each group's values collected by unravelled index, parameters by
   * the written formulas in float64 (tfjs-converter's `_get_affine_quantization_range`). When the
   * nudge −min/s itself is a tie (±1e-3), either neighbour is a valid zero point: `tieZ` picks
   * the one the implementation chose.
   */
  function reference(t: WeightTensor, o: IndexAxisOptions, tieZ: (g: number) => number) {
    const groups = new Map<number, number[]>();
    t.data.forEach((v, i) => {
      const g = refGroup(t.shape, o, i);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(v);
    });
    const params = new Map<number, { scale: number; z: number; L: number; integral: boolean }>();
    for (const [g, vs] of groups) {
      const lo = Math.min(...vs),
        hi = Math.max(...vs);
      if (o.scheme === "symmetric") {
        const zc = 2 ** (o.bits - 1) - 1;
        params.set(g, { scale: Math.max(-lo, hi) / zc, z: zc, L: 2 * zc + 1, integral: true });
      } else {
        const m = 2 ** o.bits - 1;
        const nudge = o.zero === "exact" && lo <= 0 && hi >= 0;
        // A grid away from 0 never steps below 4 float32 ulps of its largest magnitude.
        const a = Math.max(-lo, hi);
        const scale = lo <= 0 && hi >= 0 ? (hi - lo) / m : Math.max((hi - lo) / m, 4 * 2 ** (Math.floor(Math.log2(a)) - 23));
        const tie = Math.abs(((-lo / scale) % 1) - 0.5) <= 1e-3;
        const z = !nudge ? -lo / scale : tie ? tieZ(g) : roundHalfEven(-lo / scale);
        if (nudge && tie) expect(Math.abs(z + lo / scale)).toBeCloseTo(0.5, 2);
        params.set(g, { scale, z, L: m + 1, integral: nudge });
      }
    }
    return { params };
  }

  const nonConstant = (t: WeightTensor, o: IndexAxisOptions) => {
    const seen = new Map<number, Set<number>>();
    t.data.forEach((v, i) => {
      const g = refGroup(t.shape, o, i);
      if (!seen.has(g)) seen.set(g, new Set());
      seen.get(g)!.add(v);
    });
    return [...seen.values()].every((s) => s.size > 1);
  };

  fcTest.prop([caseArb(-100, 100)], { numRuns: 300 })("per-channel and per-group parameters and codes match the reference", ({ t, o }) => {
    fc.pre(o.granularity !== "tensor" && nonConstant(t, o));
    const { cb, qt, q } = roundTrip(t, o);
    // Subnormal steps cannot be stored to relative precision (tested in "float32 edge ranges").
    fc.pre(cb.scale.every((s) => s >= 2 ** -125));
    const ref = reference(t, o, (g) => cb.zeroPoint[g]!);
    const nGroups = ref.params.size;
    expect(cb.scale.length).toBe(nGroups);
    if (o.granularity === "channel") expect(q.grouping).toEqual({ kind: "channel", axis: o.axis < 0 ? t.shape.length + o.axis : o.axis });
    else expect(q.grouping).toEqual({ kind: "group", size: o.groupSize });
    for (const [g, p] of ref.params) {
      expect(Math.abs(cb.scale[g]! - p.scale)).toBeLessThanOrEqual(p.scale * 2 ** -22);
      // Nudged: the integer itself; free: −min/s with s stored in float32 (≤ 1 ulp up) and the
      // result rounded to float32 (subnormal near 0).
      if (p.integral) expect(cb.zeroPoint[g]).toBe(p.z + 0);
      else expect(Math.abs(cb.zeroPoint[g]! - p.z)).toBeLessThanOrEqual(Math.abs(p.z) * 2 ** -21 + 2 ** -149);
    }
    // Codes: the straightforward formula with the stored float32 parameters (checked above against
    // the float64 formulas), so only exact rounding ties (w·(1/s) vs w/s) may go either way.
    for (let i = 0; i < t.data.length; i++) {
      const g = refGroup(t.shape, o, i),
        L = ref.params.get(g)!.L;
      const r = Math.min(L - 1, Math.max(0, t.data[i]! / cb.scale[g]! + cb.zeroPoint[g]!));
      const nearTie = Math.abs((r % 1) - 0.5) < 1e-9;
      if (nearTie) expect(Math.abs(qt.codes[i]! - Math.round(r))).toBeLessThanOrEqual(1);
      else expect(qt.codes[i]).toBe(Math.round(r));
    }
  });

  it("per-channel on a known 2×3 kernel along axis −1 (tfjs dense [in, out])", () => {
    const t: WeightTensor = { name: "k", shape: [3, 3], data: new Float32Array([-1, 0, -2, 2, 4, 1, 0.4, 2.1, 0.2]) };
    const { cb, qt, q } = roundTrip(t, opts({ bits: 2, granularity: "channel", axis: -1 }));
    expect(q.grouping).toEqual({ kind: "channel", axis: 1 });
    // Channel 0: [−1, 2] → s = 1, z = 1; channel 1: [0, 4] → s = 4/3, z = 0; channel 2: [−2, 1] → s = 1, z = 2.
    expect(Array.from(cb.scale)).toEqual([1, 4 / 3, 1].map(Math.fround));
    expect(Array.from(cb.zeroPoint)).toEqual([1, 0, 2]);
    // Last row: 0.4 + 1 = 1.4 → 1; 2.1 / (4/3) = 1.575 → 2; 0.2 + 2 = 2.2 → 2.
    expect(Array.from(qt.codes)).toEqual([0, 0, 0, 3, 3, 3, 1, 2, 2]);
  });

  it("per-group runs of groupSize consecutive elements; the last group may be short", () => {
    const t: WeightTensor = { name: "g", shape: [7], data: new Float32Array([0, 0.8, 2, 10, 24, 30, 5]) };
    const { cb, qt, q } = roundTrip(t, opts({ bits: 1, granularity: "group", groupSize: 3 }));
    expect(q.grouping).toEqual({ kind: "group", size: 3 });
    // Groups [0, 0.8, 2] (s = 2, z = 0), [10, 24, 30] (s = 20, no 0 inside → z = −0.5), [5] (constant).
    expect(Array.from(cb.scale)).toEqual([2, 20, 5]);
    expect(Array.from(cb.zeroPoint)).toEqual([0, -0.5, 0]);
    expect(Array.from(qt.codes)).toEqual([0, 0, 1, 0, 1, 1, 1]);
  });
});

describe("group min/max", () => {
  fcTest.prop([caseArb()], { numRuns: 200 })("equals the plain min/max of each group's elements (every layout, odd and even lengths)", ({ t, o }) => {
    const { layout } = rtnGrouping(t, o);
    const n = layoutGroups(layout, t.data.length);
    const min = new Float64Array(n),
      max = new Float64Array(n);
    expect(groupMinMax(t.data, layout, min, max)).toBe(true);
    const lo = new Map<number, number>(),
      hi = new Map<number, number>();
    t.data.forEach((v, i) => {
      const g = refGroup(t.shape, o, i);
      lo.set(g, Math.min(lo.get(g) ?? Infinity, v));
      hi.set(g, Math.max(hi.get(g) ?? -Infinity, v));
    });
    expect([...min]).toEqual([...lo.keys()].sort((a, b) => a - b).map((g) => lo.get(g)));
    expect([...max]).toEqual([...hi.keys()].sort((a, b) => a - b).map((g) => hi.get(g)));
  });
});

describe("determinism", () => {
  fcTest.prop([caseArb()], { numRuns: 50 })("same input and options ⇒ bit-identical codes and parameters", ({ t, o }) => {
    const a = rtnQuantize(t.data, { kind: "tensor" }, o);
    const b = rtnQuantize(new Float32Array(t.data), { kind: "tensor" }, o);
    expect(Buffer.from(a.codes.buffer).equals(Buffer.from(b.codes.buffer))).toBe(true);
    expect(Array.from(a.scale)).toEqual(Array.from(b.scale));
    expect(Array.from(a.zeroPoint)).toEqual(Array.from(b.zeroPoint));
  });
});
