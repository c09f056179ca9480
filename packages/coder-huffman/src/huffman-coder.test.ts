import fc from "fast-check";
import { DecodeError, ShapeMismatchError, Rng, type LevelsCodebook, type QuantizedTensor } from "@quantforge/core";
import { instantiate } from "@quantforge/core/host";
import { codeHistogram, crc32 } from "@quantforge/core/format";
import { describe, expect, it } from "vitest";
import { huffmanCoder } from "./huffman-coder.js";
import { entropyBits } from "./huffman-impl.js";
import { HUFFMAN_VERSION } from "./stream-impl.js";

const coder = instantiate(huffmanCoder());
const cb = (k: number): LevelsCodebook => ({ kind: "levels", id: "cb", levels: new Float32Array(k) });
const dense = (codes: Uint32Array, shape = [codes.length]): QuantizedTensor => ({ name: "t", shape, codebook: "cb", grouping: { kind: "tensor" }, codes });

/** Recomputes the trailing CRC so a mutation reaches the structural validation. */
function reCrc(b: Uint8Array): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}

/** Quantized Laplacian codes with step `step` (in units of the scale), offset into 0…k−1. */
function laplacianCodes(n: number, step: number, k: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  const out = new Uint32Array(n);
  const mid = k >> 1;
  for (let i = 0; i < n; i++) out[i] = Math.max(0, Math.min(k - 1, Math.round(rng.laplace(1) / step) + mid));
  return out;
}

const tensorArb = fc.integer({ min: 1, max: 300 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    codes: fc.array(fc.integer({ min: 0, max: k - 1 }), { maxLength: 400 }),
    sparseOf: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
    seed: fc.integer(),
  }),
);

describe("huffman coder round trip", () => {
  it("decode(encode(q)) is bit-exact for dense and sparse tensors (property)", () => {
    fc.assert(
      fc.property(tensorArb, ({ k, codes, sparseOf, seed }) => {
        const c = Uint32Array.from(codes);
        let t: QuantizedTensor;
        if (sparseOf === undefined) t = dense(c, [c.length]);
        else {
          // Choose |codes| strictly increasing positions in a tensor of codes.length + sparseOf elements.
          const total = c.length + sparseOf;
          const rng = new Rng(seed);
          const idx = Array.from({ length: total }, (_, i) => i);
          rng.shuffle(idx);
          const positions = Uint32Array.from(idx.slice(0, c.length).sort((a, b) => a - b));
          t = { ...dense(c, [total]), sparse: { positions } };
        }
        const back = coder.decode(coder.encode(t, cb(k)));
        expect(back.name).toBe(t.name);
        expect(back.shape).toEqual(t.shape);
        expect(back.codebook).toBe("cb");
        expect(back.grouping).toEqual(t.grouping);
        expect([...back.codes]).toEqual([...t.codes]);
        expect(back.sparse ? [...back.sparse.positions] : undefined).toEqual(t.sparse ? [...t.sparse.positions] : undefined);
      }),
      { numRuns: 150 },
    );
  });

  it("round-trips groupings, scalars, empty tensors and a single-symbol alphabet", () => {
    const cases: QuantizedTensor[] = [
      { ...dense(Uint32Array.of(1, 0, 1, 1, 0, 0), [2, 3]), grouping: { kind: "channel", axis: 1 } },
      { ...dense(Uint32Array.of(2, 2, 2, 2, 2), [5]), grouping: { kind: "group", size: 2 } },
      dense(Uint32Array.of(3), []),
      dense(new Uint32Array(0), [0, 4]),
      dense(new Uint32Array(100_000).fill(7)),
      { ...dense(Uint32Array.of(4, 4, 4), [1000]), sparse: { positions: Uint32Array.of(0, 500, 999) } },
      { ...dense(new Uint32Array(0), [10]), sparse: { positions: new Uint32Array(0) } },
    ];
    for (const t of cases) {
      const bytes = coder.encode(t, cb(8));
      const back = coder.decode(bytes);
      expect(back.shape).toEqual(t.shape);
      expect(back.grouping).toEqual(t.grouping);
      expect([...back.codes]).toEqual([...t.codes]);
      expect(back.sparse?.positions ? [...back.sparse.positions] : null).toEqual(t.sparse ? [...t.sparse.positions] : null);
    }
    // One symbol costs no payload bits: 100k identical codes fit in a few dozen bytes.
    expect(coder.encode(dense(new Uint32Array(100_000).fill(7)), cb(8)).length).toBeLessThan(40);
  });

  it("codes very large gaps through the escape and long codes through the canonical limits", () => {
    const total = 5_000_000;
    const positions = Uint32Array.of(0, 1, 2, 70_000, 70_001, 4_999_999);
    const t: QuantizedTensor = { ...dense(Uint32Array.of(0, 1, 2, 3, 4, 5), [total]), sparse: { positions } };
    expect([...coder.decode(coder.encode(t, cb(6))).sparse!.positions]).toEqual([...positions]);
    // Geometric frequencies force codes longer than the 11-bit primary table.
    const codes: number[] = [];
    for (let s = 0; s < 18; s++) for (let r = 0; r < 2 ** (17 - s); r++) codes.push(s);
    const c = Uint32Array.from(codes);
    expect([...coder.decode(coder.encode(dense(c), cb(18))).codes]).toEqual(codes);
  });

  it("is deterministic byte for byte (golden stream)", () => {
    const bytes = coder.encode(dense(Uint32Array.of(0, 1, 1, 2, 2, 2, 2, 3), [8]), cb(4));
    expect(Buffer.from(bytes).toString("hex")).toMatchInlineSnapshot(`"514648550100017402636204010800000827299d22ea0eb278f714"`);
  });

  it("rejects codes outside the codebook at encode time", () => {
    expect(() => coder.encode(dense(Uint32Array.of(0, 9)), cb(4))).toThrow(ShapeMismatchError);
  });
});

