import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { IncompatiblePluginError } from "./errors.js";
import { findPackageDir } from "./package.js";
import type { PluginSource } from "./sources.js";

let cached: string | undefined;

/** semver (47 CommonJS files), required on the first plugin check: `list` and `run` never pay for it. */
let semverModule: typeof import("semver") | undefined;
function semverLib(): typeof import("semver") {
  return (semverModule ??= createRequire(import.meta.url)("semver") as typeof import("semver"));
}

/**
 * The version of `@quantforge/core` this runner runs with: the package Node resolves from the
 * runner's own files (works from `src/` and `dist/`, in the workspace and when installed).
 */
export function runningCoreVersion(): string {
  if (cached !== undefined) return cached;
  const dir = findPackageDir("@quantforge/core", fileURLToPath(new URL(".", import.meta.url)));
  if (dir === undefined) throw new Error("internal: @quantforge/core is not resolvable from the runner");
  cached = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
  return cached;
}

/**
 * Checks a plugin package's declared `@quantforge/core` range against `coreVersion` (semver,
 * pre-releases included). A `workspace:` range (an unpacked workspace package) is accepted as
 * linked. A package that declares no range is not checked.
 *
 * @throws {IncompatiblePluginError} when the range excludes `coreVersion` or is not a valid range.
 */
export function checkCoreCompatibility(src: PluginSource, coreVersion: string = runningCoreVersion()): void {
  const pkg = src.package;
  if (pkg?.coreRange === undefined) return;
  let range = pkg.coreRange.trim();
  if (range.startsWith("workspace:")) {
    range = range.slice("workspace:".length);
    // workspace:^ / ~ / * mean "the linked workspace version": nothing to compare.
    if (range === "^" || range === "~" || range === "*" || range === "") return;
  }
  const label = `${pkg.name}@${pkg.version}`;
  const semver = semverLib();
  if (semver.validRange(range) === null) {
    throw new IncompatiblePluginError(
      pkg.name,
      pkg.coreRange,
      coreVersion,
      `plugin package "${label}" declares an invalid @quantforge/core range "${pkg.coreRange}" in peerDependencies. Ask its author to declare a semver range such as "^${coreVersion}".`,
    );
  }
  if (!semver.satisfies(coreVersion, range, { includePrerelease: true })) {
    throw new IncompatiblePluginError(
      pkg.name,
      pkg.coreRange,
      coreVersion,
      `plugin package "${label}" needs @quantforge/core ${pkg.coreRange}, but this quantforge runs core ${coreVersion}. Install a version of "${pkg.name}" built for core ${coreVersion}, or a quantforge whose core is in ${pkg.coreRange}.`,
    );
  }
}
