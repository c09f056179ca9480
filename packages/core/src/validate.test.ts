import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { readCodebook, writeCodebook } from "./codebook-io.js";
import { createRunContext, throwIfAborted } from "./context.js";
import { dequantizeModel } from "./dequantize.js";
import { AbortedError, ErrorCodes, QuantforgeError, isQuantforgeError } from "./errors.js";
import type { QuantizedModel } from "./quantized.js";
import { defaultSelector, patternSelector } from "./selection.js";
import { assertWeightSet, shapeSize, type WeightTensor } from "./tensor.js";
import { assertQuantizedModel } from "./validate.js";

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};
const t = (name: string, shape: number[], role?: WeightTensor["role"]): WeightTensor => ({ name, shape, data: new Float32Array(shapeSize(shape)), ...(role ? { role } : {}) });

describe("weight sets", () => {
  it("accept valid sets (including scalars and empty tensors) and reject bad ones with typed errors", () => {
    expect(() => assertWeightSet([t("a", [2, 3]), t("s", []), t("e", [0, 4])])).not.toThrow();
    expect(code(() => assertWeightSet([t("a", [2]), t("a", [2])]))).toBe(ErrorCodes.SHAPE_MISMATCH);
    expect(code(() => assertWeightSet([{ name: "x", shape: [2, -1], data: new Float32Array(0) }]))).toBe(ErrorCodes.SHAPE_MISMATCH);
    expect(code(() => assertWeightSet([{ name: "x", shape: [1.5], data: new Float32Array(1) }]))).toBe(ErrorCodes.SHAPE_MISMATCH);
    expect(code(() => assertWeightSet([{ name: "x", shape: [3], data: Float32Array.from([0, -Infinity, 0]) }]))).toBe(ErrorCodes.NON_FINITE);
  });
});

describe("assertQuantizedModel", () => {
  const input = [t("w", [2, 2]), t("b", [2])];
  const cb: Codebook = { kind: "affine", id: "cb", levels: 4, scale: Float32Array.from([1, 2]), zeroPoint: Float32Array.from([0, 0]) };
  const good: QuantizedModel = {
    codebooks: [cb],
    tensors: [{ name: "w", shape: [2, 2], codebook: "cb", grouping: { kind: "channel", axis: 0 }, codes: Uint32Array.from([0, 1, 2, 3]) }],
    passthrough: [t("b", [2])],
  };
  it("accepts a consistent model and dequantizes it in input order", () => {
    assertQuantizedModel(good, input);
    const ws = dequantizeModel(good, input);
    expect(ws.map((x) => x.name)).toEqual(["w", "b"]);
    expect([...ws[0]!.data]).toEqual([0, 1, 4, 6]);
  });
  it.each<[string, QuantizedModel]>([
    ["a dropped tensor", { ...good, passthrough: [] }],
    ["an unknown tensor", { ...good, passthrough: [t("b", [2]), t("zzz", [1])] }],
    ["a tensor twice", { ...good, passthrough: [t("b", [2]), t("w", [2, 2])] }],
    ["a changed shape", { ...good, passthrough: [t("b", [1, 2])] }],
    ["a missing codebook", { ...good, codebooks: [] }],
    ["duplicate codebook ids", { ...good, codebooks: [cb, cb] }],
    ["a code out of range", { ...good, tensors: [{ ...good.tensors[0]!, codes: Uint32Array.from([0, 1, 2, 4]) }] }],
    ["a wrong code count", { ...good, tensors: [{ ...good.tensors[0]!, codes: Uint32Array.from([0, 1]) }] }],
    ["params ≠ groups", { ...good, tensors: [{ ...good.tensors[0]!, grouping: { kind: "group", size: 1 } }] }],
    ["unsorted positions", { ...good, tensors: [{ ...good.tensors[0]!, codes: Uint32Array.from([0, 1]), sparse: { positions: Uint32Array.from([2, 1]) } }] }],
    ["a position out of range", { ...good, tensors: [{ ...good.tensors[0]!, codes: Uint32Array.from([0]), sparse: { positions: Uint32Array.from([4]) } }] }],
    ["a bad passthrough length", { ...good, passthrough: [{ name: "b", shape: [2], data: new Float32Array(3) }] }],
  ])("rejects %s with QF_INVALID_QUANTIZED", (_what, qm) => {
    expect(code(() => assertQuantizedModel(qm, input))).toBe(ErrorCodes.INVALID_QUANTIZED);
  });
});

