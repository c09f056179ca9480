import { describe, expect, it } from "vitest";
import { makeDataset, selectSamples, takeSamples } from "./dataset.js";

describe("dataset helpers", () => {
  const ds = makeDataset(Float32Array.from([0, 1, 2, 3, 4, 5]), Int32Array.from([7, 8, 9]), [2], 10);
  it("selects samples by index and takes a prefix", () => {
    const s = selectSamples(ds, [2, 0]);
    expect([...s.inputs]).toEqual([4, 5, 0, 1]);
    expect([...s.labels]).toEqual([9, 7]);
    const t = takeSamples(ds, 2);
    expect([...t.inputs]).toEqual([0, 1, 2, 3]);
    expect(t.count).toBe(2);
  });
  it("rejects mismatched arrays and out-of-range requests", () => {
    expect(() => makeDataset(new Float32Array(5), new Int32Array(3), [2], 10)).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
    expect(() => selectSamples(ds, [3])).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
    expect(() => takeSamples(ds, 4)).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
  });
});
