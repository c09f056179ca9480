import { fc, test } from "@fast-check/vitest";
import { expect, it } from "vitest";
import { codeHistogram, usedSymbols } from "./code-histogram.js";

/** The plain histogram the one-pass kernel must equal. */
function naive(arrays: readonly Uint32Array[]): Float64Array {
  let max = -1;
  for (const a of arrays) for (const v of a) max = Math.max(max, v);
  const h = new Float64Array(max + 1);
  for (const a of arrays) for (const v of a) h[v]!++;
  return h;
}

test.prop([fc.array(fc.array(fc.oneof(fc.nat(300), fc.nat(70_000)), { maxLength: 200 }), { maxLength: 4 }), fc.constantFrom(1 << 9, 1 << 16, 1 << 20)])(
  "equals a plain histogram of the pooled values, or undefined exactly when a value reaches the cap",
  (lists, cap) => {
    const arrays = lists.map((l) => Uint32Array.from(l));
    const want = naive(arrays);
    const got = codeHistogram(arrays, cap);
    if (want.length - 1 >= cap) expect(got).toBeUndefined();
    else {
      // The first differing bin, not a deep equality: toEqual walks 70,001-bin arrays element by
      // element and took 77 s for 100 runs on a loaded machine (past the 60 s test timeout).
      expect(got?.length).toBe(want.length);
      expect(want.findIndex((v, i) => got![i] !== v)).toBe(-1);
    }
  },
);

// Byte codes take a word-reading path (the aligned middle as 32-bit words): every offset into
// the buffer and every length, across the 64K-code block boundary too.
test.prop([fc.array(fc.nat(255), { maxLength: 300 }), fc.nat(7), fc.nat(3), fc.boolean()])("byte codes at any offset and length count as their Uint32Array copy does", (values, pad, tail, long) => {
  const n = values.length + (long ? 65_536 : 0);
  const buffer = new Uint8Array(pad + n + tail).fill(255);
  const bytes = buffer.subarray(pad, pad + n);
  bytes.fill(7);
  bytes.set(values, n - values.length);
  const want = naive([Uint32Array.from(bytes)]);
  const got = codeHistogram([bytes, bytes.subarray(1)], 1 << 16)!;
  const wantBoth = naive([Uint32Array.from(bytes), Uint32Array.from(bytes.subarray(1))]);
  expect(got.length).toBe(wantBoth.length);
  expect(wantBoth.findIndex((v, i) => got[i] !== v)).toBe(-1);
  expect(codeHistogram([bytes], 1 << 16)!.length).toBe(want.length);
});

it("grows across blocks: a large value after the first 64K-value block is counted once", () => {
  const a = new Uint32Array(200_000).fill(3);
  a[150_000] = 4_000;
  a[199_999] = 255;
  const h = codeHistogram([a, Uint32Array.of(4_000, 1)], 1 << 16)!;
  expect(h.length).toBe(4_001);
  expect([h[3], h[4_000], h[255], h[1]]).toEqual([199_998, 2, 1, 1]);
  expect(h.reduce((s, c) => s + c, 0)).toBe(200_002);
});

test.prop([fc.array(fc.nat(40), { maxLength: 60 })])("usedSymbols lists exactly the positive bins, ascending, with their counts", (bins) => {
  const h = Float64Array.from(bins.map((b) => (b % 3 === 0 ? 0 : b)));
  const { symbols, counts } = usedSymbols(h);
  const expected = [...h.keys()].filter((s) => h[s]! > 0);
  expect([...symbols]).toEqual(expected);
  expect([...counts]).toEqual(expected.map((s) => h[s]!));
  expect([...usedSymbols(Int32Array.from(h)).symbols]).toEqual(expected);
});
