import type { Command } from "commander";
import type { Runtime } from "../runtime.js";
import * as compare from "./compare.js";
import * as decode from "./decode.js";
import * as demo from "./demo.js";
import * as experiment from "./experiment.js";
import * as list from "./list.js";
import * as prune from "./prune.js";
import * as quantize from "./quantize.js";
import * as recommendBits from "./recommend-bits.js";
import * as run from "./run.js";
import * as sensitivity from "./sensitivity.js";
import * as synth from "./synth.js";
import * as theory from "./theory.js";
import * as theorySupportRegion from "./theory-support-region.js";
import * as train from "./train.js";
import * as worker from "./worker.js";

/** A CLI command module: `register` adds its subcommand to the program. */
export interface CommandModule {
  register(program: Command, rt: Runtime): void;
}

/**
 * Every command, in the order `quantforge --help` lists them. To add a command, create
 * `commands/<name>.ts` exporting `register(program, rt)` and add one line here.
 */
export const commands: readonly CommandModule[] = [
  list,
  run,
  compare,
  quantize,
  decode,
  synth,
  demo,
  theory,
  theorySupportRegion,
  train,
  recommendBits,
  experiment,
  prune,
  sensitivity,
  worker,
];

/** Registers every command on `program`. */
export function registerCommands(program: Command, rt: Runtime): void {
  for (const c of commands) c.register(program, rt);
}
