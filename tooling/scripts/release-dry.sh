#!/usr/bin/env bash
# pnpm release:dry — shows what a release would do, with no network and no lasting change to the
# working tree:
#   1. `changeset status`: which packages the pending .changeset/*.md files would bump, and how;
#      warns when a 0.x package would jump to 1.0.0 (the peer-dependency bump trap, .changeset/README.md);
#   2. `lerna publish from-package --dry-run`: which versions would be packed and published.
# The registry is a dead local port, so nothing can leave the machine. lerna rewrites manifests
# while it packs (workspace: ranges, gitHead, stripped fields); every file it may touch is backed
# up first and restored on exit, and `git status --porcelain` must be the same before and after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

DEAD_REGISTRY="http://127.0.0.1:9"
export npm_config_registry="$DEAD_REGISTRY" NPM_CONFIG_REGISTRY="$DEAD_REGISTRY"
# Fail fast against the dead registry instead of retrying with back-off.
export npm_config_fetch_retries=0 npm_config_fetch_retry_mintimeout=100 npm_config_fetch_retry_maxtimeout=200 npm_config_fetch_timeout=2000
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export NO_COLOR=1 FORCE_COLOR=0 CI="${CI:-true}"

work="$(mktemp -d "${TMPDIR:-/tmp}/qf-release-dry.XXXXXX")"
# lerna leaves its packed tarballs in $TMPDIR/lerna-*: keep them in our scratch dir.
export TMPDIR="$work"

in_git=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then in_git=1; fi
status() { git status --porcelain --untracked-files=all; }
[ "$in_git" = 1 ] && status >"$work/status.before"

# Every file a publish dry run or changesets may write.
mapfile -t files < <(ls package.json lerna.json pnpm-lock.yaml {packages,apps,tooling,examples}/*/package.json {packages,apps,tooling,examples}/*/CHANGELOG.md 2>/dev/null || true)
mkdir -p "$work/backup"
for f in "${files[@]}"; do mkdir -p "$work/backup/$(dirname "$f")"; cp -p "$f" "$work/backup/$f"; done

restore() {
  local rc=$?
  for f in "${files[@]}"; do
    if ! cmp -s "$work/backup/$f" "$f"; then
      echo "release:dry: restoring $f (rewritten during the dry run)"
      cp -p "$work/backup/$f" "$f"
    fi
  done
  if [ "$in_git" = 1 ]; then
    status >"$work/status.after"
    if ! diff -u "$work/status.before" "$work/status.after"; then
      echo "release:dry: the working tree changed during the dry run (diff above)" >&2
      rc=1
    fi
  fi
  rm -rf "$work"
  exit "$rc"
}
trap restore EXIT

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

echo "::: lerna publish from-package --dry-run (registry $DEAD_REGISTRY)"
pnpm exec lerna publish from-package --dry-run --yes --no-git-reset --registry "$DEAD_REGISTRY" --loglevel info </dev/null