describe("codebook records", () => {
  const cbs: Codebook[] = [
    { kind: "levels", id: "l", levels: Float32Array.from([-0, 1.5, -3e38]) },
    { kind: "affine", id: "a", levels: 256, scale: Float32Array.from([1e-40, 2]), zeroPoint: Float32Array.from([128, 0.5]) },
    { kind: "grid", id: "g", levels: 15, xMax: Math.fround(3.1), midtread: true, sigma: Float32Array.from([1]), mu: Float32Array.from([-0.25]), sigmaSource: "std" },
    { kind: "grid", id: "h", levels: 4, xMax: 2, midtread: false, sigma: Float32Array.from([1, 2]), mu: Float32Array.from([0, 0]) },
  ];
  it("round-trip bit-exactly", () => {
    for (const cb of cbs) {
      const w = new ByteWriter();
      writeCodebook(w, cb);
      const b = w.finish();
      const r = new ByteReader(b);
      expect(readCodebook(r)).toEqual(cb);
      expect(r.remaining).toBe(0);
      for (let k = 0; k < b.length; k++) expect(code(() => readCodebook(new ByteReader(b.subarray(0, k))))).toBe(ErrorCodes.DECODE);
    }
  });
  it("reject unknown kinds and empty parameter sets", () => {
    expect(code(() => readCodebook(new ByteReader(new Uint8Array([9, 0]))))).toBe(ErrorCodes.DECODE);
    const w = new ByteWriter().u8(1).str("a").varint(4).varint(0);
    expect(code(() => readCodebook(new ByteReader(w.finish())))).toBe(ErrorCodes.DECODE);
  });
});

describe("selection, context and errors", () => {
  it("select weights by role, or everything when roles are unknown; patterns include/exclude", () => {
    expect([t("k", [1], "weight"), t("b", [1], "bias"), t("x", [1])].filter(defaultSelector).map((x) => x.name)).toEqual(["k", "x"]);
    const sel = patternSelector({ include: [/^dense/], exclude: [/bias/] });
    expect(["dense/kernel", "dense/bias", "conv/kernel"].map((n) => sel(t(n, [1], "weight")))).toEqual([true, false, false]);
    expect(patternSelector({ all: true })(t("b", [1], "bias"))).toBe(true);
  });
  it("create quiet contexts and abort through the signal", () => {
    const ctx = createRunContext({ seed: 4 });
    expect(ctx.seed).toBe(4);
    expect(ctx.rng.float()).toBe(createRunContext({ seed: 4 }).rng.float());
    expect(() => throwIfAborted(ctx)).not.toThrow();
    const ac = new AbortController();
    ac.abort();
    expect(() => throwIfAborted({ signal: ac.signal })).toThrow(AbortedError);
  });
  it("recognise quantforge errors across copies by code", () => {
    expect(isQuantforgeError(new AbortedError())).toBe(true);
    expect(isQuantforgeError({ code: "QF_DECODE", message: "x" })).toBe(true);
    expect(isQuantforgeError(new Error("x"))).toBe(false);
    const e = new QuantforgeError(ErrorCodes.IO, "gone", { cause: 1, exitCode: 1 });
    expect([e.name, e.code, e.exitCode, e.cause]).toEqual(["QuantforgeError", "QF_IO", 1, 1]);
  });
});
