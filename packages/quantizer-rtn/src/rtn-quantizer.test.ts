import { dequantizeTensor, ErrorCodes, InvalidOptionsError, isQuantforgeError, type WeightSet, type WeightTensor } from "@quantforge/core";
import { createRunContext, runPipeline } from "@quantforge/core/host";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rtnGrouping, rtnQuantizer, rtnQuantizeTensor } from "./rtn-quantizer.js";

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isQuantforgeError(e) ? e.code : `not a QuantforgeError: ${String(e)}`;
  }
  return undefined;
};

describe("rtn options", () => {
  const plugin = rtnQuantizer();

  it("has the documented defaults", () => {
    expect(plugin.parseOptions({})).toEqual({ bits: 8, scheme: "asymmetric", zero: "exact", granularity: "tensor", axis: "output", groupSize: 128 });
    expect(plugin.kind).toBe("quantizer");
    expect(plugin.id).toBe("rtn");
  });

  it("factory defaults sit under run-time options", () => {
    const p = rtnQuantizer({ bits: 4, granularity: "channel" });
    expect(p.parseOptions({})).toMatchObject({ bits: 4, granularity: "channel" });
    expect(p.parseOptions({ bits: 3 })).toMatchObject({ bits: 3, granularity: "channel" });
  });

  const bad: [string, unknown, string][] = [
    ["bits 0", { bits: 0 }, "bits"],
    ["bits 17", { bits: 17 }, "bits"],
    ["fractional bits", { bits: 2.5 }, "bits"],
    ["bits as text", { bits: "8" }, "bits"],
    ["unknown scheme", { scheme: "signed" }, "scheme"],
    ["unknown zero", { zero: "nudged" }, "zero"],
    ["unknown granularity", { granularity: "layer" }, "granularity"],
    ["group size 0", { granularity: "group", groupSize: 0 }, "groupSize"],
    ["fractional axis", { axis: 0.5 }, "axis"],
    ["unknown field", { bitz: 4 }, "bitz"],
    ["symmetric with 1 bit", { scheme: "symmetric", bits: 1 }, "bits"],
    ["symmetric with a free zero point", { scheme: "symmetric", zero: "free" }, "zero"],
  ];
  for (const [label, raw, field] of bad) {
    it(`rejects ${label} with InvalidOptionsError naming "${field || "(root)"}"`, () => {
      let err: unknown;
      try {
        plugin.parseOptions(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).code).toBe(ErrorCodes.INVALID_OPTIONS);
      expect((err as InvalidOptionsError).field).toBe(field);
      expect((err as Error).message).toMatch(/^invalid options for "rtn"/);
    });
  }
});

describe("rtn grouping", () => {
  const o = { granularity: "channel" as const, axis: 0, groupSize: 128 };

  it("normalises negative axes and describes the loop layout", () => {
    expect(rtnGrouping({ name: "k", shape: [2, 3, 4] }, { ...o, axis: -1 })).toEqual({ grouping: { kind: "channel", axis: 2 }, layout: { kind: "channel", outer: 6, channels: 4, inner: 1 } });
    expect(rtnGrouping({ name: "k", shape: [2, 3, 4] }, { ...o, axis: 1 })).toEqual({ grouping: { kind: "channel", axis: 1 }, layout: { kind: "channel", outer: 2, channels: 3, inner: 4 } });
  });

  it("rejects an axis the tensor does not have with ShapeMismatchError", () => {
    expect(codeOf(() => rtnGrouping({ name: "k", shape: [2, 3] }, { ...o, axis: 2 }))).toBe(ErrorCodes.SHAPE_MISMATCH);
    expect(codeOf(() => rtnGrouping({ name: "k", shape: [2, 3] }, { ...o, axis: -3 }))).toBe(ErrorCodes.SHAPE_MISMATCH);
  });

  it("treats a scalar as one channel", () => {
    expect(rtnGrouping({ name: "s", shape: [] }, o).grouping).toEqual({ kind: "tensor" });
  });
});

