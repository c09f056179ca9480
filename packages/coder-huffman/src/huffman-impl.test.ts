import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalCodes, effectiveMaxLength, entropyBits, huffmanCodeLengths, isCompleteCode } from "./huffman-impl.js";

const cost = (w: ArrayLike<number>, l: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]! * l[i]!;
  return s;
};

/** Optimal cost by exhaustive search over length vectors with Kraft sum ≤ 1 (tiny n only). */
function bruteForceOptimal(w: number[], L: number): number {
  let best = Infinity;
  const l = new Array<number>(w.length).fill(1);
  const rec = (i: number, kraft: number) => {
    if (kraft > 1 + 1e-12) return;
    if (i === w.length) {
      best = Math.min(best, cost(w, l));
      return;
    }
    for (let len = 1; len <= L; len++) {
      l[i] = len;
      rec(i + 1, kraft + 2 ** -len);
    }
  };
  rec(0, 0);
  return best;
}

/** Textbook Huffman cost by repeatedly merging the two smallest weights. */
function referenceHuffmanCost(w: number[]): number {
  const q = [...w];
  let total = 0;
  while (q.length > 1) {
    q.sort((a, b) => a - b);
    const s = q.shift()! + q.shift()!;
    total += s;
    q.push(s);
  }
  return total;
}

describe("huffmanCodeLengths", () => {
  it("gives length 0 to a single symbol and nothing to an empty alphabet", () => {
    expect([...huffmanCodeLengths([7], 20)]).toEqual([0]);
    expect(huffmanCodeLengths([], 20).length).toBe(0);
  });

  it("matches textbook Huffman cost and forms a complete code (unconstrained)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 60 }), (w) => {
        const l = huffmanCodeLengths(w, 24);
        expect(isCompleteCode(l)).toBe(true);
        expect(cost(w, l)).toBe(referenceHuffmanCost(w));
      }),
    );
  });

  it("package-merge is optimal under the length limit (exhaustive check on small alphabets)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 2, maxLength: 7 }), fc.integer({ min: 3, max: 4 }), (w, L) => {
        fc.pre(2 ** L >= w.length);
        const l = huffmanCodeLengths(w, L);
        expect(Math.max(...l)).toBeLessThanOrEqual(L);
        expect(isCompleteCode(l)).toBe(true);
        expect(cost(w, l)).toBe(bruteForceOptimal(w, L));
      }),
      { numRuns: 60 },
    );
  });

  it("limits Fibonacci-like weights (whose Huffman code is 30+ bits deep)", () => {
    const w = [1, 1];
    while (w.length < 40) w.push(w[w.length - 1]! + w[w.length - 2]!);
    expect(Math.max(...huffmanCodeLengths(w, 40))).toBe(39);
    const l = huffmanCodeLengths(w, 12);
    expect(Math.max(...l)).toBe(12);
    expect(isCompleteCode(l)).toBe(true);
  });

  it("rejects a limit too short for the alphabet", () => {
    expect(() => huffmanCodeLengths([1, 1, 1, 1, 1], 2)).toThrow(RangeError);
  });
});

describe("canonicalCodes", () => {
  it("assigns DEFLATE's example codes (RFC 1951 §3.2.2)", () => {
    const codes = canonicalCodes(Uint8Array.of(3, 3, 3, 3, 3, 2, 4, 4));
    expect([...codes]).toEqual([0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111]);
  });
  it("is prefix-free for any complete code", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 2, maxLength: 40 }), (w) => {
        const l = huffmanCodeLengths(w, 24);
        const c = canonicalCodes(l);
        const words = [...l].map((len, i) => c[i]!.toString(2).padStart(len, "0"));
        for (let i = 0; i < words.length; i++) for (let j = 0; j < words.length; j++) if (i !== j) expect(words[j]!.startsWith(words[i]!)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});

describe("helpers", () => {
  it("effectiveMaxLength never goes below ⌈log2 n⌉ + 4 nor above 24", () => {
    expect(effectiveMaxLength(5, 256)).toBe(12);
    expect(effectiveMaxLength(20, 256)).toBe(20);
    expect(effectiveMaxLength(20, 2 ** 22)).toBe(24);
  });
  it("entropyBits of a uniform 8-symbol histogram is 3", () => {
    expect(entropyBits(new Float64Array(8).fill(5))).toBeCloseTo(3, 12);
    expect(entropyBits([9])).toBe(0);
  });
});
