import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cli, tempDir } from "../__tests__/harness.js";
import { eligibleQuantizerModule, writeTree } from "../__tests__/plugin-fixtures.js";

/**
 * Issue 17 acceptance: `quantforge compare --model mnist-mlp --quantizers auto,<external>` with the
 * external quantizer loaded by `--plugin` shows auto considering it — auto takes its candidates
 * from the host's registry, where `--plugin` registered it, because it declares itself eligible.
 */
let t: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  t = await tempDir();
  writeTree(t.dir, { "ext/plugin.mjs": eligibleQuantizerModule("even-levels") });
});
afterAll(async () => {
  await t.cleanup();
});

interface Cell {
  label: string;
  status: string;
  result: { diagnostics: { source: string; ruleId: string; message: string }[] };
}

it.each([["1"], ["2"]])(
  "auto considers a quantizer loaded with --plugin that declares itself eligible (--jobs %s)",
  async (jobs) => {
    const out = t.path(`r${jobs}`);
    const plugin = t.path("ext/plugin.mjs");
    const r = await cli(["compare", "--plugin", plugin, "--model", "mnist-mlp", "--quantizers", "auto:budgetSeconds=2,even-levels", "--bits", "4", "--seed", "1", "--jobs", jobs, "--out", out, "--quiet"]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(await readFile(`${out}/results.json`, "utf8")) as { cells: Cell[] };
    expect(doc.cells.map((c) => `${c.label}:${c.status}`)).toEqual(["auto:budgetSeconds=2:ok", "even-levels:ok"]);
    const auto = doc.cells[0]!.result.diagnostics.filter((d) => d.source === "auto");
    const note = auto.find((d) => d.ruleId === "candidates");
    // 3 widths of the external quantizer beside the 65 built-in candidates.
    expect(note?.message).toBe(`auto considers quantizers loaded at run time: "even-levels" from ${plugin} (3 candidates); 68 candidates in all.`);
    expect(auto.find((d) => d.ruleId === "summary")?.message).toContain("68 candidates × 3 tensors");
  },
  180_000,
);
