import type { GeneratedFile, TemplateContext } from "./context.js";

/** What `src/index.ts` re-exports, per source file (without `.ts`). */
export interface ExportList {
  readonly values: Record<string, string[]>;
  readonly types: Record<string, string[]>;
}

const KIND_TITLE = { quantizer: "quantizer", coder: "coder", evaluator: "evaluator" } as const;

function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** `package.json`: the conventions of CONTRIBUTING.md and the rules `pnpm check:packages` enforces. */
export function packageJson(c: TemplateContext): string {
  const ws = c.mode === "workspace";
  const exportsDot = ws ? { "@quantforge/source": "./src/index.ts", types: "./dist/index.d.ts", default: "./dist/index.js" } : { types: "./dist/index.d.ts", default: "./dist/index.js" };
  const scoped = c.packageName.startsWith("@");
  const scripts: Record<string, string> = {
    build: "tsc -b",
    typecheck: "tsc -p tsconfig.json --noEmit && tsc -p tsconfig.test.json --noEmit",
    lint: "tsc -p tsconfig.json --noEmit --noUnusedLocals --noUnusedParameters",
    test: "vitest run",
    ...(ws ? {} : { prepack: "tsc -b", changeset: "changeset", "version-packages": "changeset version", release: "npm run build && changeset publish" }),
  };
  const dev: Record<string, string> = {
    "@fast-check/vitest": c.tools["@fast-check/vitest"]!,
    "@quantforge/core": c.core.dev,
    "fast-check": c.tools["fast-check"]!,
    vitest: c.tools.vitest!,
    ...(ws ? {} : { "@changesets/cli": c.tools["@changesets/cli"]!, "@types/node": c.tools["@types/node"]!, typescript: c.tools.typescript! }),
  };
  return json({
    name: c.packageName,
    version: "0.1.0",
    description: c.description,
    license: "MIT",
    type: "module",
    sideEffects: false,
    engines: { node: ">=20.19" },
    keywords: ["quantforge", "quantforge-plugin", c.names.kind],
    exports: { ".": exportsDot },
    types: "./dist/index.d.ts",
    files: ["dist", "!dist/**/*.test.*", "!dist/**/*.bench.*", "!dist/**/*.map", "!dist/.tsbuildinfo"],
    ...(scoped ? { publishConfig: { access: "public" } } : {}),
    scripts,
    peerDependencies: { "@quantforge/core": c.core.peer },
    devDependencies: sorted(dev),
  });
}

/** `tsconfig.json`: the shared base in the workspace, a complete one standalone. */
export function tsconfigJson(c: TemplateContext): string {
  if (c.mode === "workspace") {
    return json({
      extends: `${c.rootRel}/tooling/tsconfig/base.json`,
      include: ["src"],
      exclude: ["src/**/*.test.ts"],
      references: [{ path: `${c.rootRel}/packages/core` }],
    });
  }
  return json({
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2022"],
      types: ["node"],
      strict: true,
      declaration: true,
      sourceMap: true,
      rootDir: "src",
      outDir: "dist",
      tsBuildInfoFile: "dist/.tsbuildinfo",
      composite: true,
      skipLibCheck: true,
      forceConsistentCasingInFileNames: true,
    },
    include: ["src"],
    exclude: ["src/**/*.test.ts"],
  });
}

/**
 * `tsconfig.test.json`: type-checks the tests, which `tsconfig.json` leaves out of the build (the
 * `typecheck` script runs both). In the workspace the shared test config, which resolves workspace
 * packages to their sources as Vitest does; standalone the package's own options without emit.
 */
export function tsconfigTestJson(c: TemplateContext): string {
  if (c.mode === "workspace") return json({ extends: `${c.rootRel}/tooling/tsconfig/test.json` });
  return json({ extends: "./tsconfig.json", compilerOptions: { noEmit: true }, include: ["src"], exclude: [] });
}

