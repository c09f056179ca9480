import { afterAll, describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";

describe("QF_NOTHING_TO_QUANTIZE", async () => {
  const t = await tempDir();
  afterAll(() => t.cleanup());
  const w = t.path("w.safetensors");
  expect((await cli(["synth", "--out", w, "--seed", "1"])).code).toBe(0);
  it("run and compare stop with exit 2 and say why when every tensor is excluded; --allow-empty runs", async () => {
    const r = await cli(["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--exclude", "."]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe("QF_NOTHING_TO_QUANTIZE");
    expect(r.err).toContain("excluded by the include/exclude patterns");
    expect((await cli(["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--exclude", ".", "--allow-empty"])).code).toBe(0);
    const c = await cli(["compare", "--weights", w, "--quantizers", "rtn", "--bits", "4", "--exclude", ".", "--out", t.path("c")]);
    expect(c.code).toBe(2);
    expect(errorCode(c)).toBe("QF_NOTHING_TO_QUANTIZE");
  });
});
