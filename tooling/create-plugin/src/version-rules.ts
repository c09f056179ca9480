import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sourceFiles } from "./boundary-rules.js";
import type { Manifest, PackageProblem } from "./package-rules.js";

/** A source that makes a plugin descriptor (whose `version` `quantforge list` and reports show). */
const DESCRIPTOR_RE = /\bdefine(?:Quantizer|Coder|Evaluator)\s*\(/;
/** The one form of `src/version.ts` that `tooling/scripts/sync-versions.mjs` rewrites. */
const VERSION_FILE_RE = /^export const VERSION = "([^"]+)";$/m;
/** A package version written as a literal: `version: "1.2.3"` or `const X_VERSION = "1.2.3"`. */
const INLINE_RE = /\bversion\s*:\s*["'`]\d+\.\d+\.\d+|\b(?:const|let|var)\s+\w*VERSION\s*=\s*["'`]\d+\.\d+\.\d+/;

/** The code of a source with block and line comments removed (a descriptor named in a TSDoc example is not one). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/**
 * Rules `version-file`, `version-sync`, `version-inline`: a workspace package (`packages/*`,
 * `examples/*`, `experiments/*`) that makes a plugin descriptor has a `src/version.ts` of the form
 * `export const VERSION = "x.y.z";` equal to its package.json version, and no other source file
 * writes a version literal (descriptors take `VERSION`), so a release cannot leave a descriptor's
 * version stale: `changeset version` bumps package.json and `sync-versions.mjs` rewrites version.ts.
 * A package with a version.ts but no descriptor (an io adapter) is held to `version-sync` too;
 * `src/testing/` kits are not looked at.
 */
export function checkPluginVersions(root: string): PackageProblem[] {
  const problems: PackageProblem[] = [];
  for (const group of ["packages", "examples", "experiments"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      const dir = join(base, d);
      if (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "src"))) continue;
      const m = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
      const pkg = m.name ?? `${group}/${d}`;
      const fail = (rule: string, message: string) => problems.push({ package: pkg, rule, message });
      const versionFile = join(dir, "src", "version.ts");
      // Test kits (`src/testing/`, e.g. core's conformance fixtures) make throwaway descriptors, not released plugins.
      const files = sourceFiles(join(dir, "src")).filter((f) => f !== versionFile && !f.startsWith(join(dir, "src", "testing")));
      const texts = files.map((f) => ({ rel: f.slice(root.length + 1), text: code(readFileSync(f, "utf8")) }));
      const plugin = texts.some((f) => DESCRIPTOR_RE.test(f.text));
      if (existsSync(versionFile)) {
        const v = VERSION_FILE_RE.exec(readFileSync(versionFile, "utf8"))?.[1];
        if (v === undefined) fail("version-file", `${group}/${d}/src/version.ts must read \`export const VERSION = "${m.version ?? "x.y.z"}";\` (the form sync-versions.mjs rewrites).`);
        else if (v !== m.version) fail("version-sync", `${group}/${d}/src/version.ts says ${v} but package.json says ${String(m.version)}. Run: node tooling/scripts/sync-versions.mjs`);
      } else if (plugin) {
        fail("version-file", `makes a plugin descriptor but has no src/version.ts: add \`export const VERSION = "${m.version ?? "x.y.z"}";\` and write \`version: VERSION\` in the descriptor.`);
      }
      if (!plugin) continue;
      for (const f of texts) if (INLINE_RE.test(f.text)) fail("version-inline", `${f.rel} writes a version literal; import { VERSION } from "./version.js" instead (sync-versions.mjs only updates version.ts).`);
    }
  }
  return problems;
}
