import { Worker } from "node:worker_threads";
import { QuantforgeError, type ErrorCode } from "@quantforge/core";
import type { WireError } from "../compare/protocol.js";
import { wireError } from "../errors-base.js";
import type { PluginSource } from "../plugin-loader/index.js";
import { discardPrestarted, takePrestarted, workerEntry } from "./entry.js";
import type { DigestJob, QuantizedOne, TensorJob, TensorWorkerMessage, WireTensor } from "./protocol.js";

type JobBody = TensorJob | DigestJob extends infer J ? (J extends TensorJob | DigestJob ? Omit<J, "id"> : never) : never;
type Reply = { readonly type: "quantized"; readonly result: QuantizedOne } | { readonly type: "digested"; readonly sha256: string };

function fromWire(e: WireError): QuantforgeError {
  return new QuantforgeError(e.code as ErrorCode, e.message, { exitCode: e.exitCode });
}

/** A tensor job's result (a digest reply to one is a bug). */
function quantized(r: Reply): QuantizedOne {
  if (r.type !== "quantized") throw new QuantforgeError("QF_INTERNAL", "a tensor worker answered a tensor job with a digest.", { exitCode: 1 });
  return r.result;
}

interface Slot {
  /** Undefined: the inline slot, this thread itself (see {@link TensorPool}'s `inline`). */
  readonly worker?: Worker;
  /** Jobs posted and not yet answered, oldest first (a worker answers in order). */
  readonly posted: { id: number; resolve: (r: Reply) => void; reject: (e: unknown) => void }[];
}

/**
 * A fixed number of tensor threads (`--threads`): worker threads, started when constructed so
 * their start-up overlaps reading the weights, and with `inline` this thread as one of them. Jobs
 * queue in submission order and go to the first idle worker, then to this thread; each job's
 * promise settles with its own result, so callers that await results in input order get
 * deterministic output whatever thread finished first. Workers are unref'd: a pool never keeps
 * the process alive; {@link close} terminates them.
 *
 * `inline` is for a caller that only waits while the jobs run (`run`): a thread of its own would
 * leave this one idle, and cost a worker's start-up (its own module graph: ~0.1–0.25 s of CPU on
 * two cores, issue 18). This thread runs a job between events, so it answers the workers (and
 * signals) between jobs. The jobs run the workers' code (tensor-jobs.ts), and errors are rebuilt from
 * their wire form as a worker's are, so results do not depend on which thread ran a job. While
 * this thread is in a job it cannot hand a worker the next one, so with `inline` a busy worker
 * holds one more job in its port (taken only when no worker is idle and this thread is busy).
 */
