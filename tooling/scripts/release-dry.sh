#!/usr/bin/env bash
# pnpm release:dry — proves the release flow (pnpm changeset → pnpm version-packages → pnpm release)
# offline, and leaves the working tree exactly as it was:
#   1. `pnpm check:packages`: every public packages/* manifest follows the publishing rules
#      (exports, types, files, sideEffects, peerDependencies, engines, license, README, access);
#   2. `sync-versions --check`: every src/version.ts equals its package.json version;
#   3. `changeset status`: which packages the pending .changeset/*.md files would bump, and how;
#      warns when a 0.x package would jump to 1.0.0 (the peer-dependency bump trap, .changeset/README.md);
#   4. `turbo run build` (a cache hit after `pnpm build`), as `pnpm release` does;
#   5. `lerna publish from-package --dry-run` against a dead local registry, in a scratch copy of the
#      workspace: lerna rewrites manifests while it packs (workspace: ranges, stripped fields), and
#      the copy keeps the real tree untouched;
#   6. every tarball is listed and checked: no `workspace:` range left, internal ranges equal to the
#      workspace versions, dist/ entry points, README.md and LICENSE present, and no sources, tests,
#      benchmarks or build info inside;
#   7. `git status --porcelain` must be the same before and after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="$(pwd)"

DEAD_REGISTRY="http://127.0.0.1:9"
export npm_config_registry="$DEAD_REGISTRY" NPM_CONFIG_REGISTRY="$DEAD_REGISTRY"
# Fail fast against the dead registry instead of retrying with back-off.
export npm_config_fetch_retries=0 npm_config_fetch_retry_mintimeout=100 npm_config_fetch_retry_maxtimeout=200 npm_config_fetch_timeout=2000
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export NO_COLOR=1 FORCE_COLOR=0 CI="${CI:-true}" TURBO_TELEMETRY_DISABLED=1

work="$(mktemp -d "${TMPDIR:-/tmp}/qf-release-dry.XXXXXX")"

in_git=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then in_git=1; fi
status() { git status --porcelain --untracked-files=all; }
[ "$in_git" = 1 ] && status >"$work/status.before"

finish() {
  local rc=$?
  if [ "$in_git" = 1 ]; then
    status >"$work/status.after"
    if ! diff -u "$work/status.before" "$work/status.after"; then
      echo "release:dry: the working tree changed during the dry run (diff above)" >&2
      rc=1
    fi
  fi
  rm -rf "$work"
  [ "$rc" = 0 ] && echo "release:dry: ok" || echo "release:dry: FAILED" >&2
  exit "$rc"
}
trap finish EXIT

echo "::: check:packages"
pnpm --silent check:packages </dev/null

echo "::: sync-versions --check"
node tooling/scripts/sync-versions.mjs --check </dev/null

echo "::: changeset status"
if [ "$in_git" = 1 ]; then
  pnpm exec changeset status --verbose --output="$work/plan.json" </dev/null
  node -e '
    const plan = require(process.argv[1]);
    const trap = plan.releases.filter((r) => r.type === "major" && /^0\./.test(r.oldVersion));
    for (const r of trap) console.log(`release:dry: WARNING ${r.name} would go ${r.oldVersion} -> ${r.newVersion} (a 0.x peer left its range?). See .changeset/README.md.`);
    console.log(`release:dry: ${plan.changesets.length} changesets, ${plan.releases.filter((r) => r.type !== "none").length} packages to bump`);
  ' "$work/plan.json"
else
  echo "release:dry: not a git checkout; changeset status needs git history, skipped"
fi

echo "::: turbo run build"
pnpm exec turbo run build --output-logs=errors-only </dev/null

echo "::: scratch copy of the workspace"
copy="$work/repo"
mkdir -p "$copy"
for f in package.json lerna.json pnpm-workspace.yaml pnpm-lock.yaml turbo.json LICENSE; do [ -e "$f" ] && cp -p "$f" "$copy/"; done
# Manifests, READMEs, licences and dist/ of every package: what lerna reads and packs.
for dir in packages/*/ apps/*/ tooling/*/ examples/*/; do
  dir="${dir%/}"
  [ -f "$dir/package.json" ] || continue
  mkdir -p "$copy/$dir"
  tar -C "$dir" -cf - --exclude=./node_modules --exclude=./src --exclude=./bench --exclude=./coverage . | tar -C "$copy/$dir" -xf -
done
ln -s "$repo/node_modules" "$copy/node_modules"

echo "::: lerna publish from-package --dry-run (registry $DEAD_REGISTRY)"
mkdir -p "$work/tmp"
# lerna leaves its packed tarballs in $TMPDIR/lerna-*.
(cd "$copy" && TMPDIR="$work/tmp" pnpm exec lerna publish from-package --dry-run --yes --no-git-reset --registry "$DEAD_REGISTRY" --loglevel info </dev/null) >"$work/lerna.log" 2>&1 || { cat "$work/lerna.log"; exit 1; }
grep -E "^lerna-lite (success|WARN)" "$work/lerna.log" | grep -v "Unable to determine published version" || true

echo "::: tarballs"
mapfile -t tarballs < <(find "$work/tmp" -name '*.tgz' | sort)
for t in "${tarballs[@]}"; do
  mkdir -p "$work/unpacked/$(basename "$t" .tgz)"
  tar -xzf "$t" -C "$work/unpacked/$(basename "$t" .tgz)"
done
node - "$repo" "$work/unpacked" <<'NODE'
// Lists every tarball and asserts what a published package must and must not contain.
const { readdirSync, readFileSync, statSync, existsSync } = require("node:fs");
const { join, relative } = require("node:path");
const [repo, unpacked] = process.argv.slice(2);
const versions = new Map();
for (const folder of ["packages", "apps", "tooling", "examples"]) {
  const base = join(repo, folder);
  if (!existsSync(base)) continue;
  for (const d of readdirSync(base)) {
    const p = join(base, d, "package.json");
    if (existsSync(p)) { const m = JSON.parse(readFileSync(p, "utf8")); versions.set(m.name, m.version); }
  }
}
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
const problems = [];
let count = 0;
for (const t of readdirSync(unpacked).sort()) {
  const pkgDir = join(unpacked, t, "package");
  const files = walk(pkgDir).map((f) => relative(pkgDir, f)).sort();
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
  const collect = (v) => { if (typeof v === "string") entries.push(v); else if (v && typeof v === "object") Object.entries(v).forEach(([k, x]) => k !== "@quantforge/source" && collect(x)); };
  collect(m.exports);
  if (m.types) entries.push(m.types);
  if (m.bin) collect(m.bin);
  for (const e of entries) if (!files.includes(e.replace(/^\.\//, ""))) fail(`exports/types/bin point at ${e}, which is not in the tarball (was it built?)`);
  if (JSON.stringify(m).includes("workspace:")) fail("still has a workspace: range");
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
NODE
