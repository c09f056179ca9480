import { createHash } from "node:crypto";
import { Rng, ShapeMismatchError, type LevelsCodebook, type QuantizedTensor } from "@quantforge/core";
import { instantiate } from "@quantforge/core/host";
import { describe, expect, it } from "vitest";
import { buildDecodeTable, ransDecode } from "./decode-impl.js";
import { RCP_BIAS, ransEncode, ransEncodeView } from "./encode-impl.js";
import { countCodes, histogram } from "./hist-impl.js";
import { normalizeFrequencies } from "./rans-impl.js";
import { ransCoder } from "./rans-coder.js";

const coder = instantiate(ransCoder());
const cb = (k: number): LevelsCodebook => ({ kind: "levels", id: "cb", levels: new Float32Array(k) });
const dense = (codes: Uint32Array): QuantizedTensor => ({ name: "t", shape: [codes.length], codebook: "cb", grouping: { kind: "tensor" }, codes });
function laplacianCodes(n: number, step: number, k: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, Math.min(k - 1, Math.round(rng.laplace(1) / step) + (k >> 1)));
  return out;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("rans stream bytes", () => {
  // Written by the coder before its encoder used reciprocals, DataView stores and a fused
  // histogram: speed work must leave every byte as it was.
  it("are pinned for a small stream (one state) and for 4-state streams with tails", () => {
    expect(hex(coder.encode(dense(laplacianCodes(64, 1.5, 16, 3)), cb(16)))).toBe("5146524101000174026362100140000040040403060a0f0200000a010e0dc850ef8619f0c39f3237847d0d690f95be");
    expect(sha(coder.encode(dense(laplacianCodes(40001, 0.5, 16, 5)), cb(16)))).toBe("6b8a213acc6ade1ce1fa326f4499c771ddd141f2ca3c53f1903fb01711a436b6");
    expect(sha(coder.encode(dense(laplacianCodes(40003, 3, 16, 5)), cb(16)))).toBe("cb3fd6c4f81436fe0a581a272b3124cb1f86fe61c65c6b734fa01210313e16fa");
    expect(sha(coder.encode(dense(laplacianCodes(40002, 0.1, 256, 5)), cb(256)))).toBe("08c0b59c794059c1fdfe3c130a1977d609205d0ef264a56f0fa65737acc4168b");
  });
});

describe("the encoder's reciprocal quotient", () => {
  it("equals ⌊x / f⌋ for every f < 2^15 at the multiples of f and their neighbours up to 2^31", () => {
    let bad = 0;
    for (let f = 1; f < 1 << 15; f++) {
      const rcp = (1 / f) * RCP_BIAS;
      const top = Math.floor((2 ** 31 - 1) / f);
      for (const q of [1, 2, 3, top >> 1, top - 1, top]) {
        for (const x of [q * f - 1, q * f, q * f + f - 1]) {
          if (x < 1 || x >= 2 ** 31) continue;
          if (((x * rcp) | 0) !== Math.floor(x / f)) bad++;
        }
      }
    }
    expect(bad).toBe(0);
  });
});

describe("ransEncodeView", () => {
  it("gives the same payload from a too-short buffer (it grows) as from the 2-bytes-per-symbol one", () => {
    for (const lanes of [1, 2, 3, 4]) {
      for (const n of [0, 1, 5, 4099, 20000]) {
        const ranks = laplacianCodes(n, 0.3, 8, n + lanes);
        const counts = new Float64Array(8).fill(1);
        for (const r of ranks) counts[r]!++;
        const freq = normalizeFrequencies(counts, 12);
        const start = new Uint32Array(8);
        for (let i = 1; i < 8; i++) start[i] = start[i - 1]! + freq[i - 1]!;
        const full = ransEncode(ranks, freq, start, 12, lanes);
        for (const hint of [0, 1, 7, 100]) expect(hex(ransEncodeView(ranks, freq, start, 12, lanes, hint))).toBe(hex(full));
      }
    }
  });
});

describe("countCodes", () => {
  it("is the histogram when every code is below the alphabet, also when their OR is not", () => {
    for (const k of [10, 16, 300]) {
      const codes = laplacianCodes(5000, 0.2, k, k);
      codes[0] = k - 1;
      const got = countCodes(codes, k)!;
      const want = histogram(codes);
      expect([...got.symbols]).toEqual([...want.symbols]);
      expect([...got.counts]).toEqual([...want.counts]);
    }
  });
  it("is null when a code is outside the alphabet, and the coder names the first one", () => {
    const codes = laplacianCodes(5000, 0.5, 10, 1);
    codes[4321] = 12;
    codes[4999] = 2 ** 32 - 1;
    expect(countCodes(codes, 10)).toBeNull();
    expect(countCodes(codes.subarray(0, 4000), 10)).not.toBeNull();
    expect(() => coder.encode(dense(codes), cb(10))).toThrow(ShapeMismatchError);
    expect(() => coder.encode(dense(codes), cb(10))).toThrow(/code 12 at 4321/);
  });
});

describe("ransDecode on corrupted 4-state payloads", () => {
  it("returns false or decodes, and never throws, for any one flipped or dropped byte", () => {
    const ranks = laplacianCodes(4096, 0.4, 8, 9);
    const counts = new Float64Array(8).fill(1);
    for (const r of ranks) counts[r]!++;
    const freq = normalizeFrequencies(counts, 11);
    const start = new Uint32Array(8);
    for (let i = 1; i < 8; i++) start[i] = start[i - 1]! + freq[i - 1]!;
    const payload = ransEncode(ranks, freq, start, 11, 4);
    const t = buildDecodeTable(
      Uint32Array.from({ length: 8 }, (_, i) => i),
      freq,
      11,
    );
    const out = new Uint32Array(ranks.length);
    expect(ransDecode(payload, 0, payload.length, t, 4, out)).toBe(true);
    expect([...out]).toEqual([...ranks]);
    let rejected = 0;
    for (let j = 0; j < payload.length; j++) {
      const bad = payload.slice();
      bad[j]! ^= 0x5a;
      // In place with a byte or two after the payload (as in a stream), and exactly sized.
      for (const [b, to] of [
        [bad, bad.length],
        [Uint8Array.from([...bad, 1, 2]), bad.length],
        [bad.subarray(0, bad.length - 2), bad.length - 2],
      ] as const) {
        const ok = ransDecode(b, 0, to, t, 4, out);
        if (!ok) rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(payload.length);
  });
});
