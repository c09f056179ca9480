import { basename } from "node:path";
import {
  checkRangeNames,
  describeGenerated,
  generateSamples,
  inputBatchAxes,
  inputDataset,
  loadInputData,
  nonBatchDims,
  resolveInputLayout,
  runInBatches,
  withBatch,
  type BatchOutput,
  type DimsDecl,
  type ModelInputDecl,
  type ModelInputFeed,
  type ModelInputLayout,
} from "@quantforge/datasets";
import { FormatError, ShapeMismatchError } from "@quantforge/core";
import { onnxInputDecls, type OnnxModel } from "@quantforge/io-onnx";
import type { ModelOutput } from "@quantforge/io-tfjs";
import type { QuantizeModelOptions } from "./options.js";

/** A model input as the runtime declares it (`null`: unknown dimension). */
export type InputSpec = ModelInputDecl;

/** The inputs the output check runs on: flat samples in the layout's order (see datasets' `ModelInputLayout`). */
export interface PreparedInputs {
  readonly layout: ModelInputLayout;
  readonly inputs: Float32Array;
  readonly count: number;
  /** Where the inputs come from, for the report. */
  readonly source: string;
}

const strip = (n: string) => n.replace(/:0$/, "");

/**
 * Why the output check cannot run without more flags (an input dimension nobody gives), or null.
 * Names in `--input-shape` are validated first, so a misspelled name is an error, not a skip.
 */
export function unknownInputReason(decls: readonly InputSpec[], o: Pick<QuantizeModelOptions, "inputShapes" | "data">): string | null {
  const known = new Set(decls.flatMap((d) => [d.name, strip(d.name)]));
  for (const k of o.inputShapes?.keys() ?? []) {
    if (!known.has(k)) throw new ShapeMismatchError(`the model has no input "${k}" (inputs: ${decls.map((d) => d.name).join(", ")}). Name an input in --input-shape.`);
  }
  if (o.data !== undefined) return null; // the data file's shapes fill unknown dimensions
  const axes = inputBatchAxes(decls);
  const rest = (d: InputSpec) => nonBatchDims(d, axes[decls.indexOf(d)]!);
  const missing = decls.filter((d) => {
    if (o.inputShapes?.has(d.name) || o.inputShapes?.has(strip(d.name))) return false;
    return d.shape === null || rest(d)!.some((x) => x === null);
  });
  if (missing.length === 0) return null;
  const hint = missing
    .map(
      (d) =>
        `--input-shape ${strip(d.name)}=${
          rest(d)
            ?.map((x) => x ?? "D")
            .join(",") ?? "d1,d2,…"
        }`,
    )
    .join(" ");
  return `input ${missing.map((d) => `"${d.name}" [${d.shape ? d.shape.map((x) => x ?? "?").join(", ") : "unknown rank"}]`).join(", ")} has unknown dimensions; pass ${hint} (every dimension but the batch one) or --data to check the outputs`;
}

/**
 * The inputs of an ONNX model as the output check feeds them (shapes, batch dimension names,
 * values the graph tests scalar inputs for), or why they cannot be fed.
 */
export function onnxSpecs(m: OnnxModel): InputSpec[] | { skipped: string } {
  try {
    return onnxInputDecls(m);
  } catch (e) {
    if (e instanceof FormatError) return { skipped: e.message };
    throw e;
  }
}

/**
 * The inputs of the output check: the `--data` file's samples, else `samples` seeded inputs from
 * the shared generator (the same values `compare`/`sensitivity` feed for the same seed).
 * `outputs` (declared output shapes) tell each output's batch axis where it is not the first.
 *
 * @throws {ShapeMismatchError} for unknown input names, data that does not fit the inputs, or too
 *   many generated values.
 */
export async function prepareInputs(decls: readonly InputSpec[], o: QuantizeModelOptions, model: string, outputs?: readonly DimsDecl[]): Promise<PreparedInputs> {
  const data = o.data !== undefined ? await loadInputData(o.data, decls, { ...(o.inputShapes ? { inputShapes: o.inputShapes } : {}), ...(o.inputRanges ? { inputRanges: o.inputRanges } : {}) }) : undefined;
  const layout = resolveInputLayout(model, decls, { ...(o.inputShapes ? { inputShapes: o.inputShapes } : {}), ...(data ? { data } : {}), ...(outputs ? { outputs } : {}) });
  checkRangeNames(layout, o.inputRanges);
  if (data) return { layout, inputs: inputDataset(layout, data).inputs, count: data.count, source: `dataset ${basename(o.data!)}` };
  return { layout, inputs: generateSamples(layout, o.samples, o.seed, o.inputRanges), count: o.samples, source: describeGenerated(layout, o.samples, o.seed, o.inputRanges) };
}

/**
 * Runs every prepared sample through `run` in batches the model accepts (its fixed batch, else
 * all at once) and returns each output batch-first over all samples.
 */
export async function runPrepared(p: PreparedInputs, run: (feeds: ModelInputFeed[]) => Promise<readonly BatchOutput[]>): Promise<ModelOutput[]> {
  const outs = await runInBatches(p.layout, p.inputs, p.count, Math.max(1, p.count), run);
  return outs.map((o) => ({ name: o.name, shape: [p.count, ...o.shape], data: o.data }));
}

/** The report's view of the fed inputs: each input's shape over all samples. */
export function fedShapes(p: PreparedInputs): { name: string; shape: number[] }[] {
  return p.layout.inputs.map((s) => ({ name: s.name, shape: s.scalar ? [] : withBatch(s.sampleShape, p.count, s.batchAxis ?? 0) }));
}
