import { describe, expect, it } from "vitest";
import { ErrorCodes, Rng, dequantizeTensor, type AffineCodebook, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { encodeOnnxModel, nbitsWeights, packMatMulNBits, parseOnnxModel, runOnnxModel, unpackMatMulNBits, type OnnxWeightOutput } from "./index.js";
import { MATMUL_WEIGHTS, buildMatMulOnnxModel, randomInput } from "./testing/index.js";
import { initializerValues } from "./read.js";

/** Min/max affine grids per block of `bs` along K of the transposed view `[N, K]` of `w` `[K, N]`. */
function quantizeTransposed(name: string, w: Float32Array, k: number, n: number, bs: number, bits: number, freeZero = false): { t: QuantizedTensor; cb: AffineCodebook } {
  const levels = 2 ** bits,
    blocks = k / bs;
  const codes = new Uint32Array(k * n),
    scale = new Float32Array(n * blocks),
    zeroPoint = new Float32Array(n * blocks);
  for (let c = 0; c < n; c++) {
    for (let b = 0; b < blocks; b++) {
      let lo = 0,
        hi = 0;
      for (let i = b * bs; i < (b + 1) * bs; i++) {
        lo = Math.min(lo, w[i * n + c]!);
        hi = Math.max(hi, w[i * n + c]!);
      }
      const s = Math.fround((hi - lo) / (levels - 1)),
        g = c * blocks + b;
      const z = freeZero ? Math.fround(-lo / s) : Math.round(-lo / s);
      scale[g] = s;
      zeroPoint[g] = z;
      for (let i = b * bs; i < (b + 1) * bs; i++) codes[c * k + i] = Math.max(0, Math.min(levels - 1, Math.round(w[i * n + c]! / s + z)));
    }
  }
  return { t: { name, shape: [n, k], codebook: name, grouping: { kind: "group", size: bs }, codes }, cb: { kind: "affine", id: name, levels, scale, zeroPoint } };
}

function transposeBack(v: Float32Array, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let c = 0; c < n; c++) for (let i = 0; i < k; i++) out[i * n + c] = v[c * k + i]!;
  return out;
}

const maxRel = (a: Float32Array, b: Float32Array) => {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
};

describe("onnx-nbits (MatMulNBits)", () => {
  it("packs codes low bits first along K per column, and unpacks to core's (q − z)·s bit for bit", () => {
    const rng = new Rng(3);
    const k = 64,
      n = 5;
    const w = Float32Array.from({ length: k * n }, () => rng.laplace(0.2));
    for (const bits of [2, 4, 8]) {
      const { t, cb } = quantizeTransposed("w", w, k, n, 32, bits);
      const p = packMatMulNBits(t, cb);
      expect([p.bits, p.blockSize, p.blocks, p.b.length]).toEqual([bits, 32, 2, (n * 2 * (32 * bits)) / 8]);
      // Element (k = 1, n = 0) sits right after element (0, 0) in the first byte.
      expect(p.b[0]! & (2 ** bits - 1)).toBe(t.codes[0]);
      if (bits < 8) expect((p.b[0]! >> bits) & (2 ** bits - 1)).toBe(t.codes[1]);
      expect(unpackMatMulNBits(p)).toEqual(transposeBack(dequantizeTensor(t, cb), k, n));
    }
  });

  it("picks the largest block inside each group and refuses what MatMulNBits cannot hold", () => {
    const rng = new Rng(4);
    const w = Float32Array.from({ length: 128 * 3 }, () => rng.laplace(0.2));
    const { t, cb } = quantizeTransposed("w", w, 128, 3, 128, 4);
    expect(packMatMulNBits({ ...t, grouping: { kind: "channel", axis: 0 }, codebook: "w" }, { ...cb, scale: cb.scale.slice(0, 3), zeroPoint: cb.zeroPoint.slice(0, 3) }).blockSize).toBe(128);
    const bad = (tt: QuantizedTensor, c: Codebook) => {
      try {
        packMatMulNBits(tt, c);
        return null;
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(bad({ ...t, grouping: { kind: "group", size: 8 } }, { ...cb, scale: new Float32Array(48).fill(1), zeroPoint: new Float32Array(48) })).toBe(ErrorCodes.INVALID_OPTIONS);
    expect(bad(t, { kind: "levels", id: "w", levels: new Float32Array(16) })).toBe(ErrorCodes.INVALID_OPTIONS);
    expect(bad(t, { ...cb, levels: 512 })).toBe(ErrorCodes.INVALID_OPTIONS);
  });

  it("writes MatMulNBits nodes that onnxruntime (default optimization) runs as the dequantized float model", async () => {
    const bytes = buildMatMulOnnxModel({ seed: 5 });
    const m = await parseOnnxModel(bytes, "mm.onnx");
    const eligible = nbitsWeights(m);
    expect([...eligible.keys()].sort()).toEqual([MATMUL_WEIGHTS.w1, MATMUL_WEIGHTS.w2].sort());
    const x = randomInput(9, 16 * 64);
    const feeds = [{ name: "x", shape: [16, 64], data: x }];
    for (const freeZero of [false, true]) {
      const nb = new Map<string, OnnxWeightOutput>(),
        fl = new Map<string, OnnxWeightOutput>();
      for (const [name, e] of eligible) {
        const init = m.initializers.find((i) => i.name === name)!;
        const { t, cb } = quantizeTransposed(name, await initializerValues(init), e.k, e.n, 32, 4, freeZero);
        nb.set(name, { kind: "nbits", tensor: t, codebook: cb });
        fl.set(name, { kind: "float", data: transposeBack(dequantizeTensor(t, cb), e.k, e.n) });
      }
      const written = await encodeOnnxModel(m, nb, { target: "onnx-nbits" });
      expect(written.nbits.map((r) => [r.bits, r.blockSize, r.zeroPoints])).toEqual([
        [4, 32, freeZero ? "float" : "uint8"],
        [4, 32, freeZero ? "float" : "uint8"],
      ]);
      const back = await parseOnnxModel(written.bytes, "q.onnx");
      expect(back.nodes.filter((n) => n.opType === "MatMulNBits" && n.domain === "com.microsoft").length).toBe(2);
      const [yq] = await runOnnxModel(written.bytes, feeds, "q.onnx");
      const [yf] = await runOnnxModel((await encodeOnnxModel(m, fl, { target: "onnx" })).bytes, feeds, "f.onnx");
      expect(maxRel(yq!.data, yf!.data)).toBeLessThanOrEqual(1e-5);
      expect(written.bytes.length).toBeLessThan(0.25 * bytes.length);
    }
  });
});