/** `vitest.config.ts`: merges the shared preset in the workspace. */
export function vitestConfig(c: TemplateContext): string {
  const project = c.packageName.replace(/^@[^/]+\//, "");
  if (c.mode === "workspace") {
    return `import { defineProject, mergeConfig } from "vitest/config";
import shared from "${c.rootRel}/tooling/vitest-config/vitest.shared.js";

export default mergeConfig(shared, defineProject({ test: { name: "${project}" } }));
`;
  }
  return `import { defineConfig } from "vitest/config";

export default defineConfig({ test: { name: "${project}", include: ["src/**/*.test.ts"], testTimeout: 60_000 } });
`;
}

/** `src/index.ts`: named exports only, plus the default export a loadable plugin package needs. */
export function indexTs(c: TemplateContext, list: ExportList): string {
  const lines: string[] = [];
  if (c.loadable) lines.push(`import { ${c.names.factory} } from "./${c.names.adapterFile}.js";`, "");
  for (const [file, names] of Object.entries(list.values)) lines.push(`export { ${names.join(", ")} } from "./${file}.js";`);
  for (const [file, names] of Object.entries(list.types)) lines.push(`export type { ${names.join(", ")} } from "./${file}.js";`);
  lines.push(`export { VERSION } from "./version.js";`);
  if (c.loadable) {
    lines.push(
      "",
      "/**",
      ` * What \`quantforge --plugin ${c.packageName}\` (or \`--discover\`) registers: the \`${c.names.id}\``,
      ` * ${KIND_TITLE[c.names.kind]} with its default options. The default export of a loadable plugin package is a`,
      " * descriptor or an array of descriptors.",
      " */",
      `export default ${c.names.factory}();`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `src/version.ts` and its test. */
export function versionFiles(): Record<string, string> {
  return {
    "src/version.ts": `/** The package version (kept equal to package.json by \`version.test.ts\`). */\nexport const VERSION = "0.1.0";\n`,
    "src/version.test.ts": `import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { VERSION } from "./version.js";

test("VERSION equals the package.json version (update src/version.ts when you bump the version)", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
`,
  };
}

/** `src/public-api.test.ts`: pins the export list. */
export function publicApiTest(c: TemplateContext, list: ExportList): string {
  const keys = [...Object.values(list.values).flat(), "VERSION", ...(c.loadable ? ["default"] : [])].sort();
  const loadable = c.loadable
    ? `
it("the default export is the ${c.names.id} ${c.names.kind} descriptor (what quantforge --plugin loads)", async () => {
  const mod = await import("./index.js");
  expect(mod.default).toMatchObject({ kind: "${c.names.kind}", id: "${c.names.id}", version: mod.VERSION });
});
`
    : "";
  return `import { expect, it } from "vitest";

// Pins the public surface: adding, renaming or removing an export must be a deliberate change.
it("exports exactly the public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual(${JSON.stringify(keys)});
});
${loadable}`;
}

/** The changeset announcing the new package. */
export function changeset(c: TemplateContext): string {
  return `---\n"${c.packageName}": minor\n---\n\nNew ${c.names.kind} plugin \`${c.names.id}\`: ${c.description}\n`;
}

/** README following the package README outline (style §7.7). */
export function readme(c: TemplateContext): string {
  const n = c.names;
  const install =
    c.mode === "workspace" && !c.loadable
      ? `Inside the quantforge workspace: add \`"${c.packageName}": "workspace:*"\` to \`apps/runner/package.json\`, a tsconfig reference, and \`${n.factory}()\` to \`apps/runner/src/plugins.ts\`.`
      : `\`\`\`sh\nnpm install ${c.packageName} @quantforge/core\n\`\`\`\n\nThen \`quantforge list --plugin ${c.packageName}\` (or \`--discover\`) shows it, and\n\`quantforge compare --plugin ${c.packageName} …\` or a config file's \`plugins: ["${c.packageName}"]\` uses it.`;
  const use =
    n.kind === "quantizer"
      ? `const r = await pipeline().weights(ws).quantize(${n.factory}({ bits: 4 })).run();`
      : n.kind === "coder"
        ? `const r = await pipeline().weights(ws).quantize(q).code(${n.factory}()).run();`
        : `const r = await pipeline().weights(ws).quantize(q).evaluate(${n.factory}()).run();`;
  const options = n.kind === "quantizer" ? "| `bits` | 2–16 | `8` | bits per code: 2^bits − 1 levels |" : "| – | – | – | no options yet |";
  return `# ${c.packageName}

${c.description}

## What is this?

A quantforge ${n.kind} plugin with the id \`${n.id}\`. TODO: describe the method, cite the paper
(equation numbers for the formulas), and say what it trades against what.

## When should I use this?

TODO: the tensors, bit rates or targets it is for, and when another plugin is the better choice.

## Install

${install}

## Use

\`\`\`ts
import { pipeline } from "@quantforge/core/host";
import { ${n.factory} } from "${c.packageName}";

${use}
\`\`\`

## API

### \`${n.factory}(defaults?)\`

Returns the \`${n.id}\` ${n.kind} descriptor. *Parameters*: \`defaults\` — options applied under the
run-time options. *Returns*: \`${n.Kind}Plugin<${n.options}>\`.${c.loadable ? ` The package's default export is \`${n.factory}()\`.` : ""}

The pure kernel lives in \`src/${n.implFile}.ts\` and is exported for tests and reuse. The factory is
\`create(options, host)\`: a plugin that needs another plugin takes it from \`host.registry\` by id
instead of importing its package (see \`@quantforge/core\`'s README).${n.kind === "quantizer" ? " The descriptor's `auto` field offers the quantizer to `auto` as a candidate; auto names it in its `auto/candidates` diagnostic when it is loaded with `--plugin`." : ""}

## Options

| option | values | default | meaning |
|---|---|---|---|
${options}

## Conformance

\`src/conformance.test.ts\` runs \`describe${n.Kind}Conformance\` from \`@quantforge/core/testing\` with
no skipped tests. List every skip here with its reason.

## Compatibility

\`@quantforge/core\` ${c.core.peer.startsWith("workspace:") ? "(the workspace version; published as `^<version>`)" : c.core.peer} as a peer dependency. Node ≥ 20.19. ESM only.

## License

MIT
`;
}

/** Standalone-only files: .gitignore and a changesets config. */
export function standaloneFiles(): GeneratedFile[] {
  return [
    { path: ".gitignore", content: "node_modules/\ndist/\n*.tgz\n" },
    {
      path: ".changeset/config.json",
      content: json({ changelog: "@changesets/cli/changelog", commit: false, fixed: [], linked: [], access: "public", baseBranch: "main", updateInternalDependencies: "patch", ignore: [] }),
    },
    { path: ".changeset/README.md", content: "Changesets: run `npm run changeset` for every user-visible change, `npm run version-packages` to release.\n" },
  ];
}
