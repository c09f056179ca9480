import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";

describe("quantforge sensitivity", () => {
  it("ranks the reference MLP's kernels, --json and --out write the report", async () => {
    const tmp = await tempDir();
    try {
      const r = await cli(["sensitivity", "mnist-mlp", "--quantizer", "rtn", "--bits", "3", "--samples", "16", "--json", "--out", tmp.path("s")]);
      expect(r.code).toBe(0);
      const rep = JSON.parse(r.out) as { rows: { rank: number; tensor: string; outputRelErrorWorst: { value: number } }[]; samples: number; quantizer: string };
      expect(rep.quantizer).toBe("rtn");
      expect(rep.samples).toBe(16);
      expect(rep.rows.map((x) => x.rank)).toEqual([1, 2, 3]);
      expect(rep.rows.every((x) => x.tensor.endsWith("/kernel"))).toBe(true);
      for (let i = 1; i < rep.rows.length; i++) expect(rep.rows[i - 1]!.outputRelErrorWorst.value).toBeGreaterThanOrEqual(rep.rows[i]!.outputRelErrorWorst.value);
      expect(await readFile(tmp.path("s/sensitivity.md"), "utf8")).toMatch(/\| 1 \|/);
      expect(await readFile(tmp.path("s/sensitivity.html"), "utf8")).toContain("<svg");
    } finally {
      await tmp.cleanup();
    }
  }, 60_000);
  it("rejects an unknown quantizer and bad --samples with usage codes", async () => {
    expect(errorCode(await cli(["sensitivity", "mnist-mlp", "--quantizer", "nope"]))).toBe("QF_UNKNOWN_PLUGIN");
    const r = await cli(["sensitivity", "mnist-mlp", "--quantizer", "rtn", "--samples", "0"]);
    expect(r.code).toBe(2);
  });
});
