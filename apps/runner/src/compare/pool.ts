import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { QuantforgeError, type ErrorCode } from "@quantforge/core";
import type { CompareCellEnv, CompareCellOutcome, CompareCellSpec } from "@quantforge/core/host";
import type { RunMessage, WireError, WorkerInit, WorkerMessage } from "./protocol.js";

/** The error a worker reported, rebuilt with its code so core records the same cell error. */
function fromWire(e: WireError): QuantforgeError {
  return new QuantforgeError(e.code as ErrorCode, e.message, { exitCode: e.exitCode });
}

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  busy: boolean;
  /** The cell in flight: settles the caller's promise. */
  current?: { index: number; resolve: (o: CompareCellOutcome) => void; reject: (e: unknown) => void; progress: CompareCellEnv["progress"] };
}

/** How to start the worker script: the built `worker.js`, or `worker.ts` through tsx from source. */
function workerEntry(init: WorkerInit): { url: URL; init: WorkerInit; execArgv?: string[] } {
  if (!import.meta.url.endsWith(".ts")) return { url: new URL("./worker.js", import.meta.url), init };
  return {
    url: new URL("./worker-dev.mjs", import.meta.url),
    init: { ...init, entry: new URL("./worker.ts", import.meta.url).href, tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) },
    // Workspace packages resolve to their src/ in source mode, as in the tests.
    execArgv: [...process.execArgv.filter((a) => !a.startsWith("--conditions")), "--conditions=@quantforge/source"],
  };
}

/**
 * A fixed-size pool of compare worker threads. Each worker builds its own plugin registry from
 * the built-in list and loads the input once; `run` sends it one cell at a time. A cell whose
 * signal aborts (timeout, Ctrl-C) terminates its worker — the only way to stop a plugin that
 * never yields — and a fresh worker is started for the next cell.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private closed = false;
  /** Set by {@link stop}: no replacement workers are started any more. */
  private stopping = false;
  /** Set when a worker could not start (e.g. the input does not load); every later run fails with it. */
  fatal: QuantforgeError | undefined;

  constructor(
    private readonly size: number,
    private readonly init: WorkerInit,
    private readonly onFatal: (e: QuantforgeError) => void = () => undefined,
  ) {}

  private spawn(): Slot {
    const entry = workerEntry(this.init);
    const worker = new Worker(entry.url, { workerData: entry.init, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
    let markReady!: () => void, failReady!: (e: unknown) => void;
    const ready = new Promise<void>((res, rej) => {
      markReady = res;
      failReady = rej;
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready, busy: false };
    const fail = (e: QuantforgeError) => {
      this.remove(slot);
      failReady(e);
      slot.current?.reject(e);
      slot.current = undefined;
    };
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "ready") return markReady();
      if (m.type === "fatal") {
        const e = fromWire(m.error);
        if (!this.fatal) {
          this.fatal = e;
          this.onFatal(e);
        }
        void worker.terminate();
        return fail(e);
      }
      const cur = slot.current;
      if (!cur || m.index !== cur.index) return;
      if (m.type === "progress") return cur.progress.update(m.task, m.done, m.total);
      slot.current = undefined;
      slot.busy = false;
      if (m.type === "done") cur.resolve(m.outcome);
      else cur.reject(fromWire(m.error));
    });
    worker.on("error", (e) => fail(new QuantforgeError("QF_INTERNAL", `a compare worker crashed: ${e.message}`, { cause: e, exitCode: 1 })));
    worker.on("exit", (code) => {
      if (this.slots.includes(slot)) fail(new QuantforgeError("QF_INTERNAL", `a compare worker exited unexpectedly (code ${code})`, { exitCode: 1 }));
    });
    this.slots.push(slot);
    return slot;
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  /**
   * Starts every worker and waits until each has loaded the input, so start-up does not count
   * against the first cells' time limit. Rejects with the input's error if it does not load.
   */
  async start(): Promise<void> {
    while (this.slots.length < this.size) this.spawn();
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /** Runs `spec` on an idle worker (starting one if fewer than `size` are alive). */
  async run(spec: CompareCellSpec, env: CompareCellEnv): Promise<CompareCellOutcome> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw new QuantforgeError("QF_ABORTED", "the worker pool is closed.", { exitCode: 1 });
    let slot = this.slots.find((s) => !s.busy);
    if (!slot) {
      if (this.slots.length >= this.size) throw new QuantforgeError("QF_INTERNAL", `more cells in flight than the ${this.size} workers (a scheduling bug). Report it.`, { exitCode: 1 });
      slot = this.spawn();
    }
    const s = slot;
    s.busy = true;
    return new Promise<CompareCellOutcome>((resolve, reject) => {
      const onAbort = () => {
        // Stop the plugin for real: the thread goes, a fresh one serves the next cell.
        this.remove(s);
        s.current = undefined;
        void s.worker.terminate();
        // Warm a replacement now, so its start-up overlaps the other cells (not after a Ctrl-C).
        if (!this.closed && !this.fatal && !this.stopping) this.spawn();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the abort reason, unchanged, as fetch and timers reject
        reject(env.signal.reason);
      };
      if (env.signal.aborted) return onAbort();
      env.signal.addEventListener("abort", onAbort, { once: true });
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          env.signal.removeEventListener("abort", onAbort);
          f(v);
        };
      s.current = { index: spec.index, resolve: settle(resolve), reject: settle(reject), progress: env.progress };
      s.ready.then(
        () => {
          if (s.current?.index === spec.index) s.worker.postMessage({ type: "run", spec } satisfies RunMessage);
        },
        () => undefined,
      );
    });
  }

  /** Stops starting replacement workers (the comparison is being cancelled). */
  stop(): void {
    this.stopping = true;
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.slots.splice(0);
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
