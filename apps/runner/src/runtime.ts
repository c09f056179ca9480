import type { Command } from "commander";
import type { DependencyContainer } from "tsyringe";
import type { AnyPlugin, PluginHost } from "@quantforge/core";
import { createHost, type PluginRegistry } from "@quantforge/core/host";
import type { BuiltinPlugin } from "./builtin-plugins.js";
import { registerLoadedPlugins } from "./container.js";
import { importPluginSources, resolvePluginSources, type PluginRequest, type PluginSource } from "./plugin-loader/index.js";

/** Something text can be written to (a process stream, or a buffer in tests). */
export interface TextWriter {
  write(chunk: string): unknown;
}

/** Where the CLI's output goes; `main` takes one so tests can run commands in-process. */
export interface RuntimeIO {
  readonly stdout: TextWriter;
  readonly stderr: TextWriter;
  /** True when stderr is an interactive terminal (progress is drawn only then). */
  readonly isTTY: boolean;
  /** Width stdout tables must fit (see `outputWidth`); undefined = no limit. */
  readonly columns?: number;
}

/**
 * What every command gets: the plugin registry, the root DI container (per-run child containers
 * are made from it), the output writers and the global flags. One instance per `main` call, so
 * in-process runs never share state.
 */
export class Runtime {
  /** Print stack traces and error causes (`--verbose`). */
  verbose = false;

  /** The working directory: `--plugin` paths and `--discover` start here. */
  cwd: string = process.cwd();

  constructor(
    /** The root container with every plugin registered on it. */
    readonly container: DependencyContainer,
    /** The registry built from the registered plugins. */
    readonly registry: PluginRegistry,
    /** Output writers and terminal detection. */
    readonly io: RuntimeIO,
    /** Built-in plugins still to register: {@link loadBuiltins} imports them when a command needs them. */
    builtins: readonly BuiltinPlugin[] = [],
  ) {
    this.pendingBuiltins = [...builtins];
  }

  /** Built-in plugins not registered yet (not imported yet), in registration order. */
  private pendingBuiltins: BuiltinPlugin[];
  /** Descriptors this runtime registered from {@link BuiltinPlugin} entries (worker threads can rebuild them). */
  private readonly fromBuiltins = new WeakSet<AnyPlugin>();
  /** Which built-ins a command needs, by its commander command (default: all). */
  private readonly needs = new WeakMap<Command, (opts: Record<string, unknown>) => ((p: BuiltinPlugin) => boolean) | undefined>();

  /** The built-in plugins not registered yet: `list` shows them from their metadata. */
  get unloadedBuiltins(): readonly BuiltinPlugin[] {
    return this.pendingBuiltins;
  }

  /** True if `p` was registered from the runner's built-in list (not an in-process mock). */
  isBuiltin(p: AnyPlugin): boolean {
    return this.fromBuiltins.has(p);
  }

  /**
   * Declares which built-in plugins `cmd`'s action needs, from its parsed options: a filter, or
   * undefined for all of them. Commands that declare nothing get all of them.
   */
  builtinsFor(cmd: Command, need: (opts: Record<string, unknown>) => ((p: BuiltinPlugin) => boolean) | undefined): void {
    this.needs.set(cmd, need);
  }

  /** The filter `cmd` declared for `opts` (undefined: all built-ins). */
  builtinsNeededBy(cmd: Command, opts: Record<string, unknown>): ((p: BuiltinPlugin) => boolean) | undefined {
    return this.needs.get(cmd)?.(opts);
  }

  /**
   * Imports and registers the pending built-in plugins `want` selects (all when undefined), in
   * their list order, before any plugin loaded with `--plugin`: a loaded plugin that takes a
   * built-in id then fails as it always did (`QF_DUPLICATE_PLUGIN`).
   */
  async loadBuiltins(want?: (p: BuiltinPlugin) => boolean): Promise<void> {
    const chosen = want ? this.pendingBuiltins.filter(want) : this.pendingBuiltins;
    if (chosen.length === 0) return;
    this.pendingBuiltins = this.pendingBuiltins.filter((p) => !chosen.includes(p));
    const descriptors = await Promise.all(chosen.map((p) => p.load()));
    for (const d of descriptors) {
      this.registry.add(d);
      this.fromBuiltins.add(d);
    }
  }

  /**
   * The plugins loaded on top of the composition root's list, in load order. Plain data: compare
   * hands it to its worker threads, which import the same modules again.
   */
  readonly pluginSources: PluginSource[] = [];

  /**
   * Loads plugins named by `requests` (and, with `discover`, every installed
   * `quantforge-plugin-*` package from that directory upwards) and registers them on the root
   * container and the registry. Already loaded modules are skipped, so commands may call it again
   * with their config file's `plugins`.
   *
   * @throws {PluginLoadError} `QF_PLUGIN_LOAD`: not installed, missing file, import failed.
   * @throws {PluginExportError} `QF_PLUGIN_EXPORT`: no usable default export.
   * @throws {IncompatiblePluginError} `QF_PLUGIN_INCOMPATIBLE`: built for another core.
   * @throws {InvalidPluginError} `QF_INVALID_PLUGIN`: a malformed descriptor.
   * @throws {PluginConflictError} `QF_DUPLICATE_PLUGIN`: a kind and id already taken.
   */
  async loadPlugins(requests: readonly PluginRequest[], o: { discover?: { fromDir: string } } = {}): Promise<readonly PluginSource[]> {
    const sources = resolvePluginSources(requests, { ...o, seen: new Set(this.pluginSources.map((s) => s.entry)) });
    if (sources.length === 0) return [];
    registerLoadedPlugins(this.registry, await importPluginSources(sources));
    this.pluginSources.push(...sources);
    return sources;
  }

  /**
   * What plugins created outside a {@link RunJob} get in `create(options, host)`: the registry
   * (built-in and loaded plugins) and the ids of the coders the command writes with.
   */
  host(coders: readonly string[] = []): PluginHost {
    return createHost(this.registry, { coders });
  }

  /** True when stderr is a terminal. */
  get isTTY(): boolean {
    return this.io.isTTY;
  }

  /** Width stdout tables must fit, or undefined for no limit (piped output). */
  get columns(): number | undefined {
    return this.io.columns;
  }

  /** Writes to stdout (results only: tables, JSON). */
  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** Writes to stderr (errors, diagnostics, progress). */
  err(text: string): void {
    this.io.stderr.write(text);
  }
}
