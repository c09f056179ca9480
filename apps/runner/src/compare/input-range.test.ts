import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { buildOnnxModel } from "@quantforge/io-onnx/testing";
import { cli, errorCode, tempDir } from "../__tests__/harness.js";

type Results = { manifest: { config: { inputRanges?: string[] } }; cells: { result: { summary: Record<string, number> } }[] };

describe("compare --input-range (issue 15: same semantics as quantize and sensitivity)", () => {
  it("is recorded in the config, changes the measured outputs, and is validated", async () => {
    const t = await tempDir();
    try {
      await writeFile(t.path("m.onnx"), buildOnnxModel({ seed: 3 }));
      const run = async (extra: string[], out: string) => {
        const r = await cli(["compare", "--model", t.path("m.onnx"), "--quantizers", "rtn", "--bits", "4", "--out", t.path(out), "--json", "--quiet", ...extra]);
        expect(r.code).toBe(0);
        return JSON.parse(r.out) as Results;
      };
      const a = await run([], "a");
      const b = await run(["--input-range", "-5,5"], "b");
      expect(a.manifest.config.inputRanges).toBeUndefined();
      expect(b.manifest.config.inputRanges).toEqual(["-5,5"]);
      expect(b.cells[0]!.result.summary["outputRelErrorWorst"]).not.toBe(a.cells[0]!.result.summary["outputRelErrorWorst"]);
      expect(errorCode(await cli(["compare", "--model", t.path("m.onnx"), "--quantizers", "rtn", "--bits", "4", "--out", t.path("c"), "--input-range", "5,1"]))).toBe("QF_USAGE");
      expect(errorCode(await cli(["compare", "--model", t.path("m.onnx"), "--quantizers", "rtn", "--bits", "4", "--out", t.path("c"), "--input-range", "nope=0,1"]))).toBe("QF_SHAPE_MISMATCH");
    } finally {
      await t.cleanup();
    }
  }, 120_000);
});
