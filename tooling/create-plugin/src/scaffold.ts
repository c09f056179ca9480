import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ScaffoldError } from "./errors.js";
import { PLUGIN_ID_RE, PLUGIN_KINDS, pluginNames, type PluginKind } from "./names.js";
import { registerInRunner } from "./register-runner.js";
import { changeset, indexTs, packageJson, publicApiTest, readme, standaloneFiles, tsconfigJson, tsconfigTestJson, versionFiles, vitestConfig, type ExportList } from "./templates/common.js";
import { coderExports, coderSources } from "./templates/coder.js";
import type { GeneratedFile, TemplateContext } from "./templates/context.js";
import { evaluatorExports, evaluatorSources } from "./templates/evaluator.js";
import { quantizerExports, quantizerSources } from "./templates/quantizer.js";
import { CHANGESETS_VERSION, CORE_VERSION, TOOL_VERSIONS } from "./versions.js";

/** What to scaffold. */
export interface ScaffoldOptions {
  /** `quantizer`, `coder` or `evaluator`. */
  readonly kind: string;
  /** The plugin id, kebab-case (`my-method`). */
  readonly id: string;
  /** Target directory (relative to `cwd`). Default: `packages/<kind>-<id>` inside the quantforge
   * workspace, `./quantforge-plugin-<id>` elsewhere. */
  readonly dir?: string;
  /** Base of a relative `dir` and of the workspace search. @default process.cwd() */
  readonly cwd?: string;
  /** npm package name. Default: `@quantforge/<kind>-<id>` under the workspace's `packages/`, else `quantforge-plugin-<id>`. */
  readonly packageName?: string;
  /** One line for package.json and `quantforge list`. */
  readonly description?: string;
  /** Standalone only: the dev-dependency spec of `@quantforge/core` (e.g. `file:../quantforge/packages/core`). @default `^<core version>` */
  readonly core?: string;
  /**
   * A first-party package (`packages/<kind>-<id>`, not loadable) is made built in: imported and
   * listed in `apps/runner/src/plugins.ts`, a dependency of `apps/runner` and a project reference
   * of its tsconfig. `false` leaves the runner alone. @default true
   */
  readonly registerRunner?: boolean;
}

/** What {@link scaffoldPlugin} made. */
export interface ScaffoldResult {
  /** Absolute path of the new package. */
  readonly dir: string;
  readonly packageName: string;
  readonly mode: "workspace" | "standalone";
  /** True when `src/index.ts` default-exports the descriptor (loadable by `--plugin`/`--discover`). */
  readonly loadable: boolean;
  /** Absolute paths of every file written (the workspace changeset included). */
  readonly files: readonly string[];
  /** Absolute paths of the runner files edited to make it built in (empty when none were). */
  readonly runnerFiles: readonly string[];
  /** Commands to run next, one per line. */
  readonly nextSteps: readonly string[];
}

/** Names that `quantforge --discover` finds (and that therefore get a default export). */
export const LOADABLE_NAME_RE = /^(@[a-z0-9][\w.~-]*\/)?quantforge-plugin-[a-z0-9][\w.~-]*$/;
const PACKAGE_NAME_RE = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/;

