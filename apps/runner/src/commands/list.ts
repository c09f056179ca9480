import type { Command } from "commander";
import type { AnyPlugin, PluginKind } from "@quantforge/core";
import { printJson, renderTable } from "../output.js";
import type { Runtime } from "../runtime.js";

/** One entry of `quantforge list --json`. */
export interface ListEntry {
  readonly id: string;
  readonly version: string;
  readonly description: string;
  /** `builtin`, a package name or a file path. */
  readonly source: string;
  /** Loaded plugins only: the absolute path of the package directory or module file. */
  readonly path?: string;
}

/** The document `quantforge list --json` prints. */
export interface ListDocument {
  readonly quantizers: readonly ListEntry[];
  readonly coders: readonly ListEntry[];
  readonly evaluators: readonly ListEntry[];
}

/**
 * Builds the plugin listing from the runtime's registry and the built-ins it has not imported
 * (their metadata; sorted by id within each kind, as the registry sorts).
 */
export function listPlugins(rt: Runtime): ListDocument {
  const of = (kind: PluginKind): ListEntry[] =>
    [
      ...rt.registry.list(kind).map((p: AnyPlugin): ListEntry => {
        const o = rt.registry.origin(p);
        return { id: p.id, version: p.version, description: p.description, source: o?.source ?? "builtin", ...(o?.path !== undefined ? { path: o.path } : {}) };
      }),
      ...rt.unloadedBuiltins.filter((p) => p.kind === kind).map((p): ListEntry => ({ id: p.id, version: p.version, description: p.description, source: "builtin" })),
    ].sort((a, b) => a.id.localeCompare(b.id));
  return { quantizers: of("quantizer"), coders: of("coder"), evaluators: of("evaluator") };
}

/** `quantforge list [--json]`: every registered quantizer, coder and evaluator, with where it came from. */
export function register(program: Command, rt: Runtime): void {
  const cmd = program
    .command("list")
    .description("list the registered quantizers, coders and evaluators")
    .option("--json", "print one JSON object instead of tables")
    .action((opts: { json?: boolean }) => {
      const doc = listPlugins(rt);
      if (opts.json) return printJson(rt, doc);
      for (const [title, entries] of [
        ["quantizers", doc.quantizers],
        ["coders", doc.coders],
        ["evaluators", doc.evaluators],
      ] as const) {
        rt.out(`${title}:\n`);
        rt.out(
          renderTable(
            ["id", "version", "description", "source"],
            entries.map((e) => [e.id, e.version, e.description, e.source]),
            ["left", "left", "left", "left"],
            rt.columns,
          ),
        );
      }
    });
  // The listing needs only the built-ins' metadata: no plugin package is imported.
  rt.builtinsFor(cmd, () => () => false);
}
