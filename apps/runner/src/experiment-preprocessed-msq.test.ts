import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";

describe("quantforge experiment preprocessed-msq", () => {
  it("--synthetic --json prints the rows array and --out writes JSON + Markdown", async () => {
    const t = await tempDir();
    try {
      const r = await cli(["experiment", "preprocessed-msq", "--synthetic", "--ms", "4", "--n0s", "16,64", "--bits", "2", "--neurons", "3", "--draws", "1", "--json", "--out", t.dir]);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.out) as Record<string, unknown>[];
      expect(rows.map((x) => `${x.method}/${x.n0}`)).toEqual(["gpfq/16", "gpfq/64", "msq/16", "msq/64", "preprocessed-msq/16", "preprocessed-msq/64"]);
      for (const x of rows) for (const k of ["method", "bits", "m", "n0", "relErrorTrain", "relErrorFresh"]) expect(x).toHaveProperty(k);
      expect(JSON.parse(await readFile(t.path("preprocessed-msq-synthetic.json"), "utf8"))).toEqual(rows);
      expect(await readFile(t.path("preprocessed-msq-synthetic.md"), "utf8")).toContain("| preprocessed-msq | 2 | 4 |");
    } finally {
      await t.cleanup();
    }
  });

  it("needs exactly one of --synthetic and --model, and valid lists", async () => {
    for (const args of [[], ["--synthetic", "--model", "mnist-mlp"], ["--synthetic", "--ms", "a"], ["--synthetic", "--alphabet", "log"]]) {
      const r = await cli(["experiment", "preprocessed-msq", ...args]);
      expect(r.code).toBe(2);
      expect(errorCode(r)).toBe("QF_USAGE");
    }
    const r = await cli(["experiment", "preprocessed-msq", "--synthetic", "--ms", "64", "--n0s", "100"]);
    expect(errorCode(r)).toBe("QF_INVALID_OPTIONS");
  });
});
