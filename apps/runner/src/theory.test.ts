import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { cli, errorCode } from "./__tests__/harness.js";
import { theoryCommand } from "./commands/theory.js";

describe("theory uniform-mse", () => {
  it("--json prints exactly the documented keys for every bits × σ", async () => {
    const r = await cli(["theory", "uniform-mse", "--bits", "1..16", "--sigma-db=-20,0", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Record<string, number>[];
    expect(rows).toHaveLength(32);
    for (const row of rows) expect(Object.keys(row)).toEqual(["bits", "sigmaDb", "xMax", "step", "sqnrDb", "granularDistortion", "overloadDistortion"]);
    const two = rows.find((x) => x.bits === 2 && x.sigmaDb === 0)!;
    expect(two.step).toBeCloseTo(1.087, 3);
    expect(two.sqnrDb).toBeCloseTo(7.07, 2);
  });
  it("takes lists and the iterative design; prints a table without --json", async () => {
    const r = await cli(["theory", "uniform-mse", "--bits", "2,4,8", "--design", "iterative"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^\s*2\s+0\.00\s+2\.0015/);
  });
  it("rejects bad bit lists and designs with one-line errors (exit 2)", async () => {
    for (const args of [
      ["--bits", "0..3"],
      ["--bits", "x"],
      ["--design", "best"],
      ["--sigma-db", "a"],
    ]) {
      const r = await cli(["theory", "uniform-mse", ...args]);
      expect(r.code).toBe(2);
      expect(errorCode(r)).toMatch(/^QF_(INVALID_OPTIONS|USAGE)$/);
    }
  });
  it("is a parent other modules can extend", () => {
    const program = new Command();
    const a = theoryCommand(program);
    a.command("support-region");
    expect(theoryCommand(program)).toBe(a);
    expect(program.commands.filter((c) => c.name() === "theory")).toHaveLength(1);
  });
});

describe("recommend-bits", () => {
  it("prints the smallest R, or unreachable with the best R", async () => {
    const ok = await cli(["recommend-bits", "--sigma", "0.05", "--target-sqnr", "30"]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^R = 12 bits/);
    const no = await cli(["recommend-bits", "--sigma", "3.1623", "--target-sqnr", "30", "--json"]);
    expect(no.code).toBe(0);
    expect(JSON.parse(no.out)).toMatchObject({ reachable: false, bits: 16 });
  });
  it("rejects a non-positive σ", async () => {
    const r = await cli(["recommend-bits", "--sigma", "-1", "--target-sqnr", "30"]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe("QF_INVALID_OPTIONS");
  });
});
