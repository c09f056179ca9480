import "reflect-metadata";
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import type { AnyPlugin } from "@quantforge/core";
import { commandNameOf, loadCommands, type CommandModule } from "./commands/index.js";
import { createRootContainer } from "./container.js";
import { UsageError, reportError } from "./errors.js";
import { collect } from "./options.js";
import { BUILTIN_PLUGINS } from "./builtin-plugins.js";
import { Runtime, type RuntimeIO } from "./runtime.js";
import { outputWidth } from "./table-fit.js";

/** Options of {@link main}: output writers (default: the process streams) and the plugin list. */
export interface MainOptions extends Partial<RuntimeIO> {
  /** Plugins to register instead of the built-in ones ({@link BUILTIN_PLUGINS}; tests use mocks). */
  readonly plugins?: readonly AnyPlugin[];
  /** Working directory for `--plugin` paths and `--discover` (default: `process.cwd()`). */
  readonly cwd?: string;
}

/** The global plugin-loading flags, valid before or after any command. */
interface PluginFlags {
  readonly plugin?: readonly string[];
  readonly discover?: boolean;
}

/** The runner's own version, read from its package.json (works from `src/` and `dist/`). */
export function runnerVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * Builds the commander program with `modules` registered on it (from {@link loadCommands}:
 * every command, or only the one the command line names).
 */
export function buildProgram(rt: Runtime, modules: readonly CommandModule[]): Command {
  const program = new Command("quantforge")
    .description("Pluggable post-training quantization of neural-network weights: quantize, code, evaluate.")
    .version(runnerVersion(), "-V, --version")
    .option("--verbose", "print stack traces and causes on errors")
    .option("--plugin <spec>", "load a plugin: a package name (quantforge-plugin-foo) or a path to its module or package directory; repeatable", collect, [])
    .option("--discover", "load every installed quantforge-plugin-* and @scope/quantforge-plugin-* package (node_modules from the working directory upwards)")
    .showSuggestionAfterError(true)
    // Set before the commands are added: subcommands inherit both settings.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.out(s),
      writeErr: (s) => rt.err(s),
      // Our error handler prints the one-line `error QF_USAGE: …` instead.
      outputError: () => undefined,
    });
  program.hook("preAction", async (cmd, action) => {
    if (cmd.optsWithGlobals().verbose) rt.verbose = true;
    // Third-party plugins are loaded before any command runs, so every command sees them.
    const g = action.optsWithGlobals<PluginFlags>();
    // Built-ins first, only those the command needs (all of them when plugins are loaded: a
    // loaded plugin must meet every built-in id it might take).
    const loading = (g.plugin ?? []).length > 0 || g.discover === true;
    await rt.loadBuiltins(loading ? undefined : rt.builtinsNeededBy(action, action.opts()));
    await rt.loadPlugins([{ specs: g.plugin ?? [], baseDir: rt.cwd, via: "flag" }], g.discover ? { discover: { fromDir: rt.cwd } } : {});
  });
  for (const c of modules) c.register(program, rt);
  return program;
}

/**
 * Runs the CLI on `argv` (as in `process.argv`: node, script, args…) and returns the exit code:
 * 0 on success, 2 for usage/input errors, 1 for runtime failures. Never calls `process.exit`,
 * so it can run in-process with captured output.
 */
export async function main(argv: readonly string[], opts: MainOptions = {}): Promise<number> {
  // Captured output (tests, embedders) has no terminal: no width limit unless one is given.
  const columns = opts.columns ?? (opts.stdout ? undefined : outputWidth(process.stdout, process.env));
  const io: RuntimeIO = {
    stdout: opts.stdout ?? process.stdout,
    stderr: opts.stderr ?? process.stderr,
    isTTY: opts.isTTY ?? Boolean(process.stderr.isTTY),
    ...(columns !== undefined ? { columns } : {}),
  };
  // Known before parsing, so even parse errors honour it.
  const early = { verbose: argv.slice(2).includes("--verbose"), err: (s: string) => void io.stderr.write(s) };
  let rt: Runtime | undefined;
  try {
    // The built-in plugins are imported by the preAction hook, as far as the command needs them.
    const { root, registry } = createRootContainer(opts.plugins ?? []);
    rt = new Runtime(root, registry, io, opts.plugins ? [] : BUILTIN_PLUGINS);
    rt.verbose = early.verbose;
    if (opts.cwd !== undefined) rt.cwd = opts.cwd;
    const program = buildProgram(rt, await loadCommands(commandNameOf(argv)));
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      throw new UsageError('no command given. Run "quantforge --help" for the commands.');
    }
    await program.parseAsync([...argv], { from: "node" });
    return 0;
  } catch (e) {
    // --help and --version end parsing through exitOverride with exit code 0.
    if (e instanceof CommanderError && (e.code === "commander.helpDisplayed" || e.code === "commander.version" || (e.code === "commander.help" && e.exitCode === 0))) return 0;
    return reportError(rt ?? early, e);
  }
}