describe("huffman coder efficiency", () => {
  it("stays within 0.05 bit/weight of the zeroth-order entropy on quantized Laplacian codes with p_max < 0.25", () => {
    for (const step of [0.05, 0.15, 0.3]) {
      const codes = laplacianCodes(200_000, step, 256, 7);
      const h = new Float64Array(256);
      for (const v of codes) h[v]!++;
      expect(Math.max(...h) / codes.length).toBeLessThan(0.25);
      const perWeight = (coder.encode(dense(codes), cb(256)).length * 8) / codes.length;
      // The whole stream (header, table, CRC) counts, not just the payload.
      expect(perWeight - entropyBits(h)).toBeLessThan(0.05);
      expect(perWeight).toBeGreaterThanOrEqual(entropyBits(h));
    }
  });

  it("respects Gallager's redundancy bound p_max + 0.086 for p_max < 0.5 (the gap grows with p_max; see README)", () => {
    for (const step of [0.45, 0.6, 0.8]) {
      const codes = laplacianCodes(200_000, step, 256, 8);
      const h = new Float64Array(256);
      for (const v of codes) h[v]!++;
      const pmax = Math.max(...h) / codes.length;
      expect(pmax).toBeLessThan(0.5);
      const perWeight = (coder.encode(dense(codes), cb(256)).length * 8) / codes.length;
      expect(perWeight - entropyBits(h)).toBeLessThan(pmax + 0.086);
    }
  });

  it("stays within 1 bit of the entropy on skewed sources (gap reported in the README)", () => {
    for (const step of [1, 2, 4]) {
      const codes = laplacianCodes(200_000, step, 256, 9);
      const h = new Float64Array(256);
      for (const v of codes) h[v]!++;
      const perWeight = (coder.encode(dense(codes), cb(256)).length * 8) / codes.length;
      expect(perWeight - entropyBits(h)).toBeLessThan(1);
    }
  });
});

