import { statSync } from "node:fs";
import { resolve } from "node:path";
import { IoError, printable } from "@quantforge/core";
import { UsageError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { CellExecutor, RetryableCellError, type CellJobResult } from "./executor.js";
import { parseCellJob } from "./job.js";
import { connectionOptions, parseQueueName, parseQueueUrl, probeRedis } from "./url.js";

/** Flags of `quantforge worker`. */
export interface WorkerFlags {
  queue?: string;
  queueName?: string;
  concurrency?: string;
  dataRoot?: string;
  stallSeconds?: string;
  quiet?: boolean;
}

/** Attempts of a cell whose failure may be transient (I/O, a crashed thread); see {@link CellExecutor.run}. */
export const CELL_ATTEMPTS = 3;

function intFlag(name: string, raw: string | undefined, lo: number, hi: number, dflt: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < lo || n > hi) throw new UsageError(`--${name} "${printable(raw)}" is not an integer in ${lo}…${hi}.`);
  return n;
}

/** The data root: an existing directory (default: the working directory). */
function dataRootOf(rt: Runtime, raw: string | undefined): string {
  const root = resolve(rt.cwd, raw ?? ".");
  let dir = false;
  try {
    dir = statSync(root).isDirectory();
  } catch {
    /* reported below */
  }
  if (!dir) throw new IoError(`--data-root "${printable(root)}" is not a directory. Pass the folder the compare inputs are under (the coordinator's working directory, or its mount on this host).`);
  return root;
}

/**
 * `quantforge worker`: takes cells from the BullMQ queue on `--queue` and runs them (see
 * {@link CellExecutor}) until SIGINT/SIGTERM, which finishes the running cells and stops; a second
 * signal exits at once (the queue gives that worker's cells to another worker once their locks
 * expire). BullMQ is imported here, lazily.
 */
export async function workerCommand(rt: Runtime, flags: WorkerFlags): Promise<void> {
  if (flags.queue === undefined) throw new UsageError("--queue is missing. Pass the Redis the coordinator uses: --queue redis://host:port[/db].");
  const target = parseQueueUrl(flags.queue);
  const name = parseQueueName(flags.queueName);
  const concurrency = intFlag("concurrency", flags.concurrency, 1, 64, 1);
  // A lost worker's cell is re-run after its lock expires (no renewal) plus one stalled check.
  const stall = intFlag("stall-seconds", flags.stallSeconds, 1, 3600, 30);
  const root = dataRootOf(rt, flags.dataRoot);
  await probeRedis(target);
  const { Worker } = await import("bullmq");
  const exec = new CellExecutor(rt, root, concurrency);
  const log = (s: string) => {
    if (!flags.quiet) rt.err(`${s}\n`);
  };
  const worker = new Worker(
    name,
    async (job): Promise<CellJobResult> => {
      const cell = parseCellJob(job.data);
      log(`running #${cell.spec.index} ${cell.spec.label} + ${cell.spec.coder} (job ${String(job.id).slice(0, 12)}, attempt ${job.attemptsMade + 1})`);
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        const r = await exec.run(cell, last);
        log(`${r.status === "ok" ? "done" : `failed ${r.error.code}`} #${cell.spec.index} (job ${String(job.id).slice(0, 12)})`);
        return r;
      } catch (e) {
        if (e instanceof RetryableCellError) log(`retry #${cell.spec.index}: ${e.message}`);
        throw e;
      }
    },
    {
      connection: connectionOptions(target),
      concurrency,
      autorun: false,
      lockDuration: stall * 1000,
      stalledInterval: Math.max(500, (stall * 1000) / 2),
      maxStalledCount: 2,
    },
  );
  // When Redis is gone, BullMQ's graceful close waits on ioredis reconnecting and never ends;
  // nothing a running cell produces could be stored then anyway, and its lock expires so another
  // worker re-runs it. So a stop signal within two lock periods of a queue error quits at once.
  let lastQueueError = -Infinity;
  worker.on("error", (e) => {
    lastQueueError = Date.now();
    log(`queue error: ${printable(e.message)}`);
  });
  const closed = new Promise<void>((res) => worker.once("closed", () => res()));
  let stopping = false;
  const on = (signal: "SIGINT" | "SIGTERM") => () => {
    if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
    stopping = true;
    if (Date.now() - lastQueueError < 2 * stall * 1000) {
      log(`stopping (${signal}): the queue is unreachable, quitting now (its locks expire and another worker re-runs the cells)`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    log(`stopping (${signal}): finishing the running cells (${signal} again to quit at once)`);
    void worker.close();
  };
  const onInt = on("SIGINT"),
    onTerm = on("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    log(`worker: queue "${name}" on ${target.display}, ${concurrency} at a time, data root ${printable(root)}`);
    void worker.run().catch((e: unknown) => {
      log(`queue error: ${printable((e as Error).message)}`);
      void worker.close();
    });
    await closed;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    await exec.close();
  }
  log("worker: stopped");
}
