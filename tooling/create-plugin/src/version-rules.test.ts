import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { checkPluginVersions } from "./version-rules.js";

const root = mkdtempSync(join(tmpdir(), "qf-versions-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (rel: string, v: unknown) => {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), typeof v === "string" ? v : JSON.stringify(v));
};
const plugin = (dir: string, version: string, src: string, versionTs?: string) => {
  write(`${dir}/package.json`, { name: `@quantforge/${dir.split("/")[1]}`, version });
  write(`${dir}/src/plugin.ts`, src);
  if (versionTs !== undefined) write(`${dir}/src/version.ts`, versionTs);
};

it("version-file, version-sync, version-inline: descriptors take VERSION from a src/version.ts equal to package.json", () => {
  const uses = 'import { VERSION } from "./version.js";\nexport const p = () => defineQuantizer({ id: "a", version: VERSION });\n';
  plugin("packages/quantizer-ok", "1.2.3", uses, 'export const VERSION = "1.2.3";\n');
  plugin("packages/quantizer-stale", "1.3.0", uses, 'export const VERSION = "1.2.3";\n');
  plugin("packages/coder-inline", "0.1.0", 'export const c = () => defineCoder({ id: "c", version: "0.1.0" });\n');
  plugin("packages/evaluator-const", "0.1.0", 'const VERSION = "0.1.0";\nexport const e = () => defineEvaluator({ id: "e", version: VERSION });\n', 'export const VERSION = "0.1.0";\n');
  plugin("packages/io-computed", "0.1.0", "export const x = 1;\n", "export const VERSION = pkg.version;\n");
  // Not plugins: a descriptor named in a comment, and a package's testing kit.
  plugin("packages/core", "0.1.0", '/** `defineQuantizer({ version: "1.0.0" })` */\nexport const FORMAT_VERSION = 2;\n');
  write("packages/core/src/testing/fixtures.ts", 'export const t = defineQuantizer({ id: "t", version: "0.0.0" });\n');
  write("packages/core/src/x.test.ts", 'defineQuantizer({ version: "9.9.9" });\n');
  expect(checkPluginVersions(root).map((p) => `${p.package} ${p.rule} ${p.message.split(/[;:]/)[0]}`)).toEqual([
    "@quantforge/coder-inline version-file makes a plugin descriptor but has no src/version.ts",
    "@quantforge/coder-inline version-inline packages/coder-inline/src/plugin.ts writes a version literal",
    "@quantforge/evaluator-const version-inline packages/evaluator-const/src/plugin.ts writes a version literal",
    '@quantforge/io-computed version-file packages/io-computed/src/version.ts must read `export const VERSION = "0.1.0"',
    "@quantforge/quantizer-stale version-sync packages/quantizer-stale/src/version.ts says 1.2.3 but package.json says 1.3.0. Run",
  ]);
});
