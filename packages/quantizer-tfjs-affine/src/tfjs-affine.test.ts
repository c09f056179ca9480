import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dequantizeTensor, type AffineCodebook, type LevelsCodebook } from "@quantforge/core";
import { createRunContext, instantiate, runPipeline } from "@quantforge/core/host";
import { fromFloat16Bits } from "@quantforge/core/format";
import { sampleTensor } from "@quantforge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundHalfEven, tfjsAffineQuantize, tfjsAffineRange, tfjsFloat16Quantize } from "./tfjs-affine-impl.js";
import { tfjsAffineQuantizer } from "./tfjs-affine-quantizer.js";

// A python3 with numpy: $QF_PYTHON, the one on PATH, or Debian's (`.ci/run` installs python3-numpy,
// so under CI these checks run rather than skip).
const python = [process.env.QF_PYTHON, "python3", "/usr/bin/python3"].find((p) => !!p && spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
const hasNumpy = python !== undefined || !!process.env.CI;
const script = fileURLToPath(new URL("./__fixtures__/converter_reference.py", import.meta.url));

describe("roundHalfEven", () => {
  it("rounds halves to even like np.round", () => {
    expect([-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 127.5, 128.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([-4, -2, -2, -0, 0, 2, 2, 128, 128, 2, 3]);
  });
});

describe("tfjsAffineRange", () => {
  it("nudges the range so 0 is an exact code when the data cover 0", () => {
    const r = tfjsAffineRange(-0.3, 1.7, 255);
    expect(r.zeroPoint).toBe(Math.round(0.3 / (2 / 255)));
    expect(r.min).toBe(-r.zeroPoint! * r.scale);
    expect(r.max).toBe(255 * r.scale + r.min);
  });
  it("does not nudge ranges that exclude 0", () => {
    expect(tfjsAffineRange(0.5, 1.5, 255)).toEqual({ scale: 1 / 255, min: 0.5, max: 1.5, zeroPoint: null });
  });
});

describe("tfjsAffineQuantize", () => {
  it("maps 0 to the nudged zero point and decodes it to exactly 0", () => {
    const data = Float32Array.of(-0.31, 0, 0.2, 1.7, 0.999);
    const r = tfjsAffineQuantize(data, 255);
    expect(r.codes[1]).toBe(r.zeroPoint);
    expect(Number.isInteger(r.zeroPoint)).toBe(true);
    expect(Math.fround((r.codes[1]! - r.zeroPoint) * r.scale)).toBe(0);
  });

  it("reconstructs the converter's min + q·scale to within float32 rounding of the scale", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(255, 65535), (seed, qmax) => {
        const t = sampleTensor("w", [64], { dist: "laplace", seed, sigma: 0.1 });
        const r = tfjsAffineQuantize(t.data, qmax);
        for (let i = 0; i < t.data.length; i++) {
          const q = r.codes[i]!;
          const ours = Math.fround((q - r.zeroPoint) * r.scale);
          const theirs = Math.fround(q * r.converter.scale + r.converter.min);
          expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(qmax * r.converter.scale * 2 ** -23 + Math.abs(theirs) * 2 ** -23);
          // And every value lands within half a step of its original, plus the float32 rounding of
          // the converter's x − min and division (each below 2^-24 of the range) and of the result.
          const range = qmax * r.converter.scale;
          expect(Math.abs(ours - t.data[i]!)).toBeLessThanOrEqual(r.converter.scale * 0.5 + range * 2 ** -22);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("stores a constant tensor exactly with scale 1", () => {
    const r = tfjsAffineQuantize(Float32Array.of(-0.75, -0.75), 255);
    expect(r.constant).toBe(true);
    expect([...r.codes]).toEqual([0, 0]);
    expect(Math.fround((0 - r.zeroPoint) * r.scale)).toBe(-0.75);
  });

  it("saturates values whose float32 offset overflows at the top code", () => {
    const r = tfjsAffineQuantize(Float32Array.of(-3e38, 0, 3e38), 255);
    expect(r.codes[2]).toBe(255);
    expect(r.codes[0]).toBe(0);
    expect(Number.isFinite(Math.fround((255 - r.zeroPoint) * r.scale))).toBe(true);
  });
});

describe("tfjsFloat16Quantize", () => {
  it("uses the sorted distinct halves as levels, saturating overflow and merging -0", () => {
    const r = tfjsFloat16Quantize(Float32Array.of(0.1, -0, 0, 1e6, -2, 0.1));
    expect([...r.levels]).toEqual([-2, 0, fromFloat16Bits(0x2e66), 65504]);
    expect([...r.codes]).toEqual([2, 1, 1, 3, 0, 2]);
    expect(r.overflow).toBe(1);
  });
});

describe("tfjsAffineQuantizer", () => {
  it("reports the float16 overflow as a diagnostic and decodes finite values", async () => {
    const r = await runPipeline({ weights: [{ name: "w", shape: [2], data: Float32Array.of(1, 1e9) }], quantizer: { plugin: tfjsAffineQuantizer(), options: { dtype: "float16" } } });
    expect(r.diagnostics.map((d) => d.ruleId)).toEqual(["float16-overflow"]);
    expect([...r.decoded[0]!.data]).toEqual([1, 65504]);
  });

  it("maps bits 16 to uint16 and defaults to uint8", async () => {
    const w = sampleTensor("w", [100], { dist: "gaussian", seed: 3, sigma: 1 });
    const q16 = await instantiate(tfjsAffineQuantizer(), { bits: 16 }).quantize([w], createRunContext());
    const q8 = await instantiate(tfjsAffineQuantizer()).quantize([w], createRunContext());
    expect((q16.codebooks[0] as AffineCodebook).levels).toBe(65536);
    expect((q8.codebooks[0] as AffineCodebook).levels).toBe(256);
  });

  it("refuses other bit widths with a message naming the widths it has and where lower ones are", () => {
    for (const bits of [2, 4, 32]) {
      expect(() => tfjsAffineQuantizer().parseOptions({ bits })).toThrow(/field "bits" must be 8 \(uint8\) or 16 \(uint16, float16\).*use rtn, uniform-mse or hqq/);
    }
  });
});

describe.skipIf(!hasNumpy)("cross-check with tfjs-converter's numpy code", () => {
  it("gives the converter's codes, min and scale (uint8, uint16) and halves (float16)", async () => {
    const tensors = [
      sampleTensor("a", [300], { dist: "laplace", seed: 5, sigma: 0.05 }),
      sampleTensor("b", [257], { dist: "uniform", seed: 6, sigma: 2, mean: 3 }),
      sampleTensor("c", [200], { dist: "gaussian", seed: 7, sigma: 0.5, mean: -4 }),
      { name: "ties", shape: [6], data: Float32Array.of(-1, 0, 1, 0.5 / 255, 1.5 / 255, (2 / 255) * 127.5 - 1) },
      { name: "const", shape: [3], data: Float32Array.of(0.25, 0.25, 0.25) },
    ];
    const dtypes = ["uint8", "uint16", "float16"] as const;
    const req = tensors.flatMap((t) => dtypes.map((dtype) => ({ bits: [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)], dtype })));
    const p = spawnSync(python ?? "python3", [script], { input: JSON.stringify({ tensors: req }), encoding: "utf8", maxBuffer: 1 << 26 });
    expect(p.status, p.stderr).toBe(0);
    const res = (JSON.parse(p.stdout) as { results: { codes?: number[]; halves?: number[]; min?: number; scale?: number }[] }).results;
    let k = 0;
    for (const t of tensors) {
      for (const dtype of dtypes) {
        const want = res[k++]!;
        const q = await instantiate(tfjsAffineQuantizer(), { dtype }).quantize([t], createRunContext());
        const qt = q.tensors[0]!;
        if (dtype === "float16") {
          const cb = q.codebooks[0] as LevelsCodebook;
          const got = dequantizeTensor(qt, cb);
          expect([...got], `${t.name} float16`).toEqual(want.halves!.map((h) => fromFloat16Bits(h) + 0));
        } else {
          expect([...qt.codes], `${t.name} ${dtype}`).toEqual(want.codes);
          const r = tfjsAffineQuantize(t.data, dtype === "uint8" ? 255 : 65535);
          expect(r.converter.min, `${t.name} ${dtype} min`).toBe(want.min);
          expect(r.converter.scale, `${t.name} ${dtype} scale`).toBe(want.scale);
        }
      }
    }
  });
});
