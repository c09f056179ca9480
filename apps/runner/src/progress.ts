import type { ProgressReporter } from "@quantforge/core";
import type { Runtime } from "./runtime.js";

/** A progress reporter the runner can also finish (clears the line). */
export interface CliProgress extends ProgressReporter {
  /** Clears the progress line; call it before printing results. */
  done(): void;
}

const SILENT: CliProgress = Object.freeze({ update() {}, done() {} });

/**
 * Progress for long work: one self-overwriting line on stderr, drawn only when stderr is a
 * terminal and the output is not JSON (machines and logs get no control characters). Redraws
 * only when the whole-percent value or the task changes, so hot loops can call `update` freely.
 */
export function createProgress(rt: Pick<Runtime, "isTTY" | "err">, opts: { json?: boolean } = {}): CliProgress {
  if (!rt.isTTY || opts.json) return SILENT;
  let last = "";
  let drawn = false;
  return {
    update(task, done, total) {
      const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
      const key = `${task}\u0000${pct}`;
      if (key === last) return;
      last = key;
      const line = `${task} ${pct}% (${done}/${total})`;
      drawn = true;
      rt.err(`\r\x1b[2K${line}`);
    },
    done() {
      if (drawn) rt.err("\r\x1b[2K");
      drawn = false;
      last = "";
    },
  };
}
