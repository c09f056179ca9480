import { describe, expect, it } from "vitest";
import { cli, errorCode } from "./__tests__/harness.js";
import { mockPlugins } from "./__tests__/mocks.js";
import { runnerVersion } from "./main.js";

describe("main: usage", () => {
  it.each([
    ["no command", []],
    ["an unknown command", ["lst"]],
    ["an unknown flag", ["list", "--jsn"]],
    ["a missing required option", ["run", "--quantizer", "rtn"]],
    ["a missing argument", ["decode", "--out", "x.safetensors"]],
    ["an excess argument", ["list", "extra"]],
  ])("%s → QF_USAGE, exit 2, one error line, nothing on stdout", async (_, args) => {
    const r = await cli(args, { plugins: mockPlugins() });
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe("QF_USAGE");
    expect(r.out).toBe("");
    expect(r.err).not.toMatch(/\n\s+at /);
  });
  it("suggests the closest command", async () => {
    const r = await cli(["lst"], { plugins: mockPlugins() });
    expect(r.err).toContain("Did you mean list?");
  });
  it("--help and --version exit 0 on stdout", async () => {
    const h = await cli(["--help"], { plugins: mockPlugins() });
    expect(h.code).toBe(0);
    for (const c of ["list", "run", "decode", "synth", "demo"]) expect(h.out).toContain(c);
    const rh = await cli(["run", "--help"], { plugins: mockPlugins() });
    expect(rh.code).toBe(0);
    expect(rh.out).toContain("--quantizer <id>");
    const v = await cli(["--version"], { plugins: mockPlugins() });
    expect(v).toMatchObject({ code: 0, out: `${runnerVersion()}\n` });
  });
});

describe("main: runtime failures", () => {
  it("an unexpected exception is QF_INTERNAL, exit 1, without a stack trace", async () => {
    const r = await cli(["synth", "--out", "/dev/null/x.safetensors", "--tensors", "a:4"], { plugins: mockPlugins() });
    // A path under /dev/null cannot be created: an I/O problem, not a bug.
    expect(errorCode(r)).toBe("QF_IO");
    expect(r.code).toBe(2);
  });
});
