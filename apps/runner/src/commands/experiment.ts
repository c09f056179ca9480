import type { Command } from "commander";
import { EXPERIMENTS } from "../experiments/index.js";
import { emitResult } from "../output.js";
import type { Runtime } from "../runtime.js";

/**
 * `quantforge experiment <name> …`: the one dispatcher for every paper's experiment. Each entry
 * of {@link EXPERIMENTS} declares its flags and turns them into options for its
 * `experiments/<name>` package's `run(options, host)`; this command writes what that returns as
 * JSON and as Markdown rendered by `@quantforge/report` (`--out`, `--json`, or Markdown on stdout).
 */
export function register(program: Command, rt: Runtime): void {
  const parent = program.command("experiment").description("reproduce a paper's experiment on a reference model (Markdown + JSON)");
  for (const e of EXPERIMENTS) {
    e.flags(parent.command(e.name).description(e.description)).action(async (flags: { readonly out?: string; readonly json?: boolean }) => {
      const { file, data, markdown } = await e.execute(flags, rt);
      await emitResult(rt, flags, file, data, markdown);
    });
  }
}
