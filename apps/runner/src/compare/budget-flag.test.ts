import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "../__tests__/harness.js";

let t: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  t = await tempDir();
});
afterAll(async () => {
  await t.cleanup();
});

describe("--budget-seconds", () => {
  it("is auto's option budgetSeconds in compare (recorded in the manifest, so --verify replays it)", async () => {
    const out = t.path("c");
    const r = await cli(["compare", "--model", "mnist-mlp", "--quantizers", "auto", "--bits", "4", "--budget-seconds", "0.5", "--out", out, "--quiet"]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(await readFile(`${out}/results.json`, "utf8"));
    expect(doc.manifest.config.quantizers[0].options).toMatchObject({ budgetSeconds: 0.5 });
    expect(doc.cells[0].options).toMatchObject({ budgetSeconds: 0.5 });
    const summary = doc.cells[0].result.diagnostics.find((d: { ruleId: string }) => d.ruleId === "summary").message as string;
    expect(summary).toMatch(/budgetSeconds 0.5 →/);
  }, 120_000);
  it("is a usage error without auto, or when not a positive number", async () => {
    const a = await cli(["compare", "--model", "mnist-mlp", "--quantizers", "rtn", "--bits", "4", "--budget-seconds", "5", "--out", t.path("x")]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/none of --quantizers is auto/);
    const b = await cli(["compare", "--model", "mnist-mlp", "--quantizers", "auto", "--budget-seconds", "soon", "--out", t.path("y")]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--budget-seconds "soon" is not a positive number/);
    const c = await cli(["run", "--model", "mnist-mlp", "--quantizer", "rtn", "--budget-seconds", "5"]);
    expect(c.code).toBe(2);
    expect(errorCode(c)).toBe("QF_USAGE");
    expect(c.err).toMatch(/--budget-seconds is the time budget of the auto quantizer/);
  });
});
