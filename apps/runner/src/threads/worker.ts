import "reflect-metadata";
import { parentPort, workerData } from "node:worker_threads";
import { dequantizeTensor, isQuantforgeError, type Coder, type Quantizer, type QuantizedModel } from "@quantforge/core";
import { CollectingDiagnostics, compactStreamInput, createHost, createRunContext, type PluginRegistry } from "@quantforge/core/host";
import { createRootContainer, registerLoadedPlugins } from "../container.js";
import { toQuantforgeError } from "../errors.js";
import { importPluginSources } from "../plugin-loader/index.js";
import { builtinPlugins } from "../plugins.js";
import type { PluginChoice } from "../run-job.js";
import type { WireError } from "../compare/protocol.js";
import type { QuantizedOne, TensorJob, TensorWorkerInit, TensorWorkerMessage } from "./protocol.js";
import { sha256File } from "../file-hash.js";

// A tensor worker thread: builds its own registry from the built-in plugin list (plus the main
// thread's third-party plugins) and runs the per-tensor jobs it is sent, one at a time.
const init = workerData as TensorWorkerInit;
const port = parentPort!;

function wire(e: unknown): WireError {
  const q = toQuantforgeError(e);
  return { code: isQuantforgeError(e) ? e.code : "QF_INTERNAL", message: e instanceof Error ? e.message : String(e), exitCode: q.exitCode };
}

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

/**
 * Plugin instances by id and raw options (a worker serves many tensors of one run), created as
 * the main thread creates them: with a host holding the registry and the run's coder.
 */
function instances(registry: PluginRegistry) {
  const quantizers = new Map<string, Quantizer>(),
    coders = new Map<string, Coder>();
  const key = (...c: (PluginChoice | null)[]) => JSON.stringify(c.map((x) => x && [x.id, x.options ?? {}]));
  const host = (coder: PluginChoice | null) => createHost(registry, { coders: coder ? [coder.id] : [] });
  return {
    quantizer(c: PluginChoice, coder: PluginChoice | null): Quantizer {
      let q = quantizers.get(key(c, coder));
      if (!q) {
        const p = registry.quantizer(c.id);
        q = p.create(p.parseOptions(c.options ?? {}) as never, host(coder));
        quantizers.set(key(c, coder), q);
      }
      return q;
    },
    coder(c: PluginChoice): Coder {
      let k = coders.get(key(c));
      if (!k) {
        const p = registry.coder(c.id);
        k = p.create(p.parseOptions(c.options ?? {}) as never, host(c));
        coders.set(key(c), k);
      }
      return k;
    },
  };
}

try {
  const { registry } = createRootContainer(builtinPlugins());
  registerLoadedPlugins(registry, await importPluginSources(init.plugins));
  const made = instances(registry);
  const quantizeOne = async (job: Extract<TensorJob, { type: "quantize" }>): Promise<QuantizedOne> => {
    const diagnostics = new CollectingDiagnostics();
    const ctx = createRunContext({ seed: job.seed, diagnostics });
    const model = await made.quantizer(job.quantizer, job.coder).quantize([job.tensor], ctx);
    const coder = job.coder ? made.coder(job.coder) : undefined;
    const t = model.tensors[0],
      cb = model.codebooks.find((c) => c.id === t?.codebook);
    // Coded here only when the stream will be asked for: `quantize` codes every tensor alone; a
    // container (`run`) asks for compact streams only when the coder has no group coding.
    const named = job.streamInput === "named";
    const stream = coder && t && cb && (named || !coder.group) ? (named ? coder.encode(t, cb) : coder.encode(...compactStreamInput(t, cb))) : undefined;
    const decoded = job.dequantize && t && cb ? dequantizeTensor(t, cb) : undefined;
    return { model, ...(stream ? { stream } : {}), ...(decoded ? { decoded } : {}), diagnostics: diagnostics.items };
  };
  port.on("message", (job: TensorJob) => {
    const send = (m: TensorWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
    if (job.type === "sha256") {
      sha256File(job.path).then(
        (hex) => send({ type: "hashed", id: job.id, hex }),
        (e: unknown) => send({ type: "failed", id: job.id, error: wire(e) }),
      );
      return;
    }
    quantizeOne(job).then(
      (result) => send({ type: "quantized", id: job.id, result }, transferables(result.model, result.stream, result.decoded)),
      (e: unknown) => send({ type: "failed", id: job.id, error: wire(e) }),
    );
  });
  port.postMessage({ type: "ready" } satisfies TensorWorkerMessage);
} catch (e) {
  port.postMessage({ type: "fatal", error: wire(e) } satisfies TensorWorkerMessage);
}
