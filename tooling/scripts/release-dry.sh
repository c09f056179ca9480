#!/usr/bin/env bash
# pnpm release:dry — proves the release flow (pnpm changeset → pnpm version-packages → pnpm release)
# offline, and leaves the working tree exactly as it was:
#   1. `pnpm check:packages`: every public packages/* manifest follows the publishing rules
#      (exports, types, files, sideEffects, peerDependencies, engines, license, README, access);
#   2. `sync-versions --check`: every src/version.ts equals its package.json version;
#   3. `changeset status`: which packages the pending .changeset/*.md files would bump, and how;
#      warns when a 0.x package would jump to 1.0.0 (the peer-dependency bump trap, .changeset/README.md);
#   4. `turbo run build` (a cache hit after `pnpm build`), as `pnpm release` does;
#   5. in a scratch copy of the workspace (so nothing in the tree is rewritten): `pnpm version-packages`
#      (`changeset version` + sync-versions), the publishing rules again on the new manifests, then
#      `lerna publish from-package --dry-run` against a dead local registry;
#   6. every tarball is listed and checked: no `workspace:` range left, internal ranges equal to the
#      new versions, dist/ entry points, README.md and LICENSE present, and no sources, tests,
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
# lerna and changesets rewrite manifests: they run in a copy, never in the working tree. The copy
# gets its own node_modules directory of links to the installed packages (not a link to the real
# node_modules, which an install in the copy would rewrite), and pnpm is blocked there.
copy="$work/repo"
mkdir -p "$copy/node_modules" "$work/bin"
for f in package.json lerna.json pnpm-workspace.yaml pnpm-lock.yaml turbo.json LICENSE; do [ -e "$f" ] && cp -p "$f" "$copy/"; done
cp -pR .changeset "$copy/"
mkdir -p "$copy/tooling" && cp -pR tooling/scripts "$copy/tooling/"
for dir in packages/*/ experiments/*/ apps/*/ tooling/*/ examples/*/; do
  dir="${dir%/}"
  [ -f "$dir/package.json" ] || continue
  mkdir -p "$copy/$dir"
  tar -C "$dir" -cf - --exclude=./node_modules --exclude=./bench --exclude=./coverage . | tar -C "$copy/$dir" -xf -
done
for entry in node_modules/* node_modules/@*/*; do
  case "$entry" in node_modules/@*/*) ;; node_modules/@*) continue ;; esac
  [ -e "$entry" ] || continue
  mkdir -p "$copy/$(dirname "$entry")"
  [ -e "$copy/$entry" ] || ln -s "$(readlink -f "$entry")" "$copy/$entry"
done
printf '#!/bin/sh\necho "release:dry: pnpm must not run in the scratch copy ($*)" >&2\nexit 1\n' >"$work/bin/pnpm"
chmod +x "$work/bin/pnpm"
in_copy() { (cd "$copy" && PATH="$work/bin:$PATH" TMPDIR="$work/tmp" "$@" </dev/null); }
mkdir -p "$work/tmp"

echo "::: pnpm version-packages (in the copy: changeset version + sync-versions)"
in_copy node "$repo/node_modules/@changesets/cli/bin.js" version >"$work/version.log" 2>&1 || { cat "$work/version.log"; exit 1; }
in_copy node tooling/scripts/sync-versions.mjs | tail -1
node -e '
  // What version-packages wrote in the copy: every manifest whose version moved.
  const { readFileSync, readdirSync, existsSync } = require("node:fs");
  const { join } = require("node:path");
  const [repo, copy] = process.argv.slice(1);
  const moved = [];
  for (const folder of ["packages", "experiments", "apps", "tooling", "examples"]) {
    if (!existsSync(join(repo, folder))) continue;
    for (const d of readdirSync(join(repo, folder))) {
      const rel = join(folder, d, "package.json");
      if (!existsSync(join(repo, rel)) || !existsSync(join(copy, rel))) continue;
      const a = JSON.parse(readFileSync(join(repo, rel), "utf8")), b = JSON.parse(readFileSync(join(copy, rel), "utf8"));
      if (a.version !== b.version) moved.push(`${a.name} ${a.version} -> ${b.version}`);
    }
  }
  console.log(`release:dry: version-packages wrote ${moved.length} new versions${moved.length ? ": " + moved.join(", ") : ""}`);
' "$repo" "$copy"
in_copy node tooling/scripts/sync-versions.mjs --check | tail -1
in_copy node "$repo/node_modules/tsx/dist/cli.mjs" tooling/create-plugin/src/check-packages.ts

echo "::: lerna publish from-package --dry-run (registry $DEAD_REGISTRY)"
# lerna leaves its packed tarballs in $TMPDIR/lerna-*.
in_copy node "$repo/node_modules/@lerna-lite/cli/dist/cli.js" publish from-package --dry-run --yes --no-git-reset --registry "$DEAD_REGISTRY" --loglevel info >"$work/lerna.log" 2>&1 || { cat "$work/lerna.log"; exit 1; }
grep -E "^lerna-lite (success|WARN)" "$work/lerna.log" | grep -v "Unable to determine published version" || true

echo "::: tarballs"
mapfile -t tarballs < <(find "$work/tmp" -name '*.tgz' | sort)
for t in "${tarballs[@]}"; do
  mkdir -p "$work/unpacked/$(basename "$t" .tgz)"
  tar -xzf "$t" -C "$work/unpacked/$(basename "$t" .tgz)"
done
node tooling/scripts/check-tarballs.mjs "$copy" "$work/unpacked"
