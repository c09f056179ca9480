import { isAbsolute } from "node:path";
import { ErrorCodes, IoError, QuantforgeError, printable } from "@quantforge/core";
import type { PluginRegistry } from "@quantforge/core/host";
import { resolveContained } from "@quantforge/core/node";
import { isReferenceModelId } from "@quantforge/model-tfjs";
import type { InputConfig } from "../compare/input.js";
import { inputFiles } from "../compare/input.js";
import type { CellJob } from "./job.js";
import { QueueError } from "./url.js";

/** A queued job names an input outside the worker's `--data-root` (`QF_OUTSIDE_DATA_ROOT`, exit 2). */
export class OutsideDataRootError extends QuantforgeError {
  constructor(what: string, path: string, root: string) {
    super(
      ErrorCodes.OUTSIDE_DATA_ROOT,
      `the job's ${what} "${printable(path)}" is outside this worker's --data-root "${printable(root)}"; the worker reads nothing else. Send inputs by paths inside the data root (run compare from the matching folder).`,
    );
  }
}

/** An input on the worker does not hash to what the coordinator sent (`QF_VERIFY_MISMATCH`, exit 2). */
export class InputMismatchError extends QuantforgeError {
  constructor(detail: string) {
    super(ErrorCodes.VERIFY_MISMATCH, `${detail}: this worker's copy of the inputs differs from the coordinator's. Sync the data under --data-root on every worker.`);
  }
}

/**
 * Resolves a job's relative path under `root` through core's containment policy (no absolute
 * paths, no `..`, no symlink leaving the root); outside → {@link OutsideDataRootError}.
 */
async function under(root: string, rel: string, what: string): Promise<string> {
  if (isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.split(/[\\/]/).includes("..")) throw new OutsideDataRootError(what, rel, root);
  try {
    return await resolveContained(root, rel, what);
  } catch (e) {
    if (e instanceof QuantforgeError && e.code === ErrorCodes.FORMAT && /leaves the model folder/.test(e.message)) throw new OutsideDataRootError(what, rel, root);
    if (e instanceof QuantforgeError && e.code === ErrorCodes.FORMAT) throw new IoError(`the job's ${what} "${printable(rel)}" is not under this worker's --data-root "${printable(root)}". Copy or mount the inputs there.`, e);
    throw e;
  }
}

/** The job's input as paths on this worker (reference model ids stay ids). */
export async function localInput(job: CellJob, root: string): Promise<InputConfig> {
  const i = job.input;
  let model: string | undefined;
  if (i.model !== undefined) {
    if (i.reference) {
      if (!isReferenceModelId(i.model)) throw new QueueError(`the job names reference model "${printable(i.model)}", which this worker does not know. Run the same quantforge version on every host.`);
      model = i.model;
    } else model = await under(root, i.model, "model");
  }
  return {
    ...(model !== undefined ? { model } : {}),
    ...(i.data !== undefined ? { data: i.data === "embedded" ? "embedded" : await under(root, i.data, "data") } : {}),
    ...(i.weights !== undefined ? { weights: await under(root, i.weights, "weights file") } : {}),
    ...(i.inputShapes ? { inputShapes: i.inputShapes } : {}),
    ...(i.inputRanges ? { inputRanges: i.inputRanges } : {}),
  };
}

/**
 * Hashes the worker's input files and checks them against the job's list (same roles, sizes
 * and SHA-256 in the same order).
 *
 * @throws {InputMismatchError} naming the first file that differs.
 */
export async function verifyInput(job: CellJob, input: InputConfig): Promise<void> {
  const mine = await inputFiles(input);
  if (mine.length !== job.files.length) throw new InputMismatchError(`the job lists ${job.files.length} input file(s), this worker finds ${mine.length}`);
  for (let k = 0; k < mine.length; k++) {
    const a = job.files[k]!,
      b = mine[k]!;
    if (a.role !== b.role || a.sha256 !== b.sha256 || a.bytes !== b.bytes)
      throw new InputMismatchError(`input ${printable(b.role)} "${printable(b.path)}" has SHA-256 ${b.sha256.slice(0, 12)}…, the job expects ${printable(a.sha256.slice(0, 12))}…`);
  }
}

/**
 * Checks that this worker registered every plugin the cell uses (quantizer, coder, evaluators),
 * at the coordinator's version. A worker runs only plugins it loaded itself: a job never makes it
 * load one.
 *
 * @throws {QuantforgeError} `QF_UNKNOWN_PLUGIN` for a plugin not loaded here, `QF_PLUGIN_MISSING`
 *   for one at another version.
 */
export function checkJobPlugins(registry: PluginRegistry, job: CellJob): void {
  const needed: { kind: "quantizer" | "coder" | "evaluator"; id: string }[] = [{ kind: "quantizer", id: job.spec.quantizer }, { kind: "coder", id: job.spec.coder }, ...job.evaluators.map((e) => ({ kind: "evaluator" as const, id: e.id }))];
  for (const n of needed) {
    const here = registry.list(n.kind).find((p) => p.id === n.id);
    if (!here) {
      const known = registry
        .list(n.kind)
        .map((p) => p.id)
        .join(", ");
      throw new QuantforgeError(
        ErrorCodes.UNKNOWN_PLUGIN,
        `${n.kind} "${printable(n.id)}" is not loaded on this worker (known: ${known || "none"}). Start the worker with --plugin for it${job.pluginSpecs.length ? ` (the coordinator loaded ${job.pluginSpecs.map((s) => `"${printable(s)}"`).join(", ")})` : ""} if you trust it.`,
      );
    }
    const want = job.plugins.find((p) => p.kind === n.kind && p.id === n.id)?.version;
    if (want !== undefined && want !== here.version) {
      throw new QuantforgeError(ErrorCodes.PLUGIN_MISSING, `${n.kind} "${printable(n.id)}" is version ${here.version} on this worker, the coordinator has ${printable(want)}. Install the same version on every host (results would differ).`);
    }
  }
}
