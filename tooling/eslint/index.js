// @ts-check
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * Files no tsconfig includes (tests, benches, fixtures, fuzz cases, examples and tool configs): the
 * package builds exclude them, so there is no TypeScript program to lint them with. They get the same
 * rules minus the ones that need type information.
 */
export const untypedFiles = [
  "**/*.test.ts",
  "**/*.bench.ts",
  "**/*.test-support.ts",
  "**/__tests__/**",
  "**/__fixtures__/**",
  "**/test-support/**",
  "**/bench/**",
  "apps/runner/src/fuzz/**",
  "apps/runner/examples/**",
  "**/vitest.config.ts",
  "**/vite.config.ts",
  "tooling/vitest-config/**",
];

/**
 * The quantforge ESLint flat config: eslint's recommended rules plus typescript-eslint's
 * `strictTypeChecked` preset, type-aware through the TypeScript project service (each file is linted
 * with the program of its nearest tsconfig.json). Every rule turned off or relaxed below says why.
 *
 * @param {{ tsconfigRootDir: string }} options `tsconfigRootDir`: the repository root.
 */
export function quantforgeConfig({ tsconfigRootDir }) {
  return defineConfig(
    {
      ignores: ["**/dist/**", "**/node_modules/**", "**/coverage/**", "**/.turbo/**", "**/*.d.ts"],
    },
    js.configs.recommended,
    tseslint.configs.strictTypeChecked,
    {
      languageOptions: {
        parserOptions: { projectService: true, tsconfigRootDir },
      },
      linterOptions: { reportUnusedDisableDirectives: "error" },
      rules: {
        // With noUncheckedIndexedAccess, `a[i]!` is the chosen idiom for indices that are in range by
        // construction (typed-array hot loops): a check there would cost time and could never fire.
        // Assertions that have become unnecessary are still reported, by
        // no-unnecessary-type-assertion.
        "@typescript-eslint/no-non-null-assertion": "off",
        // Numbers in messages and reports are the common case and always print sensibly.
        "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
        // Decoded files and parsed JSON are validated at run time although their static type is the
        // trusted shape (e.g. `header.format !== "quantforge-compare"` after a cast); this rule would
        // call exactly those checks unnecessary.
        "@typescript-eslint/no-unnecessary-condition": "off",
        // Stylistic: `return print(x)` in a void function and `() => f()` callbacks are idiomatic here
        // and, with strict void checking in tsc, hide no bug.
        "@typescript-eslint/no-confusing-void-expression": "off",
        // `async` without `await` is how Promise-returning interface methods are implemented here, so
        // that a synchronous throw becomes a rejection instead of escaping the caller's `await`.
        "@typescript-eslint/require-await": "off",
        // The tsc convention already used by `--noUnusedLocals/--noUnusedParameters`: a leading
        // underscore marks a deliberately unused binding (e.g. a field dropped by destructuring).
        "@typescript-eslint/no-unused-vars": [
          "error",
          {
            argsIgnorePattern: "^_",
            varsIgnorePattern: "^_",
            caughtErrorsIgnorePattern: "^_",
            destructuredArrayIgnorePattern: "^_",
            ignoreRestSiblings: true,
          },
        ],
      },
    },
    { files: untypedFiles, extends: [tseslint.configs.disableTypeChecked] },
    {
      files: ["**/*.{js,mjs,cjs}"],
      extends: [tseslint.configs.disableTypeChecked],
      languageOptions: { globals: { ...globals.node } },
    },
  );
}
