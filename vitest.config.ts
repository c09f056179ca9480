import { defineConfig } from "vitest/config";

// One run over every workspace project, with coverage.
export default defineConfig({
  test: {
    projects: ["packages/*", "experiments/*", "apps/*", "examples/*", "tooling/create-plugin", "tooling/corpus"],
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts", "experiments/*/src/**/*.ts", "apps/*/src/**/*.ts"],
      exclude: ["**/*.test.ts", "**/*.bench.ts"],
      reporter: ["text-summary", "json-summary"],
      // A floor a little below the level measured on 2026-12-06 (`CI=true vitest run --coverage` over
      // every project: statements 89.26 %, branches 81.35 %, functions 89.95 %, lines 92.12 %), so
      // coverage can only fall by a deliberate edit here. They live in this root config because
      // coverage is collected once over all projects (project configs cannot set it). A run over a
      // subset of the projects reports the untested files as uncovered, so check coverage on a full
      // run (`pnpm coverage`, CI).
      thresholds: { statements: 88, branches: 80, functions: 88, lines: 91 },
    },
  },
});
