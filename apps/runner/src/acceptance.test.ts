import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSafetensors } from "@quantforge/io-safetensors";
import { cli, tempDir } from "./__tests__/harness.js";

/**
 * Issue 2 acceptance, end to end through the CLI on the default synthetic weights (one tensor of
 * 1,000,000 weights): rtn 8-bit + fixed.
 */
let t: Awaited<ReturnType<typeof tempDir>>;
let doc: any;
let original: Awaited<ReturnType<typeof loadSafetensors>>;
let evaluated: Awaited<ReturnType<typeof loadSafetensors>>;
beforeAll(async () => {
  t = await tempDir();
  expect((await cli(["synth", "--out", t.path("w.safetensors"), "--seed", "42"])).code).toBe(0);
  const r = await cli(["run", "--weights", t.path("w.safetensors"), "--quantizer", "rtn", "--bits", "8", "--json", "--decoded-out", t.path("e.safetensors")]);
  expect(r.code).toBe(0);
  doc = JSON.parse(r.out);
  original = await loadSafetensors(t.path("w.safetensors"));
  evaluated = await loadSafetensors(t.path("e.safetensors"));
});
afterAll(async () => {
  await t.cleanup();
});

/**
 * An independent min/max affine 8-bit round-to-nearest in float64 (asymmetric, zero point
 * nudged so 0 is a level: scale = (max − min)/255, z = round(−min/scale),
 * q = clamp(round(w/scale) + z, 0, 255), ŵ = (q − z)·scale). Returns Σw² and Σ(w − ŵ)².
 */
function independentRtn8(w: Float32Array): { signal: number; noise: number } {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of w) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  const scale = (hi - lo) / 255;
  const z = Math.round(-lo / scale);
  let signal = 0,
    noise = 0;
  for (const v of w) {
    const q = Math.min(255, Math.max(0, Math.round(v / scale) + z));
    const e = v - (q - z) * scale;
    signal += v * v;
    noise += e * e;
  }
  return { signal, noise };
}

describe("acceptance: run rtn 8-bit + fixed", () => {
  it("SQNR equals an independent computation of the same quantizer within 0.01 dB", () => {
    let s = 0,
      n = 0;
    for (const x of original) {
      const r = independentRtn8(x.data);
      const row = doc.tensors.find((y: { name: string }) => y.name === x.name);
      expect(Math.abs(row.sqnrDb - 10 * Math.log10(r.signal / r.noise))).toBeLessThan(0.01);
      s += r.signal;
      n += r.noise;
    }
    expect(Math.abs(doc.summary.sqnrDb - 10 * Math.log10(s / n))).toBeLessThan(0.01);
  });
  it("the reported SQNR is exactly that of the decoded weights", () => {
    let s = 0,
      n = 0;
    original.forEach((x, i) => {
      const y = evaluated[i]!.data;
      for (let k = 0; k < x.data.length; k++) {
        const v = x.data[k]!;
        s += v * v;
        n += (v - y[k]!) ** 2;
      }
    });
    expect(doc.summary.sqnrDb).toBeCloseTo(10 * Math.log10(s / n), 6);
  });
  it("bitsPerWeight ≤ 8.05 for the million-weight tensor, and the sizes add up", () => {
    const big = doc.tensors.find((y: { count: number }) => y.count === 1_000_000);
    expect(big.bitsPerWeight).toBeLessThanOrEqual(8.05);
    expect(big.bitsPerWeight).toBeGreaterThanOrEqual(8);
    expect(doc.summary.bitsPerWeight).toBeCloseTo((8 * doc.summary.bytes) / doc.summary.count, 9);
  });
});
