import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { browserBundle } from "../../../tooling/vitest-config/browser-bundle.js";

/**
 * The browser entries must load in a page: bundled for the browser platform, no module of their
 * import graphs may name a Node builtin, and no coder package comes along (the caller passes
 * coders by id). tfjs is the page's own (a peer); only its types are imported.
 */
describe("io-tfjs browser entries: import graphs", () => {
  const cases = [
    { entry: "coded-browser.ts", has: ["coded-impl.ts"], also: "core/src/container.ts" },
    { entry: "browser.ts", has: ["memory.ts", "entry-encode.ts", "parse.ts", "run-model.ts", "native.ts"], also: undefined },
  ];
  for (const c of cases) {
    it(`${c.entry} bundles for the browser with no Node builtin and no coder package`, async () => {
      const b = await browserBundle(build, new URL(`./${c.entry}`, import.meta.url), ["@tensorflow/tfjs"]);
      expect(b.nodeImports).toEqual([]);
      expect(b.inputs.filter((p) => /coder-(rans|huffman|fixed)\//.test(p))).toEqual([]);
      // Sanity: the bundle really holds the entry's own modules.
      for (const f of c.has) expect(b.inputs.some((p) => p.endsWith(`io-tfjs/src/${f}`))).toBe(true);
      if (c.also) expect(b.inputs.some((p) => p.endsWith(c.also))).toBe(true);
      expect(b.text).not.toMatch(/from\s*["']node:|require\(["']node:/);
    });
  }
});
