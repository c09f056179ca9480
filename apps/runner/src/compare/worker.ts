import "reflect-metadata";
import { parentPort, workerData } from "node:worker_threads";
import { isQuantforgeError, type ProgressReporter } from "@quantforge/core";
import { createRootContainer, registerLoadedPlugins } from "../container.js";
import { toQuantforgeError } from "../errors.js";
import { importPluginSources } from "../plugin-loader/index.js";
import { builtinPlugins } from "../plugins.js";
import { runCellInChild } from "./cell.js";
import { loadCompareInput, selectorOf } from "./input.js";
import type { RunMessage, WireError, WorkerInit, WorkerMessage } from "./protocol.js";

// A compare worker thread: builds its own registry from the built-in plugin list, loads the
// input once, then runs the cells it is sent, each in its own child container. A cell that
// runs too long is stopped by terminating the thread, so no abort plumbing is needed here.
const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);

/** The error as core's compare() records it on the main thread (same code and message). */
function wire(e: unknown): WireError {
  const q = toQuantforgeError(e);
  const code = isQuantforgeError(e) ? e.code : "QF_INTERNAL";
  return { code, message: e instanceof Error ? e.message : String(e), exitCode: q.exitCode };
}

try {
  const { root, registry } = createRootContainer(builtinPlugins());
  registerLoadedPlugins(registry, await importPluginSources(init.plugins ?? []));
  const input = await loadCompareInput(init.input);
  const select = selectorOf(init.select);
  port.on("message", (m: RunMessage) => {
    const index = m.spec.index;
    let last = "";
    const progress: ProgressReporter = {
      update(task, done, total) {
        const key = `${task}:${total > 0 ? Math.floor((100 * done) / total) : 0}`;
        if (key === last) return;
        last = key;
        send({ type: "progress", index, task, done, total });
      },
    };
    runCellInChild(root, input, m.spec, init.evaluators, select, { seed: init.seed, signal: new AbortController().signal, progress }, init.select.allowEmpty).then(
      (outcome) => send({ type: "done", index, outcome }),
      (e: unknown) => send({ type: "failed", index, error: wire(e) }),
    );
  });
  send({ type: "ready" });
} catch (e) {
  send({ type: "fatal", error: wire(e) });
}
