import { parentPort, workerData } from "node:worker_threads";
import type { QuantizedModel } from "@quantforge/core";
import { wireError } from "../errors-base.js";
import { loadPlugins, tensorJobRunner } from "./tensor-jobs.js";
import type { DigestJob, TensorJob, TensorWorkerInit, TensorWorkerMessage } from "./protocol.js";

// A tensor worker thread: imports the main thread's third-party plugins, then runs the per-tensor
// jobs it is sent (tensor-jobs.ts: the same runner the main thread's inline slot uses), one at a time.
const init = workerData as TensorWorkerInit;
const port = parentPort!;

/** Every buffer of `m`'s codes and positions and of `more` that can move to the main thread without a copy. */
function transferables(m: QuantizedModel, ...more: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  for (const t of m.tensors) {
    add(t.codes);
    add(t.sparse?.positions);
  }
  for (const a of more) add(a);
  return [...out];
}

try {
  const run = tensorJobRunner(await loadPlugins(init.plugins));
  port.on("message", (job: TensorJob | DigestJob) => {
    const send = (m: TensorWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
    if (job.type === "digest") {
      // Imported at the first digest job: io-safetensors' header reader is not a tensor job's module.
      import("../input-hash.js")
        .then(({ sha256Weights }) => sha256Weights(job.path, [...job.tensors]))
        .then(
          (sha256) => send({ type: "digested", id: job.id, sha256 }),
          (e: unknown) => send({ type: "failed", id: job.id, error: wireError(e) }),
        );
      return;
    }
    run(job).then(
      (result) => send({ type: "quantized", id: job.id, result }, transferables(result.model, result.stream, result.group?.bytes, result.decoded)),
      (e: unknown) => send({ type: "failed", id: job.id, error: wireError(e) }),
    );
  });
} catch (e) {
  port.postMessage({ type: "fatal", error: wireError(e) } satisfies TensorWorkerMessage);
}
