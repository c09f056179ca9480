import { ShapeMismatchError, shapeSize, type Dataset, type ModelProbe, type WeightSet } from "@quantforge/core";
import type { InputRanges } from "./input-generator.js";
import { inputBatchAxes, outputBatchAxes, toBatchAxis, withBatch, type DimsDecl } from "./batch-axis.js";

/** Element types a model input can be fed with. */
export type ModelInputDtype = "float32" | "int32" | "int64" | "bool";

/** One input as a model declares it. */
export interface ModelInputDecl {
  readonly name: string;
  /**
   * Full shape; `null` for unknown dimensions; `null` when even the rank is unknown. The batch is
   * usually the first dimension; see `inputBatchAxes` for where else it may be.
   */
  readonly shape: readonly (number | null)[] | null;
  /** Symbolic dimension names (ONNX `dim_param`, e.g. `batch`), where the format has them. */
  readonly dimNames?: readonly (string | null)[];
  readonly dtype: ModelInputDtype;
  /**
   * Values the model's graph tests this input for (e.g. a sample rate compared with 16000 and
   * 8000), ascending, when the reader can tell; generated inputs take the first (a value that
   * sends the graph down a branch it was built for, not an error branch).
   */
  readonly values?: readonly number[];
}

/** One input with every dimension known. */
export interface ModelInputSlot {
  readonly name: string;
  readonly dtype: ModelInputDtype;
  /** Shape of one sample (the batch axis removed). */
  readonly sampleShape: readonly number[];
  /** Where the batch goes in the fed shape (an index into it; 0 for batch-first inputs and scalars). */
  readonly batchAxis?: number;
  /** Values per sample (`shapeSize(sampleShape)`). */
  readonly size: number;
  /**
   * A rank-0 input (no batch dimension, e.g. a sample rate): one value per run, taken from the
   * first sample of the batch; `sampleShape` is `[]` and `size` 1.
   */
  readonly scalar?: boolean;
  /** Values the model tests this input for (see {@link ModelInputDecl.values}). */
  readonly values?: readonly number[];
}

/**
 * How one flat sample maps onto a model's inputs: the inputs in declaration order, each taking the
 * next `size` values of the sample. `sampleShape` is the input's own shape for a single-input
 * model and `[Σ sizes]` for several inputs.
 */
export interface ModelInputLayout {
  readonly inputs: readonly ModelInputSlot[];
  /** Values per flat sample (Σ of the inputs' sizes). */
  readonly sampleSize: number;
  readonly sampleShape: readonly number[];
  /** A batch size the model fixes in its input shapes (null: any batch size). */
  readonly fixedBatch: number | null;
  /** Batch axes of outputs whose declaration tells it (others: found from a run's shapes). */
  readonly outputBatchAxes?: ReadonlyMap<string, number>;
}

