/**
 * Issue 2 acceptance at unit level: rtn at 8 bits + the fixed coder through `runPipeline` on a
 * 1,000,000-weight tensor. SQNR must equal an independent computation of the same quantizer
 * within 0.01 dB, bits per weight (every byte of the container counted) must be ≤ 8.05, and the
 * container must decode to exactly the weights that were evaluated.
 */
import { fixedCoder } from "@quantforge/coder-fixed";
import { dequantizeModel, type WeightTensor } from "@quantforge/core";
import { runPipeline, summarizeRun } from "@quantforge/core/host";
import { decodeContainer } from "@quantforge/core/format";
import { sampleTensor } from "@quantforge/core/testing";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { describe, expect, it } from "vitest";
import { rtnQuantizer } from "./rtn-quantizer.js";

/** numpy's round half to even. */
const npRound = (x: number) => {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * tfjs-converter's `quantize_weights` for uint8, transcribed in float64 (its numpy arithmetic):
 * scale = (max − min)/255; when min ≤ 0 ≤ max the zero point is nudged to round(−min/scale) and
 * data are clipped to [nudged_min, nudged_max]; codes = round((clip(w) − nudged_min)/scale);
 * reconstruction q·scale + nudged_min. Returns the SQNR in dB of that reconstruction.
 */
function tfjsUint8Sqnr(data: Float32Array): number {
  let min = Infinity,
    max = -Infinity;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const scale = (max - min) / 255;
  let nMin = min,
    nMax = max;
  if (min <= 0 && 0 <= max) {
    const z = npRound(-min / scale);
    nMin = -z * scale;
    nMax = 255 * scale + nMin;
  }
  let signal = 0,
    noise = 0;
  for (const w of data) {
    const q = npRound((Math.min(nMax, Math.max(nMin, w)) - nMin) / scale);
    const r = q * scale + nMin;
    signal += w * w;
    noise += (w - r) * (w - r);
  }
  return 10 * Math.log10(signal / noise);
}

describe("rtn 8-bit + fixed coder on 1,000,000 weights (issue 2 acceptance)", () => {
  const weights: WeightTensor[] = [sampleTensor("dense/kernel", [1000, 1000], { dist: "laplace", seed: 2024, sigma: 0.05 })];

  it("SQNR matches tfjs-converter's algorithm within 0.01 dB, bits/weight ≤ 8.05, decode restores the evaluated weights", async () => {
    const r = await runPipeline({
      weights,
      quantizer: { plugin: rtnQuantizer(), options: { bits: 8 } },
      coder: fixedCoder(),
      evaluators: [sqnrEvaluator(), sizeEvaluator()],
      options: { seed: 7 },
    });
    const s = summarizeRun(r);
    const expected = tfjsUint8Sqnr(weights[0]!.data);
    expect(expected).toBeGreaterThan(30); // sanity: a Laplacian at 8 bits, min/max range ≈ 40 dB
    expect(Math.abs((s.summary.sqnrDb as number) - expected)).toBeLessThanOrEqual(0.01);
    expect(Math.abs((s.tensors[0]!.sqnrDb as number) - expected)).toBeLessThanOrEqual(0.01);

    const bpw = s.summary.bitsPerWeight as number;
    expect(bpw).toBeGreaterThanOrEqual(8); // 8-bit codes cannot take less without entropy coding
    expect(bpw).toBeLessThanOrEqual(8.05);
    expect(s.summary.bytes).toBe(r.encoded!.bytes.length);
    expect(s.summary.compressionRatio as number).toBeCloseTo(32 / bpw, 12);
    expect(s.tensors[0]!.entropyBits as number).toBeLessThan(8);

    const back = decodeContainer(r.encoded!.bytes, () => fixedCoder().create({}));
    const restored = dequantizeModel(back.model, weights);
    expect(Buffer.from(restored[0]!.data.buffer).equals(Buffer.from(r.decoded[0]!.data.buffer))).toBe(true);
  });
});
