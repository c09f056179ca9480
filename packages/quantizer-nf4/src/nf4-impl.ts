/**
 * NF4 and FP4 (Dettmers, Pagnoni, Holtzman & Zettlemoyer 2023, "QLoRA: Efficient Finetuning of
 * Quantized LLMs"): one shared list of 16 levels in [−1, 1] times a per-group absmax scale,
 * w ≈ fround(level[q] · s_g) (core's `scaledLevels` codebook). Pure code.
 */
import { dequantizeScaleCode, type ScaleCodes } from "@quantforge/core";
import { fromFloat16Bits, toFloat16Bits } from "@quantforge/core/format";

/**
 * The 16 NormalFloat-4 levels (QLoRA appendix / bitsandbytes `NF4` table): quantiles of N(0, 1)
 * normalised to [−1, 1], with an exact 0 (8 positive, 7 negative, 0).
 */
export const NF4_LEVELS = Float32Array.from([
  -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1,
]);

/** FP4 E2M1 (OCP microscaling) values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6} normalised by 6: 15 distinct levels. */
export const FP4_LEVELS = Float32Array.from([-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6].map((v) => v / 6));

/** Largest finite float16. */
const HALF_MAX = 65504;

/** absmax of every row-major group, as the smallest float16 ≥ it (float32 beyond float16's range). */
export function groupScales(data: Float32Array, groupSize: number): Float32Array {
  const groups = Math.max(1, Math.ceil(data.length / groupSize));
  const scale = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    let a = 0;
    for (let i = g * groupSize, e = Math.min(data.length, i + groupSize); i < e; i++) a = Math.max(a, Math.abs(data[i]!));
    if (a > HALF_MAX) {
      scale[g] = a;
      continue;
    }
    let h = toFloat16Bits(a);
    if (fromFloat16Bits(h) < a) h++;
    scale[g] = fromFloat16Bits(h);
  }
  return scale;
}

/**
 * QLoRA's double quantization of the scales, in 8-bit integers here (QLoRA uses an 8-bit float
 * map): offset = mean scale; per block of `blockSize` scales, step = max|s − offset|/127 and
 * code = round((s − offset)/step) + 128. Codes are raised until the decoded scale is ≥ 0.
 */
export function doubleQuantize(scale: Float32Array, blockSize: number): { scale: Float32Array; scaleCodes: ScaleCodes } {
  const n = scale.length;
  let sum = 0;
  for (let g = 0; g < n; g++) sum += scale[g]!;
  const offset = Math.fround(sum / Math.max(1, n));
  const blocks = Math.ceil(n / blockSize);
  const step = new Float32Array(blocks);
  const codes = new Uint8Array(n);
  const sc: ScaleCodes = { codes, blockSize, step, offset };
  const out = new Float32Array(n);
  for (let b = 0; b < blocks; b++) {
    let m = 0;
    for (let g = b * blockSize; g < Math.min(n, (b + 1) * blockSize); g++) m = Math.max(m, Math.abs(scale[g]! - offset));
    step[b] = Math.fround(m / 127);
    for (let g = b * blockSize; g < Math.min(n, (b + 1) * blockSize); g++) {
      let c = step[b]! === 0 ? 128 : Math.min(255, Math.max(0, Math.round((scale[g]! - offset) / step[b]!) + 128));
      while (c < 255 && dequantizeScaleCode(sc, g) < 0) codes[g] = ++c;
      codes[g] = c;
      while (codes[g]! < 255 && dequantizeScaleCode(sc, g) < 0) codes[g]!++;
      out[g] = dequantizeScaleCode(sc, g);
    }
  }
  return { scale: out, scaleCodes: sc };
}
