import { describe, expect, it } from "vitest";
import { dequantizeTensor, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { accumulateStats, emptyStats } from "@quantforge/metrics";
import { dequantizedErrorStats } from "./error-stats.js";

/**
 * dequantizedErrorStats gives accumulateStats over dequantizeTensor to the bit, whichever way it
 * reads the values: through the code-value table (per-tensor codebooks, issue 18), block by block
 * (grouped ones), or block by block again after a code the table does not hold.
 */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const n = 517 * 400; // 206,800: three table blocks and a partial one; 400 rows of 517 channels
const rand = lcg(7);
const original = Float32Array.from({ length: n }, () => (rand() - 0.5) * 0.2);
const codesBelow = (size: number) => Uint32Array.from({ length: n }, () => Math.floor(rand() * size));

const cases: [string, Codebook, QuantizedTensor["grouping"], Uint32Array][] = [
  ["affine per tensor (table)", { kind: "affine", id: "c", levels: 256, scale: Float32Array.of(0.0008), zeroPoint: Float32Array.of(128) }, { kind: "tensor" }, codesBelow(256)],
  ["levels (table)", { kind: "levels", id: "c", levels: Float32Array.from({ length: 16 }, () => rand() - 0.5) }, { kind: "tensor" }, codesBelow(16)],
  [
    "affine per channel (blocks)",
    { kind: "affine", id: "c", levels: 16, scale: Float32Array.from({ length: 517 }, () => 0.01 + rand() * 0.01), zeroPoint: Float32Array.from({ length: 517 }, () => 8) },
    { kind: "channel", axis: 1 },
    codesBelow(16),
  ],
  // One code past the 256 levels, late in the tensor: the table pass stops and the blocks sum it all.
  [
    "affine, a code outside the codebook (blocks after the table)",
    { kind: "affine", id: "c", levels: 256, scale: Float32Array.of(0.0008), zeroPoint: Float32Array.of(128) },
    { kind: "tensor" },
    (() => {
      const c = codesBelow(256);
      c[2 * 65536 + 9] = 300;
      return c;
    })(),
  ],
];

describe("dequantizedErrorStats", () => {
  for (const [label, cb, grouping, codes] of cases) {
    it(`equals accumulateStats of the dequantized tensor, bit for bit (${label})`, () => {
      const shape = grouping.kind === "channel" ? [400, 517] : [n];
      const t: QuantizedTensor = { name: "t", shape, grouping, codebook: "c", codes };
      const want = accumulateStats(emptyStats(), original, dequantizeTensor(t, cb));
      const got = dequantizedErrorStats(original, t, cb);
      for (const key of ["count", "signal", "noise", "maxAbs"] as const) expect(Object.is(got[key], want[key]), key).toBe(true);
    });
  }
});
