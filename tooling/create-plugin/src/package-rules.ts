import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** One broken rule of one package. */
export interface PackageProblem {
  /** The package name (or its folder when the name is missing). */
  readonly package: string;
  /** Stable rule id (see {@link PACKAGE_RULES}). */
  readonly rule: string;
  /** What is wrong and what to write instead. */
  readonly message: string;
}

/**
 * The publishing rules every public `packages/*` manifest follows (style §7.8, CONTRIBUTING.md):
 * - `name`: `@quantforge/<folder>`; `version`: x.y.z; `description`: non-empty;
 * - `license`: `MIT`, with a LICENSE file in the package or at the repository root;
 * - `type`: `module`; `sideEffects`: `false`; `engines`: `node` equal to the root's;
 * - `exports`: every entry has `types` (`./dist/*.d.ts`) and `default` (`./dist/*.js`), and an
 *   optional `@quantforge/source` condition first pointing at `./src/*.ts`;
 * - `types`: equal to `exports["."].types`;
 * - `files`: `dist` without tests or `.tsbuildinfo` (`!dist/**\/*.test.*`, `!dist/.tsbuildinfo`), never `src`;
 * - `readme`: a README.md;
 * - `publish-access`: scoped packages set `publishConfig.access` to `public`;
 * - `plugin-peer`: plugins (`@quantforge/{quantizer,coder,evaluator}-*`) take `@quantforge/core` as
 *   peer `workspace:^` and dev `workspace:*`, never as a dependency;
 * - `workspace-range`: workspace packages in `dependencies`/`peerDependencies` use `workspace:^`;
 * - `private-dependency`: no dependency on a private workspace package.
 */
export const PACKAGE_RULES = ["name", "version", "description", "license", "type", "sideEffects", "engines", "exports", "types", "files", "readme", "publish-access", "plugin-peer", "workspace-range", "private-dependency"] as const;

/** Package manifest fields the rules read. */
export interface Manifest {
  readonly name?: string;
  readonly version?: string;
  readonly private?: boolean;
  readonly description?: string;
  readonly license?: string;
  readonly type?: string;
  readonly sideEffects?: unknown;
  readonly engines?: Readonly<Record<string, string>>;
  readonly exports?: unknown;
  readonly types?: string;
  readonly files?: readonly string[];
  readonly publishConfig?: Readonly<Record<string, unknown>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** What the rules need besides the manifest. */
export interface RuleContext {
  /** The package folder name (`quantizer-rtn`). */
  readonly folder: string;
  /** Files at the top of the package directory (README.md, LICENSE, …). */
  readonly topFiles: readonly string[];
  /** A LICENSE at the repository root (lerna copies it into packages that have none). */
  readonly rootLicense: boolean;
  /** The root package.json's `engines.node`. */
  readonly nodeEngine: string;
  /** Names of private workspace packages. */
  readonly privatePackages: ReadonlySet<string>;
}

const PLUGIN_NAME_RE = /^@quantforge\/(quantizer|coder|evaluator)-/;

function checkExportEntry(key: string, entry: unknown, fail: (rule: string, msg: string) => void): void {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    fail("exports", `exports["${key}"] must be an object { "@quantforge/source"?, types, default }.`);
    return;
  }
  const e = entry as Record<string, unknown>;
  const keys = Object.keys(e);
  if ("@quantforge/source" in e) {
    if (keys[0] !== "@quantforge/source") fail("exports", `exports["${key}"]: "@quantforge/source" must be the first condition (Node takes the first match).`);
    if (typeof e["@quantforge/source"] !== "string" || !/^\.\/src\/.+\.ts$/.test(e["@quantforge/source"])) fail("exports", `exports["${key}"]["@quantforge/source"] must point at ./src/*.ts.`);
  }
  if (typeof e.types !== "string" || !/^\.\/dist\/.+\.d\.ts$/.test(e.types)) fail("exports", `exports["${key}"].types must be ./dist/….d.ts.`);
  if (typeof e.default !== "string" || !/^\.\/dist\/.+\.js$/.test(e.default)) fail("exports", `exports["${key}"].default must be ./dist/….js.`);
  if (keys.indexOf("types") > keys.indexOf("default")) fail("exports", `exports["${key}"]: "types" must come before "default".`);
}

