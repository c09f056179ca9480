/**
 * Versions the scaffold writes into standalone packages. `versions.test.ts` keeps them equal to
 * the workspace (root devDependencies and `packages/core`); `pnpm version-packages` updates
 * {@link CORE_VERSION} after a core release.
 */
export const CORE_VERSION = "0.1.0";

/** Dev dependencies of a generated package, pinned like the workspace's. */
export const TOOL_VERSIONS = {
  "@fast-check/vitest": "0.5.0",
  "@types/node": "^20.19.0",
  "fast-check": "4.10.2",
  typescript: "7.0.2",
  vitest: "4.1.12",
} as const;

/** The changesets CLI a standalone package uses for its release flow. */
export const CHANGESETS_VERSION = "2.31.1";
