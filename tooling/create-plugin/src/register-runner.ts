import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ScaffoldError } from "./errors.js";
import type { PluginKind } from "./names.js";

/** The runner files a built-in plugin is registered in (relative to the workspace root). */
export const RUNNER_FILES = {
  plugins: "apps/runner/src/plugins.ts",
  builtins: "apps/runner/src/builtin-plugins.ts",
  manifest: "apps/runner/package.json",
  tsconfig: "apps/runner/tsconfig.json",
} as const;

/** What {@link registerInRunner} registers. */
export interface RunnerRegistration {
  readonly kind: PluginKind;
  /** The npm name the runner imports (`@quantforge/quantizer-my-method`). */
  readonly packageName: string;
  /** The factory the package exports (`myMethodQuantizer`). */
  readonly factory: string;
  /** The plugin id (`my-method`), as `quantforge list` shows it. */
  readonly id: string;
  /** The one-line description of the plugin's descriptor. */
  readonly description: string;
  /** Absolute path of the package. */
  readonly dir: string;
}

/**
 * Where a new factory call goes in `builtinPlugins()`: before the first of these lines that
 * exists (quantizers before `auto`'s comment, which stays last among them; coders at the end of
 * their section; evaluators at the end of the list).
 */
const ANCHORS: Record<PluginKind, readonly RegExp[]> = {
  quantizer: [/^[ \t]*\/\/ auto\b/m, /^[ \t]*\/\/ coders\b/m],
  coder: [/^[ \t]*\/\/ evaluators\b/m],
  evaluator: [/^ {2}\];\s*$/m],
};

/**
 * Where a new entry goes in `BUILTIN_PLUGINS` (builtin-plugins.ts), the same order as
 * `builtinPlugins()`: quantizers before `auto`'s entry, coders before the first evaluator,
 * evaluators before the closing `]);`.
 */
const ENTRY_ANCHORS: Record<PluginKind, readonly RegExp[]> = {
  quantizer: [/^ {2}\{\n {4}kind: "quantizer",\n {4}id: "auto",/m, /^ {2}\{\n {4}kind: "coder",/m],
  coder: [/^ {2}\{\n {4}kind: "evaluator",/m, /^\]\);\s*$/m],
  evaluator: [/^\]\);\s*$/m],
};

/** The package's version from its package.json (the scaffold wrote it just before). */
function packageVersion(dir: string): string {
  const m = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown };
  if (typeof m.version !== "string") throw new ScaffoldError("QF_IO", `${join(dir, "package.json")} has no "version"; add one and register the plugin by hand.`);
  return m.version;
}

function edit(root: string, rel: string, f: (text: string) => string): string | undefined {
  const path = join(root, rel);
  const before = readFileSync(path, "utf8");
  const after = f(before);
  if (after === before) return undefined;
  writeFileSync(path, after);
  return path;
}

/**
 * Makes a workspace plugin built in, the four edits `apps/runner/src/plugins.ts` asks for: the
 * import and the factory call in `builtinPlugins()`, its entry in `BUILTIN_PLUGINS`
 * (builtin-plugins.ts: kind, id, version, description, loader), the `workspace:*` dependency in
 * `apps/runner/package.json` and the project reference in `apps/runner/tsconfig.json`. Each edit
 * is skipped when already made (running it twice changes nothing). Returns the files changed, or
 * null when the workspace has no runner (a bare workspace copy).
 *
 * @throws {ScaffoldError} `QF_IO` when `builtinPlugins()` has no place for the kind (the list's
 *   `// coders` / `// evaluators` section comments or its closing `];` were changed).
 */
export function registerInRunner(root: string, r: RunnerRegistration): string[] | null {
  if (!Object.values(RUNNER_FILES).every((f) => existsSync(join(root, f)))) return null;
  const changed: (string | undefined)[] = [];
  changed.push(
    edit(root, RUNNER_FILES.plugins, (text) => {
      if (new RegExp(`from "${r.packageName.replace(/[/.]/g, "\\$&")}";`).test(text)) return text;
      const anchor = ANCHORS[r.kind].map((re) => re.exec(text)).find((m) => m !== null);
      const imports = [...text.matchAll(/^import .*;\n/gm)];
      const lastImport = imports[imports.length - 1];
      if (!anchor || !lastImport) throw new ScaffoldError("QF_IO", `${RUNNER_FILES.plugins} has no place for a ${r.kind} in builtinPlugins(); add ${r.factory}() there by hand.`);
      const at = anchor.index;
      const withCall = `${text.slice(0, at)}    ${r.factory}(),\n${text.slice(at)}`;
      const end = lastImport.index + lastImport[0].length;
      return `${withCall.slice(0, end)}import { ${r.factory} } from "${r.packageName}";\n${withCall.slice(end)}`;
    }),
  );
  changed.push(
    edit(root, RUNNER_FILES.builtins, (text) => {
      if (text.includes(`import("${r.packageName}")`)) return text;
      const anchor = ENTRY_ANCHORS[r.kind].map((re) => re.exec(text)).find((m) => m !== null);
      if (!anchor) throw new ScaffoldError("QF_IO", `${RUNNER_FILES.builtins} has no place for a ${r.kind} in BUILTIN_PLUGINS; add the ${r.id} entry there by hand.`);
      // The metadata `quantforge list` prints without importing the package (builtin-plugins.test.ts checks it against the descriptor).
      const entry = [
        "  {",
        `    kind: "${r.kind}",`,
        `    id: ${JSON.stringify(r.id)},`,
        `    version: "${packageVersion(r.dir)}",`,
        `    description: ${JSON.stringify(r.description)},`,
        `    load: async () => (await import("${r.packageName}")).${r.factory}(),`,
        "  },",
        "",
      ].join("\n");
      return `${text.slice(0, anchor.index)}${entry}${text.slice(anchor.index)}`;
    }),
  );
  changed.push(
    edit(root, RUNNER_FILES.manifest, (text) => {
      const m = JSON.parse(text) as { dependencies?: Record<string, string> };
      if (m.dependencies?.[r.packageName] !== undefined) return text;
      m.dependencies = { ...m.dependencies, [r.packageName]: "workspace:*" };
      return `${JSON.stringify(m, null, 2)}\n`;
    }),
  );
  changed.push(
    edit(root, RUNNER_FILES.tsconfig, (text) => {
      const path = relative(join(root, "apps/runner"), r.dir).split(sep).join("/");
      const refs = (JSON.parse(text) as { references?: { path: string }[] }).references ?? [];
      if (refs.some((x) => x.path === path)) return text;
      // A text edit keeps the file's one-reference-per-line layout (JSON.stringify would not).
      const last = [...text.matchAll(/^([ \t]*)\{ "path": "[^"]*" \}(,?)$/gm)].pop();
      if (!last) throw new ScaffoldError("QF_IO", `${RUNNER_FILES.tsconfig} has no "references" list; add { "path": "${path}" } by hand.`);
      const end = last.index + last[0].length;
      return `${text.slice(0, end)}${last[2] ? "" : ","}\n${last[1]}{ "path": "${path}" }${last[2]}${text.slice(end)}`;
    }),
  );
  return changed.filter((c): c is string => c !== undefined);
}
