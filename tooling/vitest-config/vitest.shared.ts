import { defineConfig } from "vitest/config";

/**
 * Shared Vitest preset. Every package's `vitest.config.ts` merges it.
 * - Vite 8/Oxc applies tsconfig decorator flags only to files the tsconfig includes (tests are
 *   excluded), so legacy decorators are set explicitly.
 * - `@quantforge/source` makes workspace packages resolve to `src/` so tests need no `dist/`.
 */
export default defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  resolve: { conditions: ["@quantforge/source"] },
  ssr: { resolve: { conditions: ["@quantforge/source"] } },
  test: {
    include: ["src/**/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
