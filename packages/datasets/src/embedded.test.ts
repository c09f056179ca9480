import { describe, expect, it } from "vitest";
import { EMBEDDED_MNIST_SEED, loadEmbeddedMnist } from "./embedded.js";

describe("loadEmbeddedMnist", () => {
  const a = loadEmbeddedMnist();
  it("splits the 10,000 digits 8,000 / 2,000 with [28,28,1] samples in [0,1]", () => {
    expect(a.train.count).toBe(8000);
    expect(a.test.count).toBe(2000);
    expect(a.train.sampleShape).toEqual([28, 28, 1]);
    expect(a.train.classes).toBe(10);
    expect(a.train.inputs.length).toBe(8000 * 784);
    let min = Infinity,
      max = -Infinity;
    for (const v of a.test.inputs) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });
  it("is deterministic for a seed and changes with the seed", () => {
    const b = loadEmbeddedMnist({ seed: EMBEDDED_MNIST_SEED });
    expect(Buffer.from(b.train.labels.buffer).equals(Buffer.from(a.train.labels.buffer))).toBe(true);
    expect(Buffer.from(b.test.inputs.buffer).equals(Buffer.from(a.test.inputs.buffer))).toBe(true);
    const c = loadEmbeddedMnist({ seed: 7 });
    expect(Buffer.from(c.train.labels.buffer).equals(Buffer.from(a.train.labels.buffer))).toBe(false);
  });
  it("uses every digit exactly once and all classes appear in both splits", () => {
    // Every sample of train and test is distinct: compare by a hash of its pixels.
    const seen = new Set<string>();
    for (const ds of [a.train, a.test]) {
      const counts = new Array<number>(10).fill(0);
      for (let i = 0; i < ds.count; i++) {
        counts[ds.labels[i]!]!++;
        seen.add(Buffer.from(ds.inputs.buffer, ds.inputs.byteOffset + i * 784 * 4, 784 * 4).toString("base64"));
      }
      for (const c of counts) expect(c).toBeGreaterThan(ds.count / 20);
    }
    // The package itself holds a handful of exact duplicate images; all others are distinct.
    expect(seen.size).toBeGreaterThan(9990);
  });
  it("rejects a training size that leaves no test split", () => {
    expect(() => loadEmbeddedMnist({ trainCount: 10000 })).toThrow(expect.objectContaining({ code: "QF_INVALID_OPTIONS" }));
  });
});
