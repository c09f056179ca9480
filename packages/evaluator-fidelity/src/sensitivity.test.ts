import { MissingCapabilityError, type ModelProbe, type WeightTensor } from "@quantforge/core";
import { instantiate } from "@quantforge/core/host";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { describe, expect, it } from "vitest";
import { twoHeadProbe } from "./fake-probe.test-support.js";
import { formatSensitivityMarkdown, planSensitivitySamples, sensitivityReport } from "./index.js";

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
  it("measures a tensor whose quantization is exact without its own forward pass, with the same rows", async () => {
    const m = twoHeadProbe({ gain: 5 });
    // r/kernel on the 16 levels k/16 (min 0, max 15/16: scale 1/16) that 4-bit rtn reproduces bit for bit.
    const grid = Float32Array.from(m.weights[2]!.data, (_, i) => (i % 16) / 16);
    const weights = m.weights.map((t) => (t.name === "r/kernel" ? { ...t, data: grid } : t));
    const model = { ...m, weights };
    const r = await sensitivityReport(model, { quantizer: rtn4(), seed: 3 });
    expect(r.exactTensors).toBe(1);
    // 2 non-exact tensors + the float reference + "unchanged" (stands for the exact one) + all together.
    expect(m.calls).toBe(5);
    const row = r.rows.find((x) => x.tensor === "r/kernel")!;
    expect([row.outputRelErrorWorst.value, row.outputRelError.value]).toEqual([0, 0]);
    // The same rows as measuring it: the other tensors' rows are unaffected.
    const other = await sensitivityReport(model, { quantizer: rtn4(), seed: 3, selector: (t) => t.name !== "r/kernel" });
    expect(r.rows.filter((x) => x.tensor !== "r/kernel").map((x) => x.outputRelErrorWorst)).toEqual(other.rows.map((x) => x.outputRelErrorWorst));
  });
  it("shrinks the samples of a large model to fit budgetSeconds, deterministically; small models keep them", async () => {
    const m = twoHeadProbe({ gain: 5 });
    const r = await sensitivityReport(m, { quantizer: rtn4(), seed: 1, budgetSeconds: 60 });
    expect([r.samples, r.plan!.samples, r.plan!.fits]).toEqual([32, 32, true]);
    const big = { modelTensors: [{ size: 3e6, rank: 4 }], inputShape: [320, 320, 3] };
    const p = planSensitivitySamples(big, { passes: 125, requested: 32, budgetSeconds: 60 });
    expect([p.samples, p.fits]).toEqual([4, false]);
    expect(planSensitivitySamples(big, { passes: 125, requested: 32, budgetSeconds: 60 })).toEqual(p);
    const mid = { modelTensors: [{ size: 1e5, rank: 4 }], inputShape: [256, 256, 3] };
    const q = planSensitivitySamples(mid, { passes: 70, requested: 32, budgetSeconds: 60 });
    expect(q.samples).toBeLessThan(32);
    expect(q.fits).toBe(true);
    expect(planSensitivitySamples(mid, { passes: 70, requested: 32, budgetSeconds: 60, fixed: true }).samples).toBe(32);
    // Fewer samples in the report, and the markdown says why.
    const tiny = await sensitivityReport(m, { quantizer: rtn4(), seed: 1, budgetSeconds: 1e-9 });
    expect([tiny.samples, tiny.plan!.fits]).toEqual([4, false]);
    expect(formatSensitivityMarkdown(tiny)).toMatch(/4 samples instead of 32/);
  });
  it("needs a forward pass", async () => {
    const m = twoHeadProbe();
    await expect(sensitivityReport({ id: "x", weights: m.weights }, { quantizer: rtn4() })).rejects.toBeInstanceOf(MissingCapabilityError);
  });
});
