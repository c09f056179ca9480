import { join } from "node:path";
import { UsageError } from "../errors.js";
import type { CompareDisplay } from "../compare/display.js";
import type { CompareRunOptions } from "../compare/run-compare.js";
import type { Runtime } from "../runtime.js";
import { queueCells, type QueueCounts } from "./coordinator.js";
import { loadFinished, resumeWrapper, type ResumeCounts } from "./resume.js";
import { parseQueueName, parseQueueUrl } from "./url.js";

/** The compare flags this module reads. */
export interface QueueCompareFlags {
  readonly queue?: string;
  readonly queueName?: string;
  readonly resume?: boolean;
  readonly jobs?: string;
}

/** Run options for `compare --queue`/`--resume`, and the closing note on what they did. */
export interface QueueCompareSetup {
  readonly options: Pick<CompareRunOptions, "remote" | "wrapCell">;
  /** Wraps the display: with a queue every cell is handed over at once, so "started" means "queued". */
  display(d: CompareDisplay): CompareDisplay;
  /** One line on the cells reused, found in the queue and run. */
  note(): string | undefined;
}

/**
 * Builds the queue runner (`--queue`) and the resume wrapper (`--resume`, reading `<out>/results.json`).
 * Loaded only when one of those flags is given.
 */
export async function queueCompareSetup(rt: Runtime, flags: QueueCompareFlags, out: string): Promise<QueueCompareSetup> {
  if (flags.queueName !== undefined && flags.queue === undefined) throw new UsageError("--queue-name names a queue, but --queue is missing. Add --queue redis://host:port.");
  if (flags.queue !== undefined && flags.jobs !== undefined) throw new UsageError("--jobs sets local worker threads; with --queue the cells run on the workers (quantforge worker --concurrency N). Drop --jobs.");
  const target = flags.queue !== undefined ? parseQueueUrl(flags.queue) : undefined;
  const name = parseQueueName(flags.queueName);
  const q: QueueCounts = { enqueued: 0, finishedInQueue: 0, joined: 0, retried: 0 };
  const r: ResumeCounts = { reused: 0, run: 0 };
  const finished = flags.resume ? await loadFinished(out) : undefined;
  return {
    options: {
      ...(target ? { remote: queueCells(target, name, rt.cwd, q) } : {}),
      ...(finished ? { wrapCell: resumeWrapper(finished, r) } : {}),
    },
    display: (d) => (target ? { start() {}, progress() {}, cell: (c, n, t) => d.cell(c, n, t), note: (t) => d.note(t), finish: () => d.finish() } : d),
    note() {
      if (r.reused + r.run + q.enqueued + q.finishedInQueue + q.joined + q.retried === 0) return undefined;
      const parts: string[] = [];
      if (finished) parts.push(`resume: ${r.reused} cell(s) reused from ${join(out, "results.json")}, ${r.run} not finished there`);
      if (target)
        parts.push(`queue "${name}" on ${target.display}: ${q.enqueued} job(s) enqueued, ${q.finishedInQueue} already finished in the queue, ${q.joined} joined while waiting or running${q.retried ? `, ${q.retried} retried` : ""}`);
      return parts.length ? parts.join("; ") : undefined;
    },
  };
}
