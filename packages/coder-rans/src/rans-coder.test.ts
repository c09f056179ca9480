import fc from "fast-check";
import { DecodeError, Rng, ShapeMismatchError, type Codebook, type LevelsCodebook, type QuantizedTensor } from "@quantforge/core";
import { instantiate } from "@quantforge/core/host";
import { crc32 } from "@quantforge/core/format";
import { describe, expect, it } from "vitest";
import { ransCoder } from "./rans-coder.js";
import { histogram } from "./section-impl.js";
import { RANS_VERSION } from "./stream-impl.js";

const coder = instantiate(ransCoder());
const cb = (k: number): LevelsCodebook => ({ kind: "levels", id: "cb", levels: new Float32Array(k) });
const dense = (codes: Uint32Array, shape = [codes.length]): QuantizedTensor => ({ name: "t", shape, codebook: "cb", grouping: { kind: "tensor" }, codes });

function entropy(codes: Uint32Array): number {
  const { counts } = histogram(codes);
  let h = 0;
  for (const c of counts) h -= (c / codes.length) * Math.log2(c / codes.length);
  return h;
}
/** Quantized Laplacian codes with step `step` (in units of the scale), offset into 0…k−1. */
function laplacianCodes(n: number, step: number, k: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, Math.min(k - 1, Math.round(rng.laplace(1) / step) + (k >> 1)));
  return out;
}
function reCrc(b: Uint8Array): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}

const tensorArb = fc.integer({ min: 1, max: 300 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    codes: fc.array(fc.integer({ min: 0, max: k - 1 }), { maxLength: 400 }),
    skew: fc.boolean(),
    sparseOf: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
    seed: fc.integer(),
  }),
);

describe("rans coder round trip", () => {
  it("decode(encode(q)) is bit-exact for dense and sparse tensors (property)", () => {
    fc.assert(
      fc.property(tensorArb, ({ k, codes, skew, sparseOf, seed }) => {
        // Skewed streams exercise the one-symbol and nearly-one-symbol paths.
        const c = Uint32Array.from(codes, (v, i) => (skew && i % 17 !== 0 ? 0 : v));
        let t: QuantizedTensor = dense(c);
        if (sparseOf !== undefined) {
          const total = c.length + sparseOf;
          const rng = new Rng(seed);
          const idx = Array.from({ length: total }, (_, i) => i);
          rng.shuffle(idx);
          t = { ...dense(c, [total]), sparse: { positions: Uint32Array.from(idx.slice(0, c.length).sort((a, b) => a - b)) } };
        }
        const back = coder.decode(coder.encode(t, cb(k)));
        expect([...back.codes]).toEqual([...t.codes]);
        expect(back.shape).toEqual(t.shape);
        expect(back.sparse ? [...back.sparse.positions] : undefined).toEqual(t.sparse ? [...t.sparse.positions] : undefined);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips codes near 2^32 (a huge alphabet, raw or rANS over the used symbols)", () => {
    const big: Codebook = { kind: "affine", id: "cb", levels: 2 ** 32, scale: Float32Array.of(1), zeroPoint: Float32Array.of(0) };
    const few = Uint32Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 2 ** 32 - 1 : 2 ** 31 + (i % 2)));
    const many = Uint32Array.from({ length: 1000 }, (_, i) => Math.imul(i + 1, 2654435761) >>> 0);
    for (const codes of [few, many]) expect([...coder.decode(coder.encode(dense(codes), big)).codes]).toEqual([...codes]);
    // Three symbols cost ~1.6 bits each, not 32.
    expect(coder.encode(dense(few), big).length).toBeLessThan(250);
  });

  it("refuses codes outside the codebook and positions out of order", () => {
    expect(() => coder.encode(dense(Uint32Array.of(0, 4)), cb(4))).toThrow(ShapeMismatchError);
    const bad: QuantizedTensor = { ...dense(Uint32Array.of(1, 2), [5]), sparse: { positions: Uint32Array.of(3, 3) } };
    expect(() => coder.encode(bad, cb(4))).toThrow(ShapeMismatchError);
  });
});

describe("rans coder efficiency (whole stream: header, table, states and CRC counted)", () => {
  it("stays within 0.01 bit/code of the entropy on 1M Laplacian codes, at every skew", () => {
    for (const step of [0.05, 0.3, 1, 3, 8]) {
      const codes = laplacianCodes(1_000_000, step, 256, 11);
      const bits = (coder.encode(dense(codes), cb(256)).length * 8) / codes.length;
      expect(bits - entropy(codes)).toBeLessThan(0.01);
      expect(bits).toBeGreaterThan(entropy(codes)); // a lossless coder cannot beat it on i.i.d. codes
    }
  });
  it("codes one-symbol and nearly-one-symbol streams in a few bytes", () => {
    const one = new Uint32Array(1_000_000).fill(3);
    // 25 bytes of header and CRC (name, codebook id, shape, count) plus a 2-byte section.
    expect(coder.encode(dense(one), cb(16)).length).toBe(27);
    const nearly = new Uint32Array(1_000_000).fill(3);
    for (let i = 0; i < 10; i++) nearly[i * 99_991] = 7;
    // Entropy: ~0.00018 bit/code = 23 bytes; the stream adds header, table and 4 states.
    expect(coder.encode(dense(nearly), cb(16)).length).toBeLessThan(80);
  });
  it("codes sparse positions close to their gap entropy", () => {
    const rng = new Rng(5);
    const total = 200_000,
      pos: number[] = [];
    for (let i = 0; i < total; i++) if (rng.float() < 0.1) pos.push(i);
    const positions = Uint32Array.from(pos);
    const t: QuantizedTensor = { ...dense(new Uint32Array(pos.length), [total]), sparse: { positions } };
    // A Bernoulli(0.1) mask has entropy 0.469 bit per element.
    const h = -(0.1 * Math.log2(0.1) + 0.9 * Math.log2(0.9));
    expect((coder.encode(t, cb(4)).length * 8) / total).toBeLessThan(h + 0.01);
  });
});

describe("rans coder decoding is defensive", () => {
  it("checks the element budget before allocating a one-symbol stream", () => {
    const bytes = coder.encode(dense(new Uint32Array(1 << 20)), cb(2));
    expect(bytes.length).toBeLessThan(30);
    expect(() => coder.decode(bytes, { maxElements: 1000 })).toThrow(DecodeError);
    expect(coder.decode(bytes, { maxElements: 1 << 20 }).codes.length).toBe(1 << 20);
  });
  it("rejects other versions and inconsistent payloads with DecodeError", () => {
    const bytes = coder.encode(dense(laplacianCodes(5000, 0.5, 16, 1)), cb(16));
    const v = bytes.slice();
    v[4] = RANS_VERSION + 1;
    expect(() => coder.decode(reCrc(v))).toThrow(/version/);
    // Flip payload bytes with a fixed-up CRC: the rANS final-state check catches them.
    for (const off of [bytes.length - 6, bytes.length - 40, bytes.length - 200]) {
      const b = bytes.slice();
      b[off]! ^= 0x10;
      try {
        const t = coder.decode(reCrc(b));
        expect(t.codes.length).toBe(5000);
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
      }
    }
  });
});