describe("rtn quantizer on a weight set", () => {
  const ws: WeightSet = [
    { name: "dense/kernel", shape: [3, 4], data: new Float32Array([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2]) },
    { name: "dense/bias", shape: [4], data: new Float32Array([0.01, 0.02, -0.03, 0]) },
    { name: "scalar", shape: [], data: new Float32Array([2.5]) },
  ];

  it("emits one affine codebook per tensor (id = tensor name) with one parameter set per group", async () => {
    const q = rtnQuantizer({ granularity: "channel", axis: -1, bits: 4 }).create(rtnQuantizer().parseOptions({ granularity: "channel", axis: -1, bits: 4 }));
    const m = await q.quantize(ws, createRunContext());
    expect(m.codebooks.map((c) => [c.id, c.kind, c.kind === "affine" ? c.scale.length : -1, c.kind === "affine" ? c.levels : -1])).toEqual([
      ["dense/kernel", "affine", 4, 16],
      ["dense/bias", "affine", 4, 16],
      ["scalar", "affine", 1, 16],
    ]);
    expect(m.tensors.map((t) => [t.name, t.codebook, t.grouping])).toEqual([
      ["dense/kernel", "dense/kernel", { kind: "channel", axis: 1 }],
      ["dense/bias", "dense/bias", { kind: "channel", axis: 0 }],
      ["scalar", "scalar", { kind: "tensor" }],
    ]);
  });

  it("runs through the pipeline deterministically and reconstructs constant/1-element channels exactly", async () => {
    const run = () => runPipeline({ weights: ws, quantizer: { plugin: rtnQuantizer(), options: { granularity: "channel", axis: -1, bits: 3 } }, options: { seed: 3 } });
    const a = await run(),
      b = await run();
    expect(a.quantized.tensors.map((t) => Array.from(t.codes))).toEqual(b.quantized.tensors.map((t) => Array.from(t.codes)));
    expect(a.decoded.find((t) => t.name === "dense/bias")!.data).toEqual(ws[1]!.data);
    expect(a.decoded.find((t) => t.name === "scalar")!.data).toEqual(new Float32Array([2.5]));
    expect(a.diagnostics.some((d) => d.ruleId === "constant-group" && d.tensor === "dense/bias")).toBe(true);
  });

  it("rejects NaN and ±Inf weights with NonFiniteError even when called directly", async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let at = 0; at < 5; at++) {
        // even, odd and tail positions of the two min/max chains
        const data = new Float32Array([0.5, -1, 2, 0.25, 1]);
        data[at] = bad;
        const t: WeightTensor = { name: "w", shape: [5], data };
        for (const granularity of ["tensor", "channel", "group"] as const) {
          const q = rtnQuantizer().create(rtnQuantizer().parseOptions({ granularity, groupSize: 3 }));
          await expect(Promise.resolve().then(() => q.quantize([t], createRunContext()))).rejects.toMatchObject({ code: ErrorCodes.NON_FINITE });
        }
      }
    }
  });

  it("rejects a channel axis a tensor lacks with ShapeMismatchError", async () => {
    const q = rtnQuantizer().create(rtnQuantizer().parseOptions({ granularity: "channel", axis: 2 }));
    await expect(Promise.resolve().then(() => q.quantize(ws, createRunContext()))).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
  });
});

describe('rtn axis "best"', () => {
  const sse = (t: WeightTensor, o: Record<string, unknown>) => {
    const q = rtnQuantizeTensor(t, rtnQuantizer().parseOptions({ bits: 8, granularity: "channel", ...o }));
    const cb = { kind: "affine" as const, id: "c", ...(q.codebook as { levels: number; scale: Float32Array; zeroPoint: Float32Array }) };
    const d = dequantizeTensor({ name: t.name, shape: t.shape, codebook: "c", grouping: q.grouping, codes: q.codes }, cb);
    let s = 0;
    for (let i = 0; i < d.length; i++) s += (d[i]! - t.data[i]!) ** 2;
    return { s, grouping: q.grouping };
  };
  const small = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => 1e-4 * Math.sin(seed + i * 1.7));
  it("keeps per-input-channel scales when input rows span decades of scale (a batch norm folded into the next layer), per-output when outliers sit in a few output channels", () => {
    // Row r scaled by 10^(3r/63): every column spans the largest row's range.
    const rows = Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i * 1.3) * 10 ** ((3 * Math.floor(i / 32)) / 63) * 1e-3);
    const tRows: WeightTensor = { name: "rows", shape: [64, 32], data: rows, outputAxis: -1, inputAxis: -2 };
    expect(sse(tRows, { axis: "best" }).grouping).toEqual({ kind: "channel", axis: 0 });
    const cols = small(64 * 32, 2);
    for (const r of [3, 17, 40, 55]) cols[r * 32 + 5] = 0.5;
    const tCols: WeightTensor = { name: "cols", shape: [64, 32], data: cols, outputAxis: -1, inputAxis: -2 };
    expect(sse(tCols, { axis: "best" }).grouping).toEqual({ kind: "channel", axis: 1 });
  });
  it("never has a larger squared weight error than the output or the input axis alone (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1000 }), (a, b, seed) => {
        const data = Float32Array.from({ length: a * b }, (_, i) => Math.fround(Math.sin(seed * 7.1 + i * i * 0.37) * (i % 5 === 0 ? 3 : 0.01)));
        const t: WeightTensor = { name: "t", shape: [a, b], data };
        const best = sse(t, { axis: "best" }).s;
        expect(best).toBeLessThanOrEqual(Math.min(sse(t, { axis: "output" }).s, sse(t, { axis: "input" }).s));
      }),
      { numRuns: 60 },
    );
  });
});
