#!/usr/bin/env node
// node tooling/scripts/check-tarballs.mjs <workspace root> <dir of unpacked tarballs>
// Lists every unpacked tarball (<dir>/<name>/package/…) and asserts what a published package must
// and must not contain; internal dependency ranges must match the versions in <workspace root>.
// Exits 1 on any problem. Run by `pnpm release:dry` on lerna's dry-run tarballs.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
const [repo, unpacked] = process.argv.slice(2);
const versions = new Map();
for (const folder of ["packages", "experiments", "apps", "tooling", "examples"]) {
  const base = join(repo, folder);
  if (!existsSync(base)) continue;
  for (const d of readdirSync(base)) {
    const p = join(base, d, "package.json");
    if (existsSync(p)) {
      const m = JSON.parse(readFileSync(p, "utf8"));
      versions.set(m.name, m.version);
    }
  }
}
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
const problems = [];
let count = 0;
for (const t of readdirSync(unpacked).sort()) {
  const pkgDir = join(unpacked, t, "package");
  const files = walk(pkgDir)
    .map((f) => relative(pkgDir, f))
    .sort();
  const m = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const id = `${m.name}@${m.version}`;
  const bytes = files.reduce((s, f) => s + statSync(join(pkgDir, f)).size, 0);
  count++;
  console.log(`release:dry: ${id}: ${files.length} files, ${(bytes / 1024).toFixed(1)} kB: ${files.filter((f) => !f.endsWith(".map")).join(" ")}`);
  const fail = (msg) => problems.push(`${id}: ${msg}`);
  for (const f of files) {
    if (/^src\//.test(f) || (/\.tsx?$/.test(f) && !/\.d\.ts$/.test(f))) fail(`ships a source file ${f}`);
    if (/(^|\/)__tests__\/|\.test\.|\.test-d\.|\.spec\./.test(f)) fail(`ships a test file ${f}`);
    if (/\.bench\.|^bench\//.test(f)) fail(`ships a benchmark ${f}`);
    if (/\.tsbuildinfo$/.test(f)) fail(`ships build info ${f}`);
  }
  for (const need of ["package.json", "README.md", "LICENSE"]) if (!files.includes(need)) fail(`lacks ${need}`);
  const entries = [];
  const collect = (v) => {
    if (typeof v === "string") entries.push(v);
    else if (v && typeof v === "object") Object.entries(v).forEach(([k, x]) => k !== "@quantforge/source" && collect(x));
  };
  collect(m.exports);
  if (m.types) entries.push(m.types);
  if (m.bin) collect(m.bin);
  for (const e of entries) if (!files.includes(e.replace(/^\.\//, ""))) fail(`exports/types/bin point at ${e}, which is not in the tarball (was it built?)`);
  if (JSON.stringify(m).includes("workspace:")) fail("still has a workspace: range");
  if (JSON.stringify(m).includes('"catalog:')) fail("still has a catalog: range");
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [dep, range] of Object.entries(m[field] ?? {})) {
      const v = versions.get(dep);
      if (v !== undefined && range !== `^${v}` && range !== v && range !== `~${v}`) fail(`${field}["${dep}"] is "${range}", not the workspace version ${v}`);
    }
  }
}
if (count === 0) problems.push("lerna packed no tarball");
for (const p of problems) console.error(`release:dry: ERROR ${p}`);
console.log(`release:dry: ${count} tarballs checked, ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
