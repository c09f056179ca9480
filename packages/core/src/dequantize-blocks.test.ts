import { describe, expect, it } from "vitest";
import type { Codebook } from "./codebook.js";
import { codebookSize } from "./codebook.js";
import { dequantizeTensor, dequantizeTensorBlocks, visitDequantized } from "./codebook-impl.js";
import type { Grouping } from "./grouping.js";
import type { QuantizedTensor } from "./quantized.js";
import { Rng } from "./rng.js";
import { shapeSize } from "./tensor.js";

/**
 * dequantizeTensorBlocks (issue 18's fused pass): the values equal dequantizeTensor's bit for
 * bit for every codebook kind and grouping, over several blocks; the visits cover [0, n) in
 * order, and each block is final when it is visited.
 */
const rng = new Rng(41);
const floats = (n: number, f: () => number) => Float32Array.from({ length: n }, f);

function tensor(shape: number[], grouping: Grouping, cb: Codebook, sparse = false): QuantizedTensor {
  const n = shapeSize(shape);
  const positions = sparse ? Uint32Array.from({ length: n }, (_, i) => i).filter(() => rng.float() < 0.3) : undefined;
  const codes = new Uint32Array(positions ? positions.length : n);
  for (let i = 0; i < codes.length; i++) codes[i] = rng.int(0, codebookSize(cb) - 1);
  return { name: "t", shape, grouping, codebook: cb.id, codes, ...(positions ? { sparse: { positions } } : {}) };
}

const shape = [300, 517]; // 155,100 elements: two full blocks and a partial one
const cases: [string, Codebook, Grouping, boolean?][] = [
  ["affine per tensor", { kind: "affine", id: "c", levels: 256, scale: Float32Array.of(0.013), zeroPoint: Float32Array.of(121) }, { kind: "tensor" }],
  ["affine per channel", { kind: "affine", id: "c", levels: 16, scale: floats(300, () => 0.01 + rng.float()), zeroPoint: floats(300, () => rng.int(0, 15)) }, { kind: "channel", axis: 0 }],
  ["levels", { kind: "levels", id: "c", levels: floats(37, () => rng.float() - 0.5) }, { kind: "tensor" }],
  ["scaled levels per group", { kind: "scaledLevels", id: "c", levels: floats(16, () => rng.float() * 2 - 1), scale: floats(Math.ceil(155_100 / 64), () => rng.float()) }, { kind: "group", size: 64 }],
  ["grid, small table", { kind: "grid", id: "c", levels: 255, xMax: 3, midtread: true, sigma: floats(517, () => rng.float()), mu: floats(517, () => rng.float() - 0.5) }, { kind: "channel", axis: 1 }],
  ["grid, table larger than a block's share (whole)", { kind: "grid", id: "c", levels: 70_000, xMax: 4, midtread: false, sigma: Float32Array.of(0.7), mu: Float32Array.of(0.1) }, { kind: "tensor" }],
  ["sparse (whole)", { kind: "affine", id: "c", levels: 256, scale: Float32Array.of(0.02), zeroPoint: Float32Array.of(3) }, { kind: "tensor" }, true],
];

describe("dequantizeTensorBlocks", () => {
  for (const [label, cb, grouping, sparse] of cases) {
    it(`equals dequantizeTensor and visits every block once, in order (${label})`, () => {
      const t = tensor(shape, grouping, cb, sparse);
      const want = dequantizeTensor(t, cb);
      const seen: [number, number][] = [];
      const atVisit = new Float32Array(want.length);
      const got = dequantizeTensorBlocks(t, cb, (start, end, out) => {
        seen.push([start, end]);
        atVisit.set(out.subarray(start, end), start);
      });
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      expect(Buffer.from(atVisit.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      expect(seen[0]![0]).toBe(0);
      expect(seen.at(-1)![1]).toBe(want.length);
      for (let k = 1; k < seen.length; k++) expect(seen[k]![0]).toBe(seen[k - 1]![1]);
      expect(seen.length).toBe(sparse || label.includes("whole") ? 1 : 3);
    });
  }

  it("refuses a codebook with another id as dequantizeTensor does", () => {
    const cb: Codebook = { kind: "levels", id: "other", levels: Float32Array.of(1, 2) };
    const t = tensor([4], { kind: "tensor" }, { ...cb, id: "c" });
    expect(() => dequantizeTensorBlocks(t, cb, () => undefined)).toThrow(/refers to codebook "c" but "other" was given/);
  });
});

describe("visitDequantized", () => {
  for (const [label, cb, grouping, sparse] of cases) {
    it(`visits dequantizeTensor's values block by block, in order, in one reused block (${label})`, () => {
      const t = tensor(shape, grouping, cb, sparse);
      const want = dequantizeTensor(t, cb);
      const got = new Float32Array(want.length);
      const buffers = new Set<ArrayBufferLike>();
      let next = 0;
      visitDequantized(t, cb, (start, values) => {
        expect(start).toBe(next);
        next = start + values.length;
        buffers.add(values.buffer);
        got.set(values, start);
      });
      expect(next).toBe(want.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      expect(buffers.size).toBe(1);
      if (!sparse && !label.includes("whole")) expect([...buffers][0]!.byteLength).toBe(65536 * 4);
    });
  }
});
