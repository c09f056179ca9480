import { instantiate, MissingCapabilityError, type ModelProbe, type WeightTensor } from "@quantforge/core";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { describe, expect, it } from "vitest";
import { twoHeadProbe } from "./fake-probe.test-support.js";
import { formatSensitivityMarkdown, sensitivityReport } from "./index.js";

const rtn4 = () => instantiate(rtnQuantizer(), { bits: 4 });

describe("sensitivity report", () => {
  it("finds the fragile tensor whose error the forward pass amplifies", async () => {
    const m = twoHeadProbe({ gain: 50 });
    const r = await sensitivityReport(m, { quantizer: rtn4(), seed: 1 });
    expect(r.rows.map((x) => x.tensor)[0]).toBe("b/kernel");
    expect(r.rows[0]!.share!).toBeGreaterThan(0.5);
    expect(r.rows.map((x) => x.rank)).toEqual([1, 2, 3]);
    // Its own SQNR is no worse than the others' (same grid, similar data): the output error, not the weight SQNR, singles it out.
    expect(r.rows[0]!.sqnrDb.value).not.toBeNull();
    const shares = r.rows.reduce((a, x) => a + (x.share ?? 0), 0);
    expect(shares).toBeCloseTo(1, 12);
    expect(r.allTogether.value!).toBeGreaterThan(0);
    const md = formatSensitivityMarkdown(r);
    expect(md).toMatch(/\| 1 \| b\/kernel \|/);
    // Without the amplification the small-valued B is the least harmful tensor.
    const plain = await sensitivityReport(twoHeadProbe({ gain: 0 }), { quantizer: rtn4(), seed: 1 });
    expect(plain.rows.at(-1)!.tensor).toBe("b/kernel");
  });
  it("finds an outlier-heavy sparse tensor (most weights ≈ 1e-4, a few near 0.5) without any amplification", async () => {
    const m = twoHeadProbe({ gain: 1 });
    // Replace r/kernel by a sparse outlier tensor whose tiny weights still carry the regression head.
    const F = 16;
    const data = new Float32Array(F * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i % 5 === 0 ? -1 : 1) * 1e-4 * (1 + (i % 7));
    data[3] = 0.5;
    const r0 = m.weights.find((t) => t.name === "r/kernel")!;
    const weights: WeightTensor[] = m.weights.map((t) => (t === r0 ? { ...t, data } : t));
    const model: ModelProbe = { ...m, weights };
    // zero: free (a min/max grid without an exact zero) moves every tiny weight by one common offset.
    const r = await sensitivityReport(model, { quantizer: instantiate(rtnQuantizer(), { bits: 8, zero: "free" }), seed: 1 });
    expect(r.rows[0]!.tensor).toBe("r/kernel");
  });
  it("is exact (zero error, null SQNR with a reason) with a lossless quantizer, and deterministic", async () => {
    const m = twoHeadProbe({ gain: 5 });
    const r = await sensitivityReport(m, { quantizer: instantiate(rtnQuantizer(), { bits: 16 }), seed: 2 });
    for (const row of r.rows) expect(row.outputRelErrorWorst.value!).toBeLessThan(1e-3);
    const again = await sensitivityReport(m, { quantizer: instantiate(rtnQuantizer(), { bits: 16 }), seed: 2 });
    expect(again).toEqual(r);
  });
  it("needs a forward pass", async () => {
    const m = twoHeadProbe();
    await expect(sensitivityReport({ id: "x", weights: m.weights }, { quantizer: rtn4() })).rejects.toBeInstanceOf(MissingCapabilityError);
  });
});
