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

describe("quantforge sensitivity on a bare weights manifest (issue 15)", () => {
  it("ranks tensors by their own SQNR, says no outputs can be measured, exits 0; input flags are usage errors", async () => {
    const tmp = await tempDir();
    try {
      const { writeFile } = await import("node:fs/promises");
      // Two 3×3×4×8 kernels: one Laplacian-ish with outliers (lower SQNR at 3 bits), one uniform.
      const a = Float32Array.from({ length: 288 }, (_, i) => Math.sin(i * 1.7) * (i % 37 === 0 ? 8 : 0.3));
      const b = Float32Array.from({ length: 288 }, (_, i) => ((i * 29) % 288) / 288 - 0.5);
      await writeFile(tmp.path("w.bin"), new Uint8Array([...new Uint8Array(a.buffer), ...new Uint8Array(b.buffer)]));
      await writeFile(
        tmp.path("m-weights_manifest.json"),
        JSON.stringify([
          {
            paths: ["w.bin"],
            weights: [
              { name: "a/filter", shape: [3, 3, 4, 8], dtype: "float32" },
              { name: "b/filter", shape: [3, 3, 4, 8], dtype: "float32" },
            ],
          },
        ]),
      );
      const r = await cli(["sensitivity", tmp.path("m-weights_manifest.json"), "--quantizer", "rtn", "--bits", "3", "--json"]);
      expect(r.code).toBe(0);
      const rep = JSON.parse(r.out) as { rows: { tensor: string; sqnrDb: { value: number }; outputRelErrorWorst: { value: null } }[]; rankedBy: string; note: string };
      expect(rep.rankedBy).toBe("sqnrDb");
      expect(rep.note).toMatch(/no model outputs can be measured/);
      expect(rep.rows.map((x) => x.tensor)).toEqual(["a/filter", "b/filter"]);
      expect(rep.rows[0]!.sqnrDb.value).toBeLessThan(rep.rows[1]!.sqnrDb.value);
      expect(rep.rows.every((x) => x.outputRelErrorWorst.value === null)).toBe(true);
      const md = await cli(["sensitivity", tmp.path("m-weights_manifest.json"), "--quantizer", "rtn", "--bits", "3"]);
      expect(md.out).toMatch(/no model outputs can be measured/);
      expect(errorCode(await cli(["sensitivity", tmp.path("m-weights_manifest.json"), "--quantizer", "rtn", "--input-range", "0,1"]))).toBe("QF_USAGE");
    } finally {
      await tmp.cleanup();
    }
  }, 60_000);
});
