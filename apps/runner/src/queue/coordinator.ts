import { QuantforgeError, printable, type ErrorCode } from "@quantforge/core";
import type { CompareCellRunner } from "@quantforge/core/host";
import type { RemoteCells } from "../compare/run-compare.js";
import type { CellJobResult } from "./executor.js";
import { cellJobBuilder } from "./job.js";
import { CELL_ATTEMPTS } from "./worker-cli.js";
import { QueueError, connectionOptions, probeRedis, type QueueTarget } from "./url.js";

/** What the coordinator did with the cells it ran through the queue. */
export interface QueueCounts {
  /** Jobs added to the queue. */
  enqueued: number;
  /** Cells already finished in the queue (an earlier or a concurrent coordinator's job). */
  finishedInQueue: number;
  /** Cells waiting or running in the queue already, joined instead of added again. */
  joined: number;
  /** Jobs the queue had given up on (stalled too often), retried. */
  retried: number;
}

/** How long finished jobs stay in Redis for `--resume` and repeated runs (7 days). */
const KEEP_SECONDS = 7 * 24 * 3600;

/**
 * `compare --queue`: every cell becomes one BullMQ job whose id is the cell hash, so a cell
 * already in the queue (waiting, running or finished, from this or an earlier run) is joined, not
 * computed again. Workers return the outcome (or the cell's error) as the job's value; a job the
 * queue gave up on is a failed cell with `QF_QUEUE`.
 */
export function queueCells(target: QueueTarget, name: string, cwd: string, counts: QueueCounts): RemoteCells {
  return {
    async open(ctx) {
      const build = cellJobBuilder({ ...ctx, cwd });
      await probeRedis(target);
      const { Queue, QueueEvents } = await import("bullmq");
      const connection = connectionOptions(target);
      const queue = new Queue(name, { connection });
      const events = new QueueEvents(name, { connection });
      // One waiter per cell listens on the queue and the events: no leak, just many cells.
      queue.setMaxListeners(0);
      events.setMaxListeners(0);
      queue.on("error", () => undefined);
      events.on("error", () => undefined);
      try {
        await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      } catch (e) {
        await Promise.allSettled([queue.close(), events.close()]);
        throw new QueueError(`cannot use the queue "${name}" on ${target.display}: ${printable((e as Error).message)}. Check Redis.`, e);
      }
      const run: CompareCellRunner = async (spec) => {
        const data = build(spec);
        let job = await queue.getJob(data.hash);
        if (job) {
          const state = await job.getState();
          if (state === "completed") counts.finishedInQueue++;
          else if (state === "failed") {
            await job.retry("failed");
            counts.retried++;
          } else counts.joined++;
        } else {
          job = await queue.add("cell", data, {
            jobId: data.hash,
            attempts: CELL_ATTEMPTS,
            backoff: { type: "exponential", delay: 1000 },
            removeOnComplete: { age: KEEP_SECONDS },
            removeOnFail: { age: KEEP_SECONDS },
          });
          counts.enqueued++;
        }
        let value: CellJobResult;
        try {
          value = (await job.waitUntilFinished(events)) as CellJobResult;
        } catch (e) {
          throw new QueueError(`the queue gave up on this cell (job ${data.hash.slice(0, 12)}): ${printable((e as Error).message)}. Check the workers' logs; run again to retry it.`, e);
        }
        if (value?.status === "ok") return value.outcome;
        if (value?.status === "failed") throw new QuantforgeError(value.error.code as ErrorCode, value.error.message, { exitCode: 1 });
        throw new QueueError(`job ${data.hash.slice(0, 12)} returned no cell result. Is another program using the queue "${name}"?`);
      };
      return {
        run,
        close: async () => {
          await Promise.allSettled([events.close(), queue.close()]);
        },
      };
    },
  };
}
