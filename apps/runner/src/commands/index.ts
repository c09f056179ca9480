import type { Command } from "commander";
import type { Runtime } from "../runtime.js";
/** A CLI command module: `register` adds its subcommand to the program. */
export interface CommandModule {
  register(program: Command, rt: Runtime): void;
}

/** A command module and the top-level command name it registers (or adds a subcommand to). */
export interface CommandLoader {
  readonly name: string;
  readonly load: () => Promise<CommandModule>;
}

/**
 * Every command, in the order `quantforge --help` lists them. To add a command, create
 * `commands/<name>.ts` exporting `register(program, rt)` and add one line here. Modules are
 * imported on demand: a command module pulls in what its action needs (models, runtimes,
 * charts), and `quantforge list` should not pay for `compare`'s imports (issue 18).
 */
export const commandLoaders: readonly CommandLoader[] = [
  { name: "list", load: () => import("./list.js") },
  { name: "run", load: () => import("./run.js") },
  { name: "compare", load: () => import("./compare.js") },
  { name: "quantize", load: () => import("./quantize.js") },
  { name: "decode", load: () => import("./decode.js") },
  { name: "synth", load: () => import("./synth.js") },
  { name: "demo", load: () => import("./demo.js") },
  { name: "theory", load: () => import("./theory.js") },
  { name: "theory", load: () => import("./theory-support-region.js") },
  { name: "train", load: () => import("./train.js") },
  { name: "recommend-bits", load: () => import("./recommend-bits.js") },
  { name: "experiment", load: () => import("./experiment.js") },
  { name: "prune", load: () => import("./prune.js") },
  { name: "sensitivity", load: () => import("./sensitivity.js") },
  { name: "worker", load: () => import("./worker.js") },
];

/** Global options that take a value (their value is not the command name). */
const VALUE_OPTIONS = new Set(["--plugin"]);

/**
 * The top-level command `argv` (node, script, args…) names, or undefined when it names none
 * (no args, `--help`, `help`, a typo): then every command is loaded, so help and suggestions
 * see them all.
 */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return undefined;
    if (a.startsWith("-")) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return commandLoaders.some((c) => c.name === a) ? a : undefined;
  }
  return undefined;
}

/** Imports the command modules for `name` (all of them when undefined), in help order. */
export async function loadCommands(name?: string): Promise<CommandModule[]> {
  const chosen = name === undefined ? commandLoaders : commandLoaders.filter((c) => c.name === name);
  return Promise.all((chosen.length > 0 ? chosen : commandLoaders).map((c) => c.load()));
}
