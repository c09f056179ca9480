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
        // Numbers in messages and reports are the common case and always print sensibly. `never` shows
        // up in the message of a run-time check of a value the types rule out (e.g. the kind of an
        // untrusted plugin descriptor): printing it is the point of the message.
        "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowNever: true }],
        // Decoded files and parsed JSON are validated at run time although their static type is the
        // trusted shape (e.g. `header.format !== "quantforge-compare"` after a cast); these rules would
        // call exactly those checks and conversions unnecessary (`String(t.name)` of a decoded name,
        // `Boolean(stream.isTTY)`, which is undefined at run time although typed boolean).
        "@typescript-eslint/no-unnecessary-condition": "off",
        "@typescript-eslint/no-unnecessary-type-conversion": "off",
        // It reports `String(v)` of values narrowed from `unknown` to `{}` (printing arbitrary option
        // or JSON values), which is the intended conversion; an object interpolated into a template
        // literal by mistake is still caught by restrict-template-expressions.
        "@typescript-eslint/no-base-to-string": "off",
        // Return-type-only generics are used deliberately as the one typed cast at a trust boundary
        // (a decoded protobuf message, a DI container or registry lookup); rewriting them as `as` at
        // every call site would move the assertion, not remove it.
        "@typescript-eslint/no-unnecessary-type-parameters": "off",
        // Stylistic: `return print(x)` in a void function and `() => f()` callbacks are idiomatic here
        // and, with strict void checking in tsc, hide no bug.
        "@typescript-eslint/no-confusing-void-expression": "off",
        // `async` without `await` is how Promise-returning interface methods are implemented here, so
        // that a synchronous throw becomes a rejection instead of escaping the caller's `await`.
        "@typescript-eslint/require-await": "off",
        // Every control character in a pattern here is deliberate: sanitising names for terminals
        // and error messages, and spotting ANSI colour codes.
        "no-control-regex": "off",
        // Hot loops declare their scratch variables once, initialised to 0 so V8 keeps them small
        // integers from the start (rANS decoders); the rule reports exactly those initialisers.
        "no-useless-assignment": "off",
        // The package `lint` task's `tsc --noUnusedLocals --noUnusedParameters` already reports unused
        // bindings in every file a tsconfig includes, and unlike this rule it counts a TSDoc
        // `{@link X}` as a use of an imported X. It stays on for the files tsc does not see (below).
        "@typescript-eslint/no-unused-vars": "off",
      },
    },
    {
      files: untypedFiles,
      extends: [tseslint.configs.disableTypeChecked],
      rules: {
        // Tests read JSON documents and poke at malformed shapes; no tsconfig includes them, so an
        // `any` there hides nothing a type check would have seen.
        "@typescript-eslint/no-explicit-any": "off",
        // The convention of tsc's `--noUnusedLocals`: a leading underscore marks a deliberately
        // unused binding (e.g. a field dropped by destructuring).
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
    {
      files: ["**/*.{js,mjs,cjs}"],
      extends: [tseslint.configs.disableTypeChecked],
      languageOptions: { globals: { ...globals.node } },
    },
  );
}
