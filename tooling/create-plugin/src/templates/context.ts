import type { PluginNames } from "../names.js";

/** Everything a template needs to render one generated package. */
export interface TemplateContext {
  readonly names: PluginNames;
  /** The npm package name (`@quantforge/quantizer-foo` or `quantforge-plugin-foo`). */
  readonly packageName: string;
  /** One line for package.json and `quantforge list`. */
  readonly description: string;
  /** `workspace`: inside the quantforge monorepo; `standalone`: a package of its own. */
  readonly mode: "workspace" | "standalone";
  /** Workspace mode: the path from the package directory to the repository root (`../..`). */
  readonly rootRel: string;
  /** Add `export default <factory>()` so `quantforge --plugin`/`--discover` can load the package. */
  readonly loadable: boolean;
  /** `@quantforge/core` ranges: `peer` as published, `dev` for the package's own tests and build. */
  readonly core: { readonly peer: string; readonly dev: string };
  /** Dev-dependency versions (vitest, fast-check, …). */
  readonly tools: Readonly<Record<string, string>>;
}

/** A generated file: its path relative to the package directory (or the repo root for `root: true`). */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
  /** Written relative to the repository root instead (the workspace changeset). */
  readonly root?: boolean;
}
