import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { QuantforgeError, type ErrorCode } from "@quantforge/core";
import type { WireError } from "../compare/protocol.js";
import type { PluginSource } from "../plugin-loader/index.js";
import type { QuantizedOne, TensorJob, TensorWorkerInit, TensorWorkerMessage } from "./protocol.js";

type JobBody = TensorJob extends infer J ? (J extends TensorJob ? Omit<J, "id"> : never) : never;
type Reply = { readonly type: "quantized"; readonly result: QuantizedOne };

function fromWire(e: WireError): QuantforgeError {
  return new QuantforgeError(e.code as ErrorCode, e.message, { exitCode: e.exitCode });
}

/**
 * How to start the worker: the bundled `dist/tensor-worker.js` (scripts/bundle.mjs; it starts in
 * a fraction of the time of ~300 compiled modules), else the built `worker.js`, or `worker.ts`
 * through tsx from source (tests).
 */
function workerEntry(init: TensorWorkerInit): { url: URL; init: TensorWorkerInit; execArgv?: string[] } {
  if (!import.meta.url.endsWith(".ts")) {
    const bundled = new URL("../tensor-worker.js", import.meta.url);
    return { url: existsSync(bundled) ? bundled : new URL("./worker.js", import.meta.url), init };
  }
  return {
    url: new URL("../compare/worker-dev.mjs", import.meta.url),
    init: { ...init, entry: new URL("./worker.ts", import.meta.url).href, tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) },
    execArgv: [...process.execArgv.filter((a) => !a.startsWith("--conditions")), "--conditions=@quantforge/source"],
  };
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  current?: { id: number; resolve: (r: Reply) => void; reject: (e: unknown) => void };
}

/**
 * A fixed number of tensor worker threads (`--threads`), started when constructed so their
 * start-up overlaps reading the weights. Jobs queue in submission order and go to the first idle
 * worker; each job's promise settles with its own reply, so callers that await results in input
 * order get deterministic output whatever thread finished first. Workers are unref'd: a pool
 * never keeps the process alive; {@link close} terminates them.
 */
export class TensorPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { id: number; job: JobBody; transfer: ArrayBuffer[]; resolve: (r: Reply) => void; reject: (e: unknown) => void }[] = [];
  private nextId = 0;
  private failure: QuantforgeError | undefined;
  private closed = false;

  constructor(
    readonly size: number,
    plugins: readonly PluginSource[],
  ) {
    const entry = workerEntry({ plugins: [...plugins] });
    for (let i = 0; i < size; i++) {
      const worker = new Worker(entry.url, { workerData: entry.init, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
      worker.unref();
      const slot: Slot = { worker, ready: false };
      worker.on("message", (m: TensorWorkerMessage) => this.onMessage(slot, m));
      worker.on("error", (e) => this.fail(new QuantforgeError("QF_INTERNAL", `a tensor worker thread crashed: ${e.message}`, { cause: e, exitCode: 1 })));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(new QuantforgeError("QF_INTERNAL", `a tensor worker thread exited unexpectedly (code ${code}).`, { exitCode: 1 }));
      });
      this.slots.push(slot);
    }
  }

  private onMessage(slot: Slot, m: TensorWorkerMessage): void {
    if (m.type === "ready") {
      slot.ready = true;
      return this.dispatch();
    }
    if (m.type === "fatal") return this.fail(fromWire(m.error));
    const cur = slot.current;
    if (!cur || cur.id !== m.id) return;
    slot.current = undefined;
    if (m.type === "failed") cur.reject(fromWire(m.error));
    else cur.resolve({ type: "quantized", result: m.result });
    this.dispatch();
  }

  private fail(e: QuantforgeError): void {
    if (this.failure) return;
    this.failure = e;
    for (const s of this.slots) {
      s.current?.reject(e);
      s.current = undefined;
    }
    for (const q of this.queue.splice(0)) q.reject(e);
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (!s.ready || s.current || this.queue.length === 0) continue;
      const q = this.queue.shift()!;
      s.current = { id: q.id, resolve: q.resolve, reject: q.reject };
      s.worker.postMessage({ ...q.job, id: q.id }, q.transfer);
    }
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
    const r = await this.submit({ type: "quantize", ...job });
    return r.result;
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
    const r = await this.submit({ type: "finish", ...job }, [...moved], true);
    return r.result;
  }

  /** Terminates every worker; pending jobs fail with `QF_ABORTED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new QuantforgeError("QF_ABORTED", "the tensor worker pool was closed.", { exitCode: 1 }));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
