import { readFile } from "node:fs/promises";
import { afterEach, expect, it, vi } from "vitest";

/**
 * The `compare()` example in packages/core/README.md is apps/runner/examples/compare.ts verbatim;
 * this test checks that and runs the file.
 */
const root = new URL("../../../../", import.meta.url);

afterEach(() => vi.restoreAllMocks());

it("the core README's compare example is the example file, and it runs", async () => {
  const readme = await readFile(new URL("packages/core/README.md", root), "utf8");
  const file = await readFile(new URL("apps/runner/examples/compare.ts", root), "utf8");
  const m = /<!-- example: apps\/runner\/examples\/compare\.ts[^>]*-->\n+```ts\n([\s\S]*?)```\n/.exec(readme);
  expect(m, "README lacks the marked example block").not.toBeNull();
  expect(m![1]).toBe(file);

  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((s: string) => void lines.push(s));
  const progress = vi.spyOn(console, "error").mockImplementation(() => undefined);
  await import("../../examples/compare.js");
  expect(progress).toHaveBeenCalledTimes(12);
  expect(lines).toHaveLength(12);
  const sqnr = (method: string, bits: number, coder: string) => {
    const l = lines.find((x) => x.startsWith(method.padEnd(12)) && x.includes(` ${bits}-bit ${coder}`))!;
    return Number(/SQNR (-?[\d.]+) dB/.exec(l)![1]);
  };
  const bpw = (method: string, bits: number, coder: string) => Number(/([\d.]+) bits\/weight/.exec(lines.find((x) => x.startsWith(method.padEnd(12)) && x.includes(` ${bits}-bit ${coder}`))!)![1]);
  // The MSE-optimal support beats min/max at 2 bits on Laplacian weights; coders change size, not SQNR.
  expect(sqnr("uniform-mse", 2, "fixed")).toBeGreaterThan(sqnr("rtn", 2, "fixed") + 3);
  expect(sqnr("rtn", 4, "huffman")).toBe(sqnr("rtn", 4, "fixed"));
  expect(bpw("rtn", 4, "huffman")).toBeLessThan(bpw("rtn", 4, "fixed"));
  for (const l of lines) expect(l).toMatch(/codes [0-9a-f]{12}…$/);
});