/** The quantforge workspace root at or above `from`: pnpm-workspace.yaml plus packages/core being @quantforge/core. */
export function findWorkspaceRoot(from: string): string | undefined {
  for (let d = resolve(from); ; d = dirname(d)) {
    const core = join(d, "packages/core/package.json");
    if (existsSync(join(d, "pnpm-workspace.yaml")) && existsSync(core)) {
      try {
        if ((JSON.parse(readFileSync(core, "utf8")) as { name?: string }).name === "@quantforge/core") return d;
      } catch {
        // not ours
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

/** The `<dir>/*` globs of pnpm-workspace.yaml (the folders whose children are workspace packages). */
export function workspaceFolders(root: string): string[] {
  const text = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const out: string[] = [];
  let inPackages = false;
  for (const line of text.split("\n")) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (/^\S/.test(line)) inPackages = false;
    const m = inPackages ? /^\s*-\s*["']?([^"'*]+)\/\*["']?\s*$/.exec(line) : null;
    if (m) out.push(m[1]!);
  }
  return out;
}

function workspaceVersions(root: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  return { ...TOOL_VERSIONS, "@changesets/cli": CHANGESETS_VERSION, ...pkg.devDependencies };
}

function sourcesFor(c: TemplateContext): { files: Record<string, string>; exports: ExportList } {
  const k: PluginKind = c.names.kind;
  if (k === "quantizer") return { files: quantizerSources(c), exports: quantizerExports(c) };
  if (k === "coder") return { files: coderSources(c), exports: coderExports(c) };
  return { files: evaluatorSources(c), exports: evaluatorExports(c) };
}

/** Every file of a new package (paths relative to the package, or to the repo root when `root`). */
export function renderPlugin(c: TemplateContext): GeneratedFile[] {
  const { files, exports } = sourcesFor(c);
  const out: GeneratedFile[] = [
    { path: "package.json", content: packageJson(c) },
    { path: "tsconfig.json", content: tsconfigJson(c) },
    { path: "tsconfig.test.json", content: tsconfigTestJson(c) },
    { path: "vitest.config.ts", content: vitestConfig(c) },
    { path: "README.md", content: readme(c) },
    { path: "src/index.ts", content: indexTs(c, exports) },
    { path: "src/public-api.test.ts", content: publicApiTest(c, exports) },
    ...Object.entries(versionFiles()).map(([path, content]) => ({ path, content })),
    ...Object.entries(files).map(([path, content]) => ({ path, content })),
  ];
  const slug = c.packageName.replace(/^@/, "").replace(/[/]/g, "-");
  if (c.mode === "workspace") out.push({ path: `.changeset/${slug}.md`, content: changeset(c), root: true });
  else out.push(...standaloneFiles(), { path: ".changeset/initial-release.md", content: changeset(c) });
  return out;
}

/**
 * Scaffolds a plugin package: descriptor with a zod options schema, a pure `<id>-impl.ts`, property
 * tests, the conformance suite of its kind, a public-API test, README and a changeset. Inside the
 * quantforge workspace it follows CONTRIBUTING.md (`workspace:` ranges, shared tsconfig and Vitest
 * preset, changeset in the root `.changeset/`); elsewhere it is a standalone package depending on
 * a published `@quantforge/core`.
 *
 * @throws {ScaffoldError} `QF_USAGE` for a bad kind, id or package name, or a workspace directory
 *   that pnpm would not pick up; `QF_IO` when the target exists and is not empty.
 */
export function scaffoldPlugin(o: ScaffoldOptions): ScaffoldResult {
  const cwd = resolve(o.cwd ?? process.cwd());
  if (!(PLUGIN_KINDS as readonly string[]).includes(o.kind)) throw new ScaffoldError("QF_USAGE", `unknown plugin kind "${o.kind}". Use one of: ${PLUGIN_KINDS.join(", ")}.`);
  const kind = o.kind as PluginKind;
  if (!PLUGIN_ID_RE.test(o.id) || o.id.length > 40) throw new ScaffoldError("QF_USAGE", `plugin name "${o.id}" is not a kebab-case id (a letter, then letters, digits and single dashes; at most 40 characters), e.g. "my-method".`);
  const names = pluginNames(kind, o.id);
  const wsFromCwd = findWorkspaceRoot(cwd);
  const dir = o.dir !== undefined ? (isAbsolute(o.dir) ? resolve(o.dir) : resolve(cwd, o.dir)) : wsFromCwd ? join(wsFromCwd, "packages", `${kind}-${o.id}`) : join(cwd, `quantforge-plugin-${o.id}`);
  const root = findWorkspaceRoot(dirname(dir));
  if (root !== undefined) {
    const folder = relative(root, dirname(dir)).split(sep).join("/");
    const folders = workspaceFolders(root);
    if (!folders.includes(folder)) {
      throw new ScaffoldError(
        "QF_USAGE",
        `"${relative(root, dir)}" is inside the quantforge workspace but not in a workspace folder (${folders.map((f) => `${f}/<name>`).join(", ")}), so pnpm would not install it. Choose --dir ${folders.includes("examples") ? "examples" : folders[0]}/${basename(dir)}, or a directory outside the workspace.`,
      );
    }
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new ScaffoldError("QF_IO", `"${dir}" already exists and is not empty. Choose another --dir or remove it.`);
  }
  const firstParty = root !== undefined && relative(root, dirname(dir)) === "packages";
  const packageName = o.packageName ?? (firstParty ? `@quantforge/${kind}-${o.id}` : `quantforge-plugin-${o.id}`);
  if (!PACKAGE_NAME_RE.test(packageName)) throw new ScaffoldError("QF_USAGE", `"${packageName}" is not a valid npm package name. Use lower case, e.g. quantforge-plugin-${o.id}.`);
  const mode = root !== undefined ? "workspace" : "standalone";
  const loadable = LOADABLE_NAME_RE.test(packageName);
  const ctx: TemplateContext = {
    names,
    packageName,
    mode,
    loadable,
    description: o.description ?? `TODO: one line on what the ${o.id} ${kind} does.`,
    rootRel: root !== undefined ? relative(dir, root).split(sep).join("/") : "",
    core: mode === "workspace" ? { peer: "workspace:^", dev: "workspace:*" } : { peer: `^${CORE_VERSION}`, dev: o.core ?? `^${CORE_VERSION}` },
    tools: root !== undefined ? workspaceVersions(root) : { ...TOOL_VERSIONS, "@changesets/cli": CHANGESETS_VERSION },
  };
  const written: string[] = [];
  for (const f of renderPlugin(ctx)) {
    const target = f.root ? join(root!, f.path) : join(dir, f.path);
    if (f.root && existsSync(target)) throw new ScaffoldError("QF_IO", `"${target}" already exists. Remove it or choose another package name.`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content, { flag: "wx" });
    written.push(target);
  }
  const builtIn = mode === "workspace" && firstParty && !loadable && o.registerRunner !== false;
  const runnerFiles = builtIn ? registerInRunner(root, { kind, packageName, factory: names.factory, id: o.id, description: ctx.description, dir }) : null;
  const rel = relative(root ?? cwd, dir) || ".";
  const project = packageName.replace(/^@[^/]+\//, "");
  const nextSteps =
    mode === "workspace"
      ? [
          "pnpm install",
          `pnpm vitest run --project ${project}`,
          loadable
            ? `pnpm turbo run build --filter=${packageName} && node apps/runner/dist/cli.js list --plugin ./${rel}`
            : runnerFiles !== null
              ? `pnpm build && node apps/runner/dist/cli.js list   # ${names.factory}() is built in (apps/runner: plugins.ts, builtin-plugins.ts, package.json, tsconfig.json)`
              : `add ${names.factory}() to apps/runner/src/plugins.ts (plus the dependency and tsconfig reference in apps/runner)`,
        ]
      : [`cd ${rel}`, "npm install", "npm test", `npm run build, then: quantforge list --plugin ${dir}`];
  return { dir, packageName, mode, loadable, files: written, runnerFiles: runnerFiles ?? [], nextSteps };
}