/** Values fed to one input for `count` samples: `shape` = `[count, ...sampleShape]`. */
export interface ModelInputFeed {
  readonly name: string;
  readonly shape: readonly number[];
  /** bool inputs are a `Uint8Array` of 0/1. */
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** Batch-first tensors of a calibration file, matched to the model's inputs. */
export interface ModelInputData {
  /** The file the tensors came from. */
  readonly path: string;
  /** Samples (the common first dimension). */
  readonly count: number;
  /** Per input name: the tensor's shape (batch first) and values. */
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
}

/** Input names as users type them: a graph model's `x:0` may be given as `x`. */
function lookup<T>(map: ReadonlyMap<string, T> | undefined, name: string): T | undefined {
  return map?.get(name) ?? map?.get(name.replace(/:0$/, ""));
}

const fmtShape = (s: readonly (number | null)[]) => `[${s.map((d) => d ?? "?").join(", ")}]`;

/** The declared shape without its batch axis `a` (null when the rank is unknown). */
export function nonBatchDims(d: { shape: readonly (number | null)[] | null }, a: number): (number | null)[] | null {
  return d.shape ? d.shape.filter((_, k) => k !== a) : null;
}

function hint(d: ModelInputDecl, a: number): string {
  const rest =
    nonBatchDims(d, a)
      ?.map((x) => x ?? "D")
      .join(",") ?? "d1,d2,…";
  return `Pass it as --input-shape ${d.name.replace(/:0$/, "")}=${rest} (every dimension but the batch one; inputShapes in code) or give a --data file.`;
}

/**
 * Resolves every input's per-sample shape: an entry of `inputShapes` (dimensions after the batch
 * one) wins, else the model's declared dimensions, else the calibration tensor's dimensions.
 *
 * @param model - Model name, for messages.
 * @throws {ShapeMismatchError} when a dimension stays unknown (the message says to pass
 *   `--input-shape name=d1,d2,…`), a given shape contradicts a declared dimension, an input is a
 *   scalar (no batch dimension), or inputs fix different batch sizes.
 */
export function resolveInputLayout(model: string, decls: readonly ModelInputDecl[], opts: { inputShapes?: ReadonlyMap<string, readonly number[]>; data?: ModelInputData; outputs?: readonly DimsDecl[] } = {}): ModelInputLayout {
  if (decls.length === 0) throw new ShapeMismatchError(`model "${model}" declares no inputs; quantforge can only run models that take inputs.`);
  const known = new Set(decls.flatMap((d) => [d.name, d.name.replace(/:0$/, "")]));
  for (const k of opts.inputShapes?.keys() ?? []) {
    if (!known.has(k)) throw new ShapeMismatchError(`model "${model}" has no input "${k}" (inputs: ${decls.map((d) => d.name).join(", ")}). Name an input in --input-shape.`);
  }
  for (const k of opts.data?.tensors.keys() ?? []) {
    if (!known.has(k)) throw new ShapeMismatchError(`model "${model}" has no input "${k}" (inputs: ${decls.map((d) => d.name).join(", ")}). Name each --data tensor after a model input.`);
  }
  let fixedBatch: number | null = null;
  const axes = inputBatchAxes(decls);
  const inputs = decls.map((d, i): ModelInputSlot => {
    const vals = d.values && d.values.length > 0 ? { values: d.values } : {};
    if (d.shape && d.shape.length === 0) {
      const given = lookup(opts.inputShapes, d.name);
      if (given && given.length > 0) throw new ShapeMismatchError(`--input-shape ${d.name}=${given.join(",")} contradicts the model's input shape [] (a scalar). Leave it out.`);
      return { name: d.name, dtype: d.dtype, sampleShape: [], size: 1, scalar: true, ...vals };
    }
    const ax = axes[i]!;
    const batch = d.shape?.[ax] ?? null;
    if (batch !== null) {
      if (fixedBatch !== null && fixedBatch !== batch) throw new ShapeMismatchError(`model "${model}" fixes batch size ${fixedBatch} on one input and ${batch} on "${d.name}"; quantforge cannot feed it.`);
      fixedBatch = batch;
    }
    const declared = nonBatchDims(d, ax);
    const given = lookup(opts.inputShapes, d.name);
    const fromData = lookup(opts.data?.tensors, d.name)?.shape.slice(1);
    let dims: number[];
    if (given) {
      if (declared && (declared.length !== given.length || declared.some((x, i) => x !== null && x !== given[i]))) {
        throw new ShapeMismatchError(`--input-shape ${d.name}=${given.join(",")} contradicts the model's input shape ${fmtShape(d.shape!)}. Give every dimension but the batch one${ax > 0 ? ` (axis ${ax})` : ""}, matching the known ones.`);
      }
      dims = [...given];
    } else if (declared && declared.every((x) => x !== null)) {
      dims = declared;
    } else if (fromData && (!declared || declared.length === fromData.length)) {
      dims = [...fromData];
    } else {
      const what = declared ? `has an unknown dimension in ${fmtShape(d.shape!)}` : "has an unknown shape";
      throw new ShapeMismatchError(`model "${model}" input "${d.name}" ${what}. ${hint(d, ax)}`);
    }
    if (dims.some((x) => !Number.isSafeInteger(x) || x < 1)) throw new ShapeMismatchError(`model "${model}" input "${d.name}" would have shape [${dims.join(", ")}]; dimensions must be positive integers.`);
    return { name: d.name, dtype: d.dtype, sampleShape: dims, size: shapeSize(dims), ...(ax > 0 ? { batchAxis: ax } : {}), ...vals };
  });
  const sampleSize = inputs.reduce((a, s) => a + s.size, 0);
  const outAxes = opts.outputs ? outputBatchAxes(decls, opts.outputs) : undefined;
  return { inputs, sampleSize, sampleShape: inputs.length === 1 ? inputs[0]!.sampleShape : [sampleSize], fixedBatch, ...(outAxes && outAxes.size > 0 ? { outputBatchAxes: outAxes } : {}) };
}

/** An integer or bool input's value from a flat float: floored, clamped to ≥ 0 (bool: nonzero is true). */
function intValue(v: number): number {
  return Math.max(0, Math.floor(v));
}

function typedFor(dtype: ModelInputDtype, n: number): Int32Array | BigInt64Array | Uint8Array {
  return dtype === "int32" ? new Int32Array(n) : dtype === "bool" ? new Uint8Array(n) : new BigInt64Array(n);
}

function setInt(out: Int32Array | BigInt64Array | Uint8Array, i: number, v: number): void {
  if (out instanceof BigInt64Array) out[i] = BigInt(intValue(v));
  else if (out instanceof Uint8Array) out[i] = v !== 0 ? 1 : 0;
  else out[i] = Math.min(intValue(v), 0x7fffffff);
}

/**
 * Splits `count` flat samples (each `layout.sampleSize` values: the inputs' values one after the
 * other, in input order) into one feed per input, the batch at the input's batch axis. Integer
 * inputs get each value rounded down and clamped to ≥ 0 (token ids, indices: only sensible with
 * real data); bool inputs are true where the value is nonzero.
 *
 * @throws {ShapeMismatchError} when `inputs` does not hold `count` samples.
 */
export function splitSamples(layout: ModelInputLayout, inputs: Float32Array, count: number): ModelInputFeed[] {
  if (!Number.isSafeInteger(count) || count < 0 || inputs.length !== count * layout.sampleSize) {
    throw new ShapeMismatchError(
      `${inputs.length} input values are not ${count} samples of ${layout.sampleSize} values (the model's inputs: ${layout.inputs.map((s) => `${s.name} [${s.sampleShape.join(", ")}]`).join(", ")}). Pass count × ${layout.sampleSize} values.`,
    );
  }
  let offset = 0;
  return layout.inputs.map((s) => {
    const n = s.size,
      stride = layout.sampleSize,
      base = offset;
    offset += n;
    if (s.scalar) {
      // One value per run: the first sample's (every sample of a batch shares a rank-0 input).
      const v = count > 0 ? inputs[base]! : 0;
      if (s.dtype === "float32") return { name: s.name, shape: [], data: Float32Array.of(v) };
      const one = typedFor(s.dtype, 1);
      setInt(one, 0, v);
      return { name: s.name, shape: [], data: one };
    }
    const a = s.batchAxis ?? 0;
    const shape = withBatch(s.sampleShape, count, a);
    if (s.dtype === "float32") {
      let out: Float32Array;
      if (layout.inputs.length === 1) out = inputs;
      else {
        out = new Float32Array(count * n);
        for (let k = 0; k < count; k++) out.set(inputs.subarray(k * stride + base, k * stride + base + n), k * n);
      }
      return { name: s.name, shape, data: toBatchAxis(out, (m) => new Float32Array(m), count, s.sampleShape, a) };
    }
    const out = typedFor(s.dtype, count * n);
    for (let k = 0; k < count; k++) for (let j = 0; j < n; j++) setInt(out, k * n + j, inputs[k * stride + base + j]!);
    const make = (m: number) => typedFor(s.dtype, m);
    return { name: s.name, shape, data: toBatchAxis(out as Int32Array, make as (m: number) => Int32Array, count, s.sampleShape, a) };
  });
}

/**
 * The calibration tensors as a core {@link Dataset} in the layout's flat per-sample order
 * (`sampleShape` = `layout.sampleShape`). The data carry no labels: `labels` are zeros and
 * `classes` is 0.
 *
 * @throws {ShapeMismatchError} when a tensor's sample shape differs from its input's.
 */
export function inputDataset(layout: ModelInputLayout, data: ModelInputData): Dataset {
  const count = data.count;
  const out = new Float32Array(count * layout.sampleSize);
  let base = 0;
  for (const s of layout.inputs) {
    const t = data.tensors.get(s.name)!;
    const per = t.shape.slice(1);
    if (per.length !== s.sampleShape.length || per.some((d, i) => d !== s.sampleShape[i])) {
      throw new ShapeMismatchError(`data tensor for input "${s.name}" in "${data.path}" has samples of shape [${per.join(", ")}] but the input takes [${s.sampleShape.join(", ")}]. Give [N, ${s.sampleShape.join(", ")}].`);
    }
    for (let k = 0; k < count; k++) out.set(t.data.subarray(k * s.size, (k + 1) * s.size), k * layout.sampleSize + base);
    base += s.size;
  }
  return { inputs: out, labels: new Int32Array(count), count, sampleShape: [...layout.sampleShape], classes: 0 };
}

/** Options every file-backed runnable model probe takes (tfjs model.json, ONNX). */
export interface FileProbeOptions {
  /** Probe id (default: the path as given). */
  readonly id?: string;
  /**
   * Calibration data: a `.safetensors` file with one batch-first tensor per model input, named
   * after the input (a single tensor of any name for a single-input model). Exposed as
   * `calibrationSet`. Without it the probe has no data.
   */
  readonly data?: string;
  /** Per-sample shapes (batch excluded) of inputs whose dimensions the model leaves unknown. */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Samples per model run. @default 256 */
  readonly batchSize?: number;
  /** Ranges of generated inputs (`--input-range`); see `generateSamples`. */
  readonly inputRanges?: InputRanges;
}

/** What a file-backed runnable model probe offers beyond {@link ModelProbe}. */
export interface FileModelProbe extends ModelProbe {
  readonly id: string;
  /** Every float weight as float32, in file order, tagged by the format's reader (role, layer, channel axes). */
  readonly weights: WeightSet;
  readonly forward: Required<Pick<NonNullable<ModelProbe["forward"]>, "predict" | "predictOutputs">> & Pick<NonNullable<ModelProbe["forward"]>, "macsPerSample">;
  /** One flat sample: a single input's shape, or `[Σ sizes]` for several inputs (see {@link ModelInputLayout}). */
  readonly inputShape: readonly number[];
  readonly calibrationSet?: Dataset;
  /** How a flat sample is split over the model's inputs. */
  readonly layout: ModelInputLayout;
  /**
   * Seeded random inputs from the shared generator (`generateSamples`): `count` flat samples.
   * Commands measure on these when the model has no data, so every command sees the same inputs.
   */
  sampleInputs?(count: number, seed: number): { inputs: Float32Array; description: string };
}