export class TensorPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { id: number; job: JobBody; transfer: ArrayBuffer[]; resolve: (r: Reply) => void; reject: (e: unknown) => void }[] = [];
  private nextId = 0;
  private failure: QuantforgeError | undefined;
  private closed = false;

  private inlineRun: Promise<(job: TensorJob) => Promise<QuantizedOne>> | undefined;
  /** Jobs a worker may hold: 2 with an inline slot (one running, one queued in its port), else 1. */
  private readonly perWorker: number;

  constructor(
    readonly size: number,
    private readonly plugins: readonly PluginSource[],
    options: { readonly inline?: boolean } = {},
  ) {
    const entry = workerEntry({ plugins: [...plugins] });
    const inline = options.inline === true;
    this.perWorker = inline ? 2 : 1;
    for (let i = 0; i < (inline ? size - 1 : size); i++) {
      // Workers `run` started before its modules loaded (entry.ts) serve a pool without plugins.
      const worker = (plugins.length === 0 ? takePrestarted() : undefined) ?? new Worker(entry.url, { workerData: entry.init, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
      worker.unref();
      const slot: Slot = { worker, posted: [] };
      worker.on("message", (m: TensorWorkerMessage) => this.onMessage(slot, m));
      worker.on("error", (e) => this.fail(new QuantforgeError("QF_INTERNAL", `a tensor worker thread crashed: ${e.message}`, { cause: e, exitCode: 1 })));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(new QuantforgeError("QF_INTERNAL", `a tensor worker thread exited unexpectedly (code ${code}).`, { exitCode: 1 }));
      });
      this.slots.push(slot);
    }
    // Last: a job goes to an idle worker first, so this thread stays free to answer them.
    if (inline) this.slots.push({ posted: [] });
    discardPrestarted();
  }

  private onMessage(slot: Slot, m: TensorWorkerMessage): void {
    if (m.type === "fatal") return this.fail(fromWire(m.error));
    this.settle(slot, m.id, m.type === "failed" ? fromWire(m.error) : m.type === "digested" ? { type: "digested", sha256: m.sha256 } : { type: "quantized", result: m.result });
  }

  /** Settles job `id` of slot `s` with its reply or error, then hands out the next jobs (not found: the pool failed or closed meanwhile, and rejected it then). */
  private settle(s: Slot, id: number, outcome: Reply | QuantforgeError): void {
    const k = s.posted.findIndex((p) => p.id === id);
    if (k < 0) return;
    const cur = s.posted.splice(k, 1)[0]!;
    if (outcome instanceof QuantforgeError) cur.reject(outcome);
    else cur.resolve(outcome);
    this.dispatch();
  }

  private fail(e: QuantforgeError): void {
    if (this.failure) return;
    this.failure = e;
    for (const s of this.slots) for (const p of s.posted.splice(0)) p.reject(e);
    for (const q of this.queue.splice(0)) q.reject(e);
  }

  private dispatch(): void {
    for (;;) {
      // An idle worker, then this thread, then a busy worker's second job (see the class comment).
      const s =
        this.slots.find((x) => x.worker && x.posted.length === 0) ??
        this.slots.find((x) => !x.worker && x.posted.length === 0 && this.queue.some((q) => q.job.type !== "digest")) ??
        this.slots.find((x) => x.worker && x.posted.length < this.perWorker);
      // A digest is a worker's job (its point is to run beside this thread's).
      const k = !s ? -1 : s.worker ? (this.queue.length > 0 ? 0 : -1) : this.queue.findIndex((q) => q.job.type !== "digest");
      if (!s || k < 0) return;
      const q = this.queue.splice(k, 1)[0]!;
      s.posted.push({ id: q.id, resolve: q.resolve, reject: q.reject });
      if (s.worker) s.worker.postMessage({ ...q.job, id: q.id }, q.transfer);
      // After the events already queued (a worker's reply, a signal): then the job, to its end.
      else setImmediate(() => void this.runInline(s, { ...q.job, id: q.id } as TensorJob));
    }
  }

  /** Runs `job` on this thread (the inline slot `s`) with the workers' runner, settling it as a worker's reply would. */
  private async runInline(s: Slot, job: TensorJob): Promise<void> {
    let outcome: Reply | QuantforgeError;
    try {
      this.inlineRun ??= import("./tensor-jobs.js").then(async (m) => m.tensorJobRunner(await m.loadPlugins(this.plugins)));
      outcome = { type: "quantized", result: await (await this.inlineRun)(job) };
    } catch (e) {
      outcome = fromWire(wireError(e));
    }
    this.settle(s, job.id, outcome);
  }

  private submit(job: JobBody, transfer: ArrayBuffer[] = [], first = false): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new QuantforgeError("QF_ABORTED", "the tensor worker pool is closed.", { exitCode: 1 }));
    return new Promise<Reply>((resolve, reject) => {
      const q = { id: this.nextId++, job, transfer, resolve, reject };
      if (first) this.queue.unshift(q);
      else this.queue.push(q);
      this.dispatch();
    });
  }

  /** Quantizes (and codes) one tensor on a worker. */
  async quantize(job: Omit<Extract<TensorJob, { type: "quantize" }>, "id" | "type">): Promise<QuantizedOne> {
    return quantized(await this.submit({ type: "quantize", ...job }));
  }

  /**
   * The SHA-256 of the weights file `path` (`sha256Weights`) on a worker, queued as submitted
   * (`run` submits it before the tensors, so it is not last). `tensors` are the file's tensors as
   * read, posted only when all are shared (else the worker hashes the file from disk). Undefined
   * without worker threads.
   */
  async digest(path: string, tensors: readonly WireTensor[]): Promise<string | undefined> {
    if (!this.slots.some((s) => s.worker)) return undefined;
    const shared = tensors.every((t) => t.data.buffer instanceof SharedArrayBuffer);
    const r = await this.submit({ type: "digest", path, tensors: shared ? tensors : [] });
    if (r.type !== "digested") throw new QuantforgeError("QF_INTERNAL", "a tensor worker answered a digest job with a tensor.", { exitCode: 1 });
    return r.sha256;
  }

  /**
   * The "finish" half of a staged tensor (see `TensorJob`): queued ahead of every job not yet
   * started, so a tensor is dequantized and counted before more tensors are quantized (what is
   * in flight stays what one job per tensor held). `model`'s codes and positions are
   * transferred (detached here); the reply's model carries them back.
   */
  async finish(job: Omit<Extract<TensorJob, { type: "finish" }>, "id" | "type">): Promise<QuantizedOne> {
    const moved = new Set<ArrayBuffer>();
    for (const t of job.model.tensors) for (const a of [t.codes, t.sparse?.positions]) if (a && a.buffer instanceof ArrayBuffer) moved.add(a.buffer);
    return quantized(await this.submit({ type: "finish", ...job }, [...moved], true));
  }

  /** Terminates every worker; pending jobs fail with `QF_ABORTED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new QuantforgeError("QF_ABORTED", "the tensor worker pool was closed.", { exitCode: 1 }));
    await Promise.all(this.slots.flatMap((s) => (s.worker ? [s.worker.terminate()] : [])));
  }
}
