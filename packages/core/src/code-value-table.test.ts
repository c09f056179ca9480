import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Codebook } from "./codebook.js";
import { codebookSize } from "./codebook.js";
import { codeValueTable, dequantizeTensor } from "./codebook-impl.js";
import type { Grouping } from "./grouping.js";
import type { QuantizedTensor } from "./quantized.js";

/**
 * codeValueTable (issue 18's one-pass error sums): `table[q]` is what dequantizeCodes writes for
 * code q, so reading a per-tensor tensor's values through the table equals dequantizeTensor to
 * the bit, for every codebook kind, whatever its parameter arrays hold.
 */
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e4, max: 1e4 });
const params = (min: number) => fc.array(f32, { minLength: min, maxLength: 4 }).map((a) => Float32Array.from(a));

/** A codebook of each kind with 1…300 codes (several parameter sets: a per-tensor tensor reads the first). */
const codebookArb: fc.Arbitrary<Codebook> = fc.oneof(
  fc.array(f32, { minLength: 1, maxLength: 300 }).map((l): Codebook => ({ kind: "levels", id: "c", levels: Float32Array.from(l) })),
  fc.record({ levels: fc.integer({ min: 1, max: 300 }), scale: params(1), zeroPoint: params(1) }).map((r): Codebook => ({ kind: "affine", id: "c", ...r })),
  fc.record({ levels: fc.integer({ min: 1, max: 300 }), xMax: fc.float({ noNaN: true, min: Math.fround(1e-3), max: 100 }), midtread: fc.boolean(), sigma: params(1), mu: params(1) }).map((r): Codebook => ({ kind: "grid", id: "c", ...r })),
  fc.record({ levels: fc.array(f32, { minLength: 1, maxLength: 40 }), scale: params(1) }).map((r): Codebook => ({ kind: "scaledLevels", id: "c", levels: Float32Array.from(r.levels), scale: r.scale })),
);

function tensorOf(cb: Codebook, picks: readonly number[], grouping: Grouping = { kind: "tensor" }): QuantizedTensor {
  const size = codebookSize(cb);
  return { name: "t", shape: [picks.length], grouping, codebook: cb.id, codes: Uint32Array.from(picks, (p) => p % size) };
}

describe("codeValueTable", () => {
  it("a per-tensor tensor's values read through the table equal dequantizeTensor's, bit for bit (every kind)", () => {
    fc.assert(
      fc.property(codebookArb, fc.array(fc.nat(), { minLength: 300, maxLength: 600 }), (cb, picks) => {
        const t = tensorOf(cb, picks);
        const table = codeValueTable(t, cb);
        expect(table?.length).toBe(codebookSize(cb));
        const want = dequantizeTensor(t, cb);
        const got = Float32Array.from(t.codes, (q) => table![q]!);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("no table where values depend on more than the code, or where it would cost more than it saves", () => {
    const cb: Codebook = { kind: "affine", id: "c", levels: 256, scale: Float32Array.of(0.1, 0.2), zeroPoint: Float32Array.of(1, 2) };
    const picks = Array.from({ length: 512 }, (_, i) => i);
    expect(codeValueTable(tensorOf(cb, picks, { kind: "channel", axis: 0 }), cb)).toBeUndefined();
    expect(codeValueTable(tensorOf(cb, picks, { kind: "group", size: 64 }), cb)).toBeUndefined();
    expect(codeValueTable({ ...tensorOf(cb, picks), sparse: { positions: Uint32Array.of(0) } }, cb)).toBeUndefined();
    expect(codeValueTable(tensorOf(cb, picks), { ...cb, id: "other" })).toBeUndefined();
    // More codes than 2^16, or than the tensor has elements (above 256): dequantized as before.
    const wide: Codebook = { kind: "grid", id: "c", levels: 70_000, xMax: 1, midtread: false, sigma: Float32Array.of(1), mu: Float32Array.of(0) };
    expect(
      codeValueTable(
        tensorOf(
          wide,
          Array.from({ length: 80_000 }, (_, i) => i),
        ),
        wide,
      ),
    ).toBeUndefined();
    const mid: Codebook = { ...cb, levels: 4096 };
    expect(codeValueTable(tensorOf(mid, picks), mid)).toBeUndefined();
    expect(
      codeValueTable(
        tensorOf(
          mid,
          Array.from({ length: 4096 }, (_, i) => i),
        ),
        mid,
      )?.length,
    ).toBe(4096);
  });
});
