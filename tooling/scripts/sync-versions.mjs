#!/usr/bin/env node
// Keeps version constants equal to package.json after `changeset version` (run by
// `pnpm version-packages`): every workspace package's `src/version.ts` (`export const VERSION = "x.y.z"`),
// the core version the plugin scaffold writes (`tooling/create-plugin/src/versions.ts`) and the versions
// in the runner's static built-in plugin list (`apps/runner/src/builtin-plugins.ts`).
// `--check` changes nothing and exits 1 when a constant is stale (run by `pnpm release:dry`).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const check = process.argv.includes("--check");
const version = (dir) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).version;

/** [file, regex with one group around the version, wanted version] */
const targets = [];
for (const folder of ["packages", "experiments", "apps", "tooling", "examples"]) {
  const base = join(root, folder);
  if (!existsSync(base)) continue;
  for (const d of readdirSync(base)) {
    const file = join(base, d, "src/version.ts");
    if (existsSync(file) && existsSync(join(base, d, "package.json"))) targets.push([file, /(export const VERSION = ")([^"]+)(")/, version(join(folder, d))]);
  }
}
const scaffold = join(root, "tooling/create-plugin/src/versions.ts");
if (existsSync(scaffold)) targets.push([scaffold, /(export const CORE_VERSION = ")([^"]+)(")/, version("packages/core")]);

// The runner's static list of built-in plugins (what `quantforge list` prints without importing
// them): each entry's version is its package's, found through the package its loader imports.
const builtins = join(root, "apps/runner/src/builtin-plugins.ts");
if (existsSync(builtins)) {
  const byName = new Map();
  for (const folder of ["packages", "experiments"]) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) if (existsSync(join(base, d, "package.json"))) byName.set(JSON.parse(readFileSync(join(base, d, "package.json"), "utf8")).name, version(join(folder, d)));
  }
  const text = readFileSync(builtins, "utf8");
  for (const m of text.matchAll(/version: "([^"]+)",\n[^\n]*\n\s*load: async \(\) => \(await import\("([^"]+)"\)\)/g)) {
    const want = byName.get(m[2]);
    if (want === undefined) continue;
    // One target per entry: its own text as the pattern, so each rewrite touches only that entry.
    targets.push([builtins, new RegExp(`(version: ")([^"]+)(",\\n[^\\n]*\\n\\s*load: async \\(\\) => \\(await import\\("${m[2].replace(/[/.]/g, "\\$&")}"\\)\\))`), want]);
  }
}

let stale = 0;
for (const [file, re, want] of targets) {
  const text = readFileSync(file, "utf8");
  const m = re.exec(text);
  if (!m) continue; // a version.ts that computes its value is not ours to rewrite
  if (m[2] === want) continue;
  stale++;
  const rel = relative(root, file);
  if (check) console.error(`sync-versions: ${rel} says ${m[2]} but package.json says ${want}. Run: node tooling/scripts/sync-versions.mjs`);
  else {
    writeFileSync(file, text.replace(re, `$1${want}$3`));
    console.log(`sync-versions: ${rel} ${m[2]} -> ${want}`);
  }
}
console.log(`sync-versions: ${targets.length} version constants, ${stale} ${check ? "stale" : "updated"}`);
process.exitCode = check && stale > 0 ? 1 : 0;
