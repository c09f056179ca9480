import { isAbsolute, relative, sep } from "node:path";
import { printable, z } from "@quantforge/core";
import type { CompareCellSpec } from "@quantforge/core/host";
import { isReferenceModelId } from "@quantforge/model-tfjs";
import type { InputFile, PluginVersion } from "@quantforge/report";
import { UsageError } from "../errors.js";
import type { ResolvedCompareConfig } from "../compare/config.js";
import { cellHash, contextKey } from "./cell-hash.js";
import { QueueError } from "./url.js";

/** `format` of every job's data. */
export const CELL_JOB_FORMAT = "quantforge-cell" as const;

const OPTIONS = z.record(z.string(), z.unknown());
const ENTRY = z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/), options: OPTIONS });
const REL = z.string().min(1).max(4096);

/**
 * The data of one queued cell: plain JSON, never code. Inputs travel as paths relative to the
 * coordinator's working directory (a worker resolves them under its `--data-root`) plus their
 * SHA-256, which the worker checks before running; plugins travel as ids and versions (a worker
 * runs only plugins it loaded itself).
 */
export const cellJobSchema = z.strictObject({
  format: z.literal(CELL_JOB_FORMAT),
  version: z.literal(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  spec: z.strictObject({
    index: z.number().int().min(0),
    label: z.string(),
    quantizer: z.string().min(1),
    options: OPTIONS,
    bits: z.number().nullable(),
    sweep: OPTIONS,
    coder: z.string().min(1),
    coderOptions: OPTIONS,
  }),
  input: z.strictObject({
    /** A reference model id (`mnist-mlp`), or a model path relative to the data root. */
    model: REL.optional(),
    reference: z.boolean().optional(),
    /** `embedded`, or a data file/folder relative to the data root. */
    data: REL.optional(),
    weights: REL.optional(),
    inputShapes: z.record(z.string(), z.array(z.number().int().min(1))).optional(),
    inputRanges: z.array(z.string()).optional(),
  }),
  files: z.array(z.strictObject({ role: z.string(), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
  select: z.strictObject({ include: z.array(z.string()), exclude: z.array(z.string()), allTensors: z.boolean(), allowEmpty: z.boolean().optional() }),
  evaluators: z.array(ENTRY),
  seed: z.number().int().min(0).max(0xffffffff),
  /** Per-cell time limit in seconds (the worker enforces it), or null. */
  timeout: z.number().positive().nullable(),
  /** Every plugin of the comparison, with the version the coordinator has. */
  plugins: z.array(z.strictObject({ kind: z.enum(["quantizer", "coder", "evaluator"]), id: z.string(), version: z.string() })),
  /** The coordinator's `--plugin`/config plugin specs (informational: never loaded from here). */
  pluginSpecs: z.array(z.string()),
  quantforgeVersion: z.string(),
});

/** One queued cell (see {@link cellJobSchema}). */
export type CellJob = z.output<typeof cellJobSchema>;

/**
 * Parses job data from Redis. Anything but a well-formed cell plan is refused.
 *
 * @throws {QueueError} `QF_QUEUE` naming the first bad field.
 */
export function parseCellJob(data: unknown): CellJob {
  const r = cellJobSchema.safeParse(data);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new QueueError(`a queued job is not a quantforge cell plan: field "${printable(i.path.join("."))}" ${printable(i.message)}. Only enqueue cells with quantforge compare --queue.`);
}

/** A path of the coordinator, relative to its working directory (inputs must lie inside it). */
function relativeInput(cwd: string, path: string, what: string): string {
  const rel = relative(cwd, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UsageError(
      `--queue: the ${what} "${printable(path)}" is outside the working directory "${printable(cwd)}". Workers find inputs under their --data-root by the path relative to where compare runs: run compare from a folder that contains the inputs.`,
    );
  }
  return rel.split(sep).join("/");
}

/** What the coordinator knows when it builds jobs. */
export interface JobContext {
  readonly config: ResolvedCompareConfig;
  readonly inputs: readonly InputFile[];
  readonly plugins: readonly PluginVersion[];
  readonly quantforgeVersion: string;
  /** The coordinator's working directory: input paths are sent relative to it. */
  readonly cwd: string;
}

/**
 * Returns a function building the job of each cell: the comparison's shared part is computed
 * once. Checks up front that every input path can be sent (inside `cwd`).
 */
export function cellJobBuilder(o: JobContext): (spec: CompareCellSpec) => CellJob {
  const c = o.config;
  const reference = c.model !== undefined && isReferenceModelId(c.model);
  const input: CellJob["input"] = {
    ...(c.model !== undefined ? { model: reference ? c.model : relativeInput(o.cwd, c.model, "model"), reference } : {}),
    ...(c.data !== undefined ? { data: c.data === "embedded" ? "embedded" : relativeInput(o.cwd, c.data, "data") } : {}),
    ...(c.weights !== undefined ? { weights: relativeInput(o.cwd, c.weights, "weights file") } : {}),
    ...(c.inputShapes ? { inputShapes: Object.fromEntries(Object.entries(c.inputShapes).map(([k, v]) => [k, [...v]])) } : {}),
    ...(c.inputRanges ? { inputRanges: [...c.inputRanges] } : {}),
  };
  const key = contextKey({ inputs: o.inputs, config: c, plugins: o.plugins, quantforgeVersion: o.quantforgeVersion, referenceModel: reference });
  const shared = {
    format: CELL_JOB_FORMAT as typeof CELL_JOB_FORMAT,
    version: 1 as const,
    input,
    files: o.inputs.map((f) => ({ role: f.role, bytes: f.bytes, sha256: f.sha256 })),
    select: { include: [...c.include], exclude: [...c.exclude], allTensors: c.allTensors, ...(c.allowEmpty ? { allowEmpty: true } : {}) },
    evaluators: c.evaluators.map((e) => ({ id: e.id, options: e.options })),
    seed: c.seed,
    timeout: c.timeout,
    plugins: [...o.plugins],
    pluginSpecs: [...(c.plugins ?? [])],
    quantforgeVersion: o.quantforgeVersion,
  };
  return (spec) => ({ ...shared, hash: cellHash(key, spec), spec: { ...spec } });
}
