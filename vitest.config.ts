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
    },
  },
});
