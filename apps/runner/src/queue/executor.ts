import { TimeoutError, isQuantforgeError } from "@quantforge/core";
import { SILENT_PROGRESS, type CompareCellOutcome, type CompareCellSpec } from "@quantforge/core/host";
import { toQuantforgeError } from "../errors.js";
import { WorkerPool } from "../compare/pool.js";
import type { WorkerInit } from "../compare/protocol.js";
import type { Runtime } from "../runtime.js";
import { canonicalJson } from "./cell-hash.js";
import { checkJobPlugins, localInput, verifyInput } from "./inputs.js";
import type { CellJob } from "./job.js";

/** What a worker stores as a job's return value: the cell's outcome or its error (plain JSON). */
export type CellJobResult = { readonly status: "ok"; readonly outcome: CompareCellOutcome } | { readonly status: "failed"; readonly error: { readonly code: string; readonly message: string } };

/** A failure worth another attempt (BullMQ retries it with back-off); the last attempt records it. */
export class RetryableCellError extends Error {
  constructor(readonly error: { code: string; message: string }) {
    super(`${error.code}: ${error.message}`);
  }
}

/** `rtn [bits=4] + fixed`, as core's compare() names a cell in its timeout message. */
function describe(spec: CompareCellSpec): string {
  const point = Object.entries(spec.sweep)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(",");
  return `${spec.label}${point ? ` [${point}]` : ""} + ${spec.coder}`;
}

const errorOf = (e: unknown) => ({ code: isQuantforgeError(e) ? (e as { code: string }).code : "QF_INTERNAL", message: e instanceof Error ? e.message : String(e) });

interface PoolEntry {
  readonly pool: WorkerPool;
  readonly started: Promise<void>;
  busy: number;
}

/**
 * Runs queued cells on this host exactly as local `compare --jobs N` does: each distinct input
 * (with its selection, evaluators and seed) gets a pool of worker threads that loads it once, and
 * every cell runs in its own DI child container there. Before the first cell of an input the
 * job is checked: plugins loaded here, paths under the data root, input SHA-256 as sent.
 */
export class CellExecutor {
  private readonly pools = new Map<string, PoolEntry>();

  constructor(
    private readonly rt: Runtime,
    private readonly dataRoot: string,
    private readonly threads: number,
  ) {}

  private async poolFor(job: CellJob): Promise<PoolEntry> {
    const key = canonicalJson({ input: job.input, files: job.files, select: job.select, evaluators: job.evaluators, seed: job.seed });
    const have = this.pools.get(key);
    if (have) return have;
    const input = await localInput(job, this.dataRoot);
    await verifyInput(job, input);
    // Another input arrived: idle pools of earlier ones go (each holds its input in memory).
    for (const [k, e] of this.pools)
      if (e.busy === 0) {
        this.pools.delete(k);
        void e.pool.close();
      }
    const init: WorkerInit = {
      input,
      select: job.select,
      evaluators: job.evaluators,
      seed: job.seed,
      ...(this.rt.pluginSources.length ? { plugins: this.rt.pluginSources } : {}),
    };
    const pool = new WorkerPool(this.threads, init);
    const entry: PoolEntry = {
      pool,
      started: pool.start().catch(async (e: unknown) => {
        this.pools.delete(key);
        await pool.close();
        throw pool.fatal ?? e;
      }),
      busy: 0,
    };
    this.pools.set(key, entry);
    return entry;
  }

  /**
   * Runs one job. A cell error (the plugin threw, the time limit passed) and every input or
   * plugin error with exit code 2 (deterministic) are returned as `failed`; other failures
   * (I/O, crashes) throw {@link RetryableCellError} unless `lastAttempt`.
   */
  async run(job: CellJob, lastAttempt: boolean): Promise<CellJobResult> {
    let entry: PoolEntry;
    try {
      checkJobPlugins(this.rt.registry, job);
      entry = await this.poolFor(job);
      await entry.started;
    } catch (e) {
      const q = toQuantforgeError(e);
      const error = errorOf(isQuantforgeError(e) ? e : q);
      if (q.exitCode === 2 || lastAttempt) return { status: "failed", error };
      throw new RetryableCellError(error);
    }
    entry.busy++;
    const ac = new AbortController();
    const limit = job.timeout;
    const timeoutError = () => new TimeoutError(`cell ${job.spec.index} (${describe(job.spec)})`, limit ?? 0);
    const timer = limit !== null ? setTimeout(() => ac.abort(timeoutError()), limit * 1000) : undefined;
    const t0 = performance.now();
    try {
      const outcome = await entry.pool.run(job.spec, { seed: job.seed, signal: ac.signal, progress: SILENT_PROGRESS });
      // As core's compare(): a cell that returns after its limit still counts as timed out.
      if (limit !== null && performance.now() - t0 > limit * 1000) return { status: "failed", error: errorOf(timeoutError()) };
      return { status: "ok", outcome };
    } catch (e) {
      return { status: "failed", error: errorOf(e) };
    } finally {
      clearTimeout(timer);
      entry.busy--;
    }
  }

  /** Terminates every worker thread. */
  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((e) => e.pool.close()));
  }
}