/** Checks one manifest; returns every broken rule (empty when it may be published). */
export function checkManifest(m: Manifest, c: RuleContext): PackageProblem[] {
  const out: PackageProblem[] = [];
  const pkg = m.name ?? c.folder;
  const fail = (rule: string, message: string) => out.push({ package: pkg, rule, message });
  if (m.name !== `@quantforge/${c.folder}`) fail("name", `name must be "@quantforge/${c.folder}" (the folder name with the scope).`);
  if (typeof m.version !== "string" || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(m.version)) fail("version", `version must be a semver x.y.z.`);
  if (typeof m.description !== "string" || m.description.trim().length === 0) fail("description", `add a one-line "description".`);
  if (m.license !== "MIT") fail("license", `"license" must be "MIT".`);
  else if (!c.rootLicense && !c.topFiles.some((f) => /^licen[cs]e/i.test(f))) fail("license", `no LICENSE file in the package or at the repository root.`);
  if (m.type !== "module") fail("type", `"type" must be "module" (ESM only).`);
  if (m.sideEffects !== false) fail("sideEffects", `"sideEffects" must be false (packages never register anything on import).`);
  if (m.engines?.node !== c.nodeEngine) fail("engines", `"engines" must be { "node": "${c.nodeEngine}" } like the root package.json.`);
  const ex = m.exports;
  if (typeof ex !== "object" || ex === null || Array.isArray(ex) || !Object.keys(ex).includes(".")) {
    fail("exports", `"exports" must be an object with a "." entry.`);
  } else {
    for (const [k, v] of Object.entries(ex as Record<string, unknown>)) {
      if (k === "./package.json") continue;
      checkExportEntry(k, v, fail);
    }
    const dotTypes = ((ex as Record<string, Record<string, unknown>>)["."] ?? {}).types;
    if (m.types !== dotTypes) fail("types", `"types" must equal exports["."].types (${String(dotTypes)}).`);
  }
  const files = m.files ?? [];
  if (!files.includes("dist")) fail("files", `"files" must include "dist".`);
  if (!files.some((f) => f === "!dist/**/*.test.*")) fail("files", `"files" must exclude compiled tests: add "!dist/**/*.test.*".`);
  if (!files.includes("!dist/.tsbuildinfo")) fail("files", `"files" must exclude the build info: add "!dist/.tsbuildinfo".`);
  for (const f of files) if (/^(\.\/)?src(\/|$)/.test(f)) fail("files", `"files" must not ship sources ("${f}").`);
  if (!c.topFiles.includes("README.md")) fail("readme", `add a README.md (What is this? / Install / Use / API / Options / Conformance / Compatibility / License).`);
  if (pkg.startsWith("@") && m.publishConfig?.access !== "public") fail("publish-access", `scoped packages are restricted on npm by default: add "publishConfig": { "access": "public" }.`);
  if (PLUGIN_NAME_RE.test(pkg)) {
    if (m.peerDependencies?.["@quantforge/core"] !== "workspace:^") fail("plugin-peer", `plugins take @quantforge/core as a peer: "peerDependencies": { "@quantforge/core": "workspace:^" }.`);
    if (m.devDependencies?.["@quantforge/core"] !== "workspace:*") fail("plugin-peer", `plugins need @quantforge/core for their own tests: "devDependencies": { "@quantforge/core": "workspace:*" }.`);
    if (m.dependencies?.["@quantforge/core"] !== undefined) fail("plugin-peer", `@quantforge/core must not be a dependency of a plugin (two copies of core); keep it a peer.`);
  }
  for (const field of ["dependencies", "peerDependencies"] as const) {
    for (const [dep, range] of Object.entries(m[field] ?? {})) {
      if (range.startsWith("workspace:") && range !== "workspace:^") fail("workspace-range", `${field}["${dep}"] is "${range}": use "workspace:^" so the published range is ^x.y.z.`);
      if (c.privatePackages.has(dep)) fail("private-dependency", `${field}["${dep}"] is a private workspace package and cannot be installed from npm.`);
    }
  }
  return out;
}

/**
 * Checks every non-private package in `<root>/packages/*` and returns all problems (empty when
 * every package may be published). Private packages are skipped.
 */
export function checkWorkspacePackages(root: string): { checked: string[]; problems: PackageProblem[] } {
  const read = (p: string) => JSON.parse(readFileSync(p, "utf8")) as Manifest & { workspaces?: unknown };
  const rootPkg = read(join(root, "package.json"));
  const manifests = new Map<string, { dir: string; m: Manifest }>();
  const privatePackages = new Set<string>();
  for (const folder of ["packages", "experiments", "apps", "tooling", "examples"]) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) {
      const p = join(base, d, "package.json");
      if (!existsSync(p)) continue;
      const m = read(p);
      if (m.private) privatePackages.add(m.name ?? d);
      else if (folder === "packages") manifests.set(d, { dir: join(base, d), m });
    }
  }
  const rootLicense = readdirSync(root).some((f) => /^licen[cs]e/i.test(f));
  const problems: PackageProblem[] = [];
  for (const [folder, { dir, m }] of [...manifests].sort(([a], [b]) => a.localeCompare(b))) {
    problems.push(...checkManifest(m, { folder: basename(folder), topFiles: readdirSync(dir), rootLicense, nodeEngine: rootPkg.engines?.node ?? ">=20.19", privatePackages }));
  }
  return { checked: [...manifests.values()].map((x) => x.m.name ?? x.dir).sort(), problems };
}