describe("huffman coder rejects bad streams", () => {
  const good = coder.encode({ ...dense(laplacianCodes(3000, 0.3, 64, 3), [5000]), sparse: { positions: Uint32Array.from({ length: 3000 }, (_, i) => i + (i >> 1)) } }, cb(64));

  it("rejects every truncation and the wrong version", () => {
    for (let len = 0; len < good.length; len += 7) expect(() => coder.decode(good.subarray(0, len))).toThrow(DecodeError);
    const v = good.slice();
    v[4] = HUFFMAN_VERSION + 1;
    expect(() => coder.decode(v)).toThrow(/version/);
    expect(() => coder.decode(new TextEncoder().encode("not a stream at all"))).toThrow(/magic/);
  });

  it("rejects single bit flips (CRC)", () => {
    for (let i = 0; i < good.length; i += 5) {
      const b = good.slice();
      b[i]! ^= 1 << (i % 8);
      expect(() => coder.decode(b)).toThrow(DecodeError);
    }
  });

  it("with a recomputed CRC, any mutation is a DecodeError or a valid tensor — never a crash or a hang", () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: good.length - 5 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = good.slice();
        b[i]! ^= x;
        try {
          const t = coder.decode(reCrc(b));
          expect(t.codes.length).toBeLessThanOrEqual(5000);
          expect(t.codes.every((c) => c < 64)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("rejects an oversized declaration before allocating", () => {
    // A stream that claims 2^31 elements in a handful of bytes.
    const t = dense(Uint32Array.of(0, 1), [2]);
    const b = coder.encode(t, cb(2));
    const hex = Buffer.from(b).toString("hex");
    // shape [2] is "01 02" after the alphabet size 02; replace the dim by varint 2^31.
    const patched = Buffer.from(hex.replace("020102", "0201" + "8080808008"), "hex");
    expect(() => coder.decode(reCrc(new Uint8Array(patched)))).toThrow(DecodeError);
  });
});

describe("decodeEncoded (the pipeline's round trip of a stream it just wrote)", () => {
  it("returns what decode returns, reusing the known codes, dense and sparse", () => {
    const codes = laplacianCodes(5000, 0.5, 64, 3);
    const t = dense(codes, [50, 100]);
    const s = coder.encode(t, cb(64));
    const back = coder.decodeEncoded!(s, t);
    expect(back).toEqual(coder.decode(s));
    expect(back.codes).toBe(codes);
    const sp: QuantizedTensor = { ...dense(codes.subarray(0, 100)), shape: [400], sparse: { positions: Uint32Array.from({ length: 100 }, (_, i) => i * 4) } };
    const ss = coder.encode(sp, cb(64));
    expect(coder.decodeEncoded!(ss, sp)).toEqual(coder.decode(ss));
  });

  it("decodes in full when the known codes are not what the stream holds", () => {
    const codes = laplacianCodes(2000, 0.5, 32, 4);
    const s = coder.encode(dense(codes), cb(32));
    const other = codes.map((c) => (c + 1) % 32);
    const back = coder.decodeEncoded!(s, dense(other));
    expect(back.codes).not.toBe(other);
    expect(back.codes).toEqual(codes);
  });

  it("still rejects a corrupted stream", () => {
    const codes = laplacianCodes(1000, 0.5, 16, 5);
    const t = dense(codes);
    const s = coder.encode(t, cb(16)).slice();
    s[s.length - 10]! ^= 1;
    expect(() => coder.decodeEncoded!(s, t)).toThrow(DecodeError);
  });
});

describe("CodeFacts: a histogram the caller already counted", () => {
  it("encode writes the same bytes with or without it (small and past the lane cap)", () => {
    for (const [k, n, seed] of [
      [64, 5000, 6],
      [1 << 17, 3000, 7],
    ] as const) {
      const codes = laplacianCodes(n, 0.5, k, seed);
      codes[0] = k - 1;
      const t = dense(codes);
      const histogram = codeHistogram([codes], 1 << 20)!;
      expect(Buffer.from(coder.encode(t, cb(k), { histogram })).equals(Buffer.from(coder.encode(t, cb(k))))).toBe(true);
    }
  });

  it("encode still refuses a code outside the codebook when given the histogram", () => {
    const codes = laplacianCodes(500, 0.5, 16, 8);
    codes[9] = 16;
    expect(() => coder.encode(dense(codes), cb(16), { histogram: codeHistogram([codes], 1 << 20)! })).toThrow(ShapeMismatchError);
  });

  it("decodeEncoded of a stream coded elsewhere takes the known codes, counted by the caller", () => {
    const codes = laplacianCodes(5000, 0.5, 64, 9);
    const s = coder.encode(dense(codes), cb(64));
    const elsewhere = codes.slice(); // not the array this module encoded: no remembered alphabet
    const back = coder.decodeEncoded!(s, dense(elsewhere), {}, { histogram: codeHistogram([elsewhere], 1 << 20)! });
    expect(back.codes).toBe(elsewhere);
    expect(back).toEqual({ ...coder.decode(s), codes: elsewhere });
    expect(coder.decodeEncoded!(s, dense(codes.slice())).codes).toEqual(codes);
  });
});
