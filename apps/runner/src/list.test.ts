import { describe, expect, it } from "vitest";
import { cli } from "./__tests__/harness.js";
import { mockPlugins } from "./__tests__/mocks.js";

describe("list", () => {
  it("--json has exactly quantizers, coders and evaluators with id, version, description", async () => {
    const r = await cli(["list", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(["quantizers", "coders", "evaluators"]);
    for (const kind of Object.values(doc) as Record<string, unknown>[][]) {
      for (const e of kind) {
        expect(typeof e.id).toBe("string");
        expect(e.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(typeof e.description).toBe("string");
        expect(e.source).toBe("builtin");
      }
    }
    const ids = (k: string) => doc[k].map((e: { id: string }) => e.id);
    expect(ids("quantizers")).toContain("rtn");
    expect(ids("coders")).toContain("fixed");
    expect(ids("evaluators")).toEqual(expect.arrayContaining(["sqnr", "size"]));
  });
  it("lists whatever the composition root registered, sorted by id", async () => {
    const r = await cli(["list", "--json"], { plugins: mockPlugins() });
    const doc = JSON.parse(r.out);
    expect(doc.quantizers.map((e: { id: string }) => e.id)).toEqual(["buggy", "coarse-test"]);
    expect(doc.coders.map((e: { id: string }) => e.id)).toEqual(["raw-test"]);
  });
  it("prints tables without --json", async () => {
    const r = await cli(["list"], { plugins: mockPlugins() });
    expect(r.out).toMatch(/quantizers:\n┌/);
    expect(r.out).toMatch(/│ raw-test\s+│ 0\.0\.0\s+│ u32-per-code reference coder/);
  });
});

describe("list fits the terminal", () => {
  it("every line of the tables fits 80 columns (and 60), nothing is lost but wrapped", async () => {
    for (const columns of [80, 60]) {
      const r = await cli(["list"], { columns });
      expect(r.code).toBe(0);
      for (const line of r.out.trimEnd().split("\n")) expect([...line].length).toBeLessThanOrEqual(columns);
      const doc = JSON.parse((await cli(["list", "--json"])).out) as { quantizers: { id: string }[] };
      for (const q of doc.quantizers) expect(r.out).toContain(` ${q.id} `);
    }
  });
});
