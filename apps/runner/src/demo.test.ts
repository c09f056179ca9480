import { describe, expect, it } from "vitest";
import { defineQuantizer, perTensorQuantizer, z } from "@quantforge/core";
import { rtnQuantizeTensor, rtnOptionsSchema } from "@quantforge/quantizer-rtn";
import { cli, errorCode } from "./__tests__/harness.js";
import { builtinPlugins } from "./plugins.js";
import { rankModelCells, renderModelDemo, type ModelDemoCell } from "./demo.js";

/** rtn restricted to ≤ 4 bits: the demo must report 8 bits as skipped, not fail. */
function lowBitOnly() {
  return defineQuantizer({
    id: "low-bit",
    version: "0.0.0",
    description: "rtn for 1–4 bits (tests only)",
    options: z.strictObject({ bits: z.number().int().min(1).max(4) }),
    create: (o) => perTensorQuantizer("low-bit", (t) => rtnQuantizeTensor(t, rtnOptionsSchema.parse({ bits: o.bits }))),
  });
}

/** A quantizer that needs calibration inputs, which bare weights cannot give. */
function needsModel() {
  return defineQuantizer({
    id: "needs-model",
    version: "0.0.0",
    description: "needs layer inputs (tests only)",
    options: z.strictObject({ bits: z.number().int() }),
    create: (o) => ({ ...perTensorQuantizer("needs-model", (t) => rtnQuantizeTensor(t, rtnOptionsSchema.parse({ bits: o.bits }))), needs: ["layerInputs"] as const }),
  });
}

describe("demo", () => {
  const small = ["--tensors", "a:100x50:0.05,b:20x100:0.2", "--seed", "1"];
  it("runs every quantizer at 2, 4 and 8 bits and prints SQNR and bits/weight", async () => {
    const r = await cli(["demo", ...small]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^7000 synthetic Laplacian weights/);
    for (const b of [2, 4, 8]) expect(r.out).toMatch(new RegExp(`│ rtn\\s+│\\s+${b} │\\s+\\d+\\.\\d\\d │`));
  });
  it("--json gives one cell per quantizer and bit width; SQNR grows with bits (≈6 dB/bit)", async () => {
    const r = await cli(["demo", ...small, "--json"]);
    const doc = JSON.parse(r.out);
    const rtn = doc.cells.filter((c: { quantizer: string }) => c.quantizer === "rtn");
    expect(rtn.map((c: { bits: number }) => c.bits)).toEqual([2, 4, 8]);
    expect(rtn[1].sqnrDb - rtn[0].sqnrDb).toBeGreaterThan(8);
    expect(rtn[2].sqnrDb - rtn[1].sqnrDb).toBeGreaterThan(20);
    for (const c of rtn) expect(c.bitsPerWeight).toBeGreaterThan(c.bits);
  });
  it("reports a bit width a quantizer rejects as skipped", async () => {
    const r = await cli(["demo", ...small, "--json"], { plugins: [...builtinPlugins(), lowBitOnly()] });
    expect(r.code).toBe(0);
    const cells = JSON.parse(r.out).cells.filter((c: { quantizer: string }) => c.quantizer === "low-bit");
    expect(cells.map((c: { skipped?: string }) => c.skipped === undefined)).toEqual([true, true, false]);
    expect(cells[2].skipped).toContain('field "bits"');
  });
  it('leaves out quantizers that need a model (issue 15: no "skipped" rows), saying so once per reason', async () => {
    const r = await cli(["demo", ...small], { plugins: [...builtinPlugins(), needsModel(), lowBitOnly()] });
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/│ needs-model/);
    expect(r.out).not.toMatch(/skipped|Fix that option/);
    expect(r.out).toContain("Left out (the method does not support them):\n");
    expect(r.out).toContain('  needs-model at 2, 4, 8 bits: "needs-model" needs the model capability "layerInputs"');
    expect(r.out).toMatch(/ {2}low-bit at 8 bits: field "bits" too big/);
    expect(r.out).toMatch(/│ low-bit\s+│\s+4 │/);
    expect(r.out).toMatch(/│ rtn\s+│\s+8 │\s+\d+\.\d\d │/);
  });
  it("rejects a bad --bits list", async () => {
    const r = await cli(["demo", "--bits", "2,x"]);
    expect([r.code, errorCode(r)]).toEqual([2, "QF_USAGE"]);
  });
});

describe("model demo table", () => {
  const cell = (quantizer: string, bits: number, kl: number | null, sqnrDb: number, skipped?: string): ModelDemoCell => ({
    quantizer,
    bits,
    sqnrDb,
    mse: 0,
    bitsPerWeight: bits + 0.1,
    compressionRatio: 32 / bits,
    bytes: 1,
    accuracy: 0.9,
    agreement: 0.95,
    klDivergence: kl,
    seconds: 0,
    ...(skipped ? { skipped } : {}),
  });
  const cells = [cell("a", 4, 0.01, 20), cell("b", 4, 0.002, 15), cell("a", 8, 1e-5, 40), cell("b", 8, null, 45), cell("c", 4, null, 0, 'invalid options for "c": field "bits" invalid input. Fix that option.')];
  it("ranks per bit width by KL to the float outputs (not by weight SQNR), left-out cells dropped", () => {
    expect(rankModelCells(cells).map((c) => `${c.quantizer}@${c.bits}`)).toEqual(["b@4", "a@4", "a@8", "b@8"]);
  });
  it("renders ranks and one left-out note without 'skipped' rows", () => {
    const out = renderModelDemo({ model: "m", floatAccuracy: 0.97, quantizedWeights: 10, floatWeights: 2, cells });
    expect(out).toMatch(/│\s+4 │\s+1 │ b\s+│/);
    expect(out).toMatch(/│\s+4 │\s+2 │ a\s+│/);
    expect(out).not.toMatch(/skipped|Fix that option/);
    expect(out).toContain('Left out (the method does not support them):\n  c at 4 bits: field "bits" invalid input.\n');
  });
});
