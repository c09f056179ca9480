import type { GraphModel, LayersModel, Tensor, io } from "@tensorflow/tfjs";
import { FormatError, QuantforgeError, ShapeMismatchError, printable } from "@quantforge/core";
import type { TfjsModelJson, TfjsWeightEntry } from "./manifest.js";
import type { TfjsModelFormat } from "./parse.js";
import { decodeFloatEntry, decodeNonFloatEntry } from "./tfjs-decode.js";

// Running a tfjs model with quantforge's weights, without Node APIs (the browser build uses it
// as is; run.ts adds the file-backed artifacts).

/** The parts of the tfjs namespace the runner uses. */
export interface TfjsRuntime {
  loadGraphModel(handler: io.IOHandler): Promise<GraphModel>;
  loadLayersModel(handler: io.IOHandler): Promise<LayersModel>;
  tensor(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: "float32" | "int32" | "bool"): Tensor;
  io: { fromMemory(artifacts: io.ModelArtifacts): io.IOHandler };
  /** The active backend's name (tfjs's own `getBackend`), for messages. */
  getBackend?(): string;
}

/** One model input: its name, shape (null/−1 for unknown dims) and dtype. */
export interface ModelInputSpec {
  readonly name: string;
  readonly shape: readonly (number | null)[];
  readonly dtype: "float32" | "int32" | "bool";
}

/** One model output of a run: name, shape and values (as float32). */
export interface ModelOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Values fed to one input. */
export interface ModelFeed {
  readonly name: string;
  readonly shape: readonly number[];
  /** A `Uint8Array` of 0/1 feeds a bool input. */
  readonly data: Float32Array | Int32Array | Uint8Array;
}

/**
 * Model artifacts for `tf.io.fromMemory` from a parsed model.json and a reader of each entry's
 * stored bytes (a file reader in Node, in-memory shards in the browser).
 *
 * - `stock`: the entries exactly as stored (tfjs's `quantization` fields included), i.e. what a
 *   stock tfjs loader does with model.json and its shards — tfjs itself dequantizes.
 * - otherwise every float32 weight is plain float32: its value from `weights` when given
 *   (e.g. the decoded weights quantforge evaluated), else decoded from the stored bytes.
 */
export async function buildTfjsArtifacts(
  json: TfjsModelJson,
  entries: readonly TfjsWeightEntry[],
  stored: (e: TfjsWeightEntry) => Uint8Array | Promise<Uint8Array>,
  opts: { stock?: boolean; weights?: ReadonlyMap<string, Float32Array> } = {},
): Promise<io.ModelArtifacts> {
  const specs: io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const raw = await stored(e);
    if (opts.stock) {
      specs.push(e.spec as unknown as io.WeightsManifestEntry);
      parts.push(raw);
      continue;
    }
    const { quantization: _q, ...plain } = e.spec;
    specs.push(plain as unknown as io.WeightsManifestEntry);
    if (e.spec.dtype === "float32") {
      const given = opts.weights?.get(e.spec.name);
      if (given && given.length !== e.count) throw new FormatError(`weight "${e.spec.name}" needs ${e.count} values but ${given.length} were given.`);
      const f = given ?? decodeFloatEntry(e.spec, raw);
      parts.push(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    } else {
      parts.push(decodeNonFloatEntry(e.spec, raw));
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  const j = json;
  return {
    modelTopology: j.modelTopology as io.ModelArtifacts["modelTopology"],
    format: j.format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: data.buffer,
    ...(j.signature ? { signature: j.signature } : {}),
    ...(j.userDefinedMetadata ? { userDefinedMetadata: j.userDefinedMetadata as Record<string, object> } : {}),
    ...(j.modelInitializer ? { modelInitializer: j.modelInitializer } : {}),
  };
}

/** Loads artifacts as a GraphModel or LayersModel; tfjs's own errors become {@link FormatError}. */
export async function loadTfjsFromArtifacts(tf: TfjsRuntime, artifacts: io.ModelArtifacts, format: TfjsModelFormat, where: string): Promise<GraphModel | LayersModel> {
  try {
    const h = tf.io.fromMemory(artifacts);
    return format === "graph-model" ? await tf.loadGraphModel(h) : await tf.loadLayersModel(h);
  } catch (e) {
    const first = (e as Error).message.split("\n")[0] ?? "";
    // A layer class its own library registers at run time (UpscalerJS's MultiplyBeta, PixelShuffle…)
    // is no mismatch of topology and weights: the weights are fine and quantize without the model.
    const custom = /^Unknown layer: (\S+?)\.? /.exec(first)?.[1];
    if (custom !== undefined) {
      throw new FormatError(
        `${where}: tfjs cannot build the model: it uses the custom layer class "${printable(custom)}", which only the library that made the model registers. --no-eval (quantize) or --weights (run, compare) quantize its weights without building it.`,
        e,
      );
    }
    throw new FormatError(`${where}: tfjs cannot build the model (${first}). The topology and the weights do not match; re-export the model.`, e);
  }
}

function isGraph(m: GraphModel | LayersModel): m is GraphModel {
  return typeof (m as GraphModel).executeAsync === "function";
}

/**
 * tfjs uniquifies the names of generated layers per load (a Sequential model's input layer is
 * `c1_input_1`, then `c1_input_2`, …); the name without that counter is stable across loads.
 */
function stableLayerName(name: string): string {
  return name.replace(/_\d+$/, "");
}

/** The inputs of a loaded model (from the graph's signature/placeholders or the layers' inputs). */
export function tfjsInputSpecs(m: GraphModel | LayersModel): ModelInputSpec[] {
  const graph = isGraph(m);
  return m.inputs.map((t) => {
    const dtype = t.dtype === "int32" ? "int32" : t.dtype === "bool" ? "bool" : "float32";
    if (t.dtype !== "float32" && t.dtype !== "int32" && t.dtype !== "bool") throw new FormatError(`model input "${printable(t.name)}" has dtype ${t.dtype}; quantforge feeds float32, int32 or bool inputs.`);
    const shape = (t.shape ?? []).map((d) => (d === null || d < 0 ? null : d));
    return { name: graph ? t.name : stableLayerName(t.name), shape, dtype };
  });
}

const showShape = (s: readonly (number | null)[]): string => `[${s.map((d) => d ?? "?").join(", ")}]`;

/**
 * Checks feeds against the model's declared inputs before tfjs sees them, so a wrong batch (a
 * model declaring batch 1 fed 8 samples) or a wrong sample shape is a {@link ShapeMismatchError}
 * naming the input and both shapes, not tfjs's internal assertion.
 */
export function checkFeeds(specs: readonly ModelInputSpec[], feeds: readonly ModelFeed[]): void {
  if (feeds.length !== specs.length) throw new ShapeMismatchError(`the model takes ${specs.length} input(s) (${specs.map((s) => `"${printable(s.name)}"`).join(", ")}) but ${feeds.length} were fed.`);
  specs.forEach((s, i) => {
    const f = feeds[i]!;
    const ok = f.shape.length === s.shape.length && s.shape.every((d, k) => d === null || d === f.shape[k]);
    if (!ok) {
      const batch = s.shape.length > 0 && s.shape[0] !== null && f.shape.length === s.shape.length && s.shape.slice(1).every((d, k) => d === null || d === f.shape[k + 1]);
      throw new ShapeMismatchError(
        `model input "${printable(s.name)}" takes shape ${showShape(s.shape)} but was fed ${showShape(f.shape)}.${batch ? ` The model fixes its batch to ${s.shape[0]}; feed batches of exactly that size.` : " Pass --input-shape or data of the declared shape."}`,
      );
    }
  });
}

/**
 * Runs a loaded model on `feeds` (one per input, in {@link tfjsInputSpecs} order) and returns
 * every output as float32. Tensors are disposed.
 */
export async function runTfjsModel(tf: TfjsRuntime, m: GraphModel | LayersModel, feeds: readonly ModelFeed[]): Promise<ModelOutput[]> {
  checkFeeds(tfjsInputSpecs(m), feeds);
  const inputs = feeds.map((f) => tf.tensor(f.data, [...f.shape], f.data instanceof Int32Array ? "int32" : f.data instanceof Uint8Array ? "bool" : "float32"));
  // Only tfjs's own work is wrapped (see runtimeError); a fault in the code around it stays internal.
  const inTfjs = async <T>(f: () => T | Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw runtimeError(tf, e);
    }
  };
  let outs: Tensor[] = [];
  let names: string[];
  try {
    if (isGraph(m)) {
      names = m.outputs.map((o) => o.name);
      const dict: Record<string, Tensor> = {};
      feeds.forEach((f, i) => {
        dict[f.name] = inputs[i]!;
      });
      // execute() is synchronous and quiet; graphs with control flow need executeAsync().
      const r = await inTfjs(async () => {
        try {
          return m.execute(dict, names);
        } catch {
          return await m.executeAsync(dict, names);
        }
      });
      outs = Array.isArray(r) ? r : [r];
    } else {
      names = m.outputs.map((o) => stableLayerName(o.name));
      const r = await inTfjs(() => m.predict(inputs.length === 1 ? inputs[0]! : inputs));
      outs = Array.isArray(r) ? r : [r];
    }
    const res: ModelOutput[] = [];
    for (let i = 0; i < outs.length; i++) {
      const t = outs[i]!;
      const v = await inTfjs(() => t.data());
      res.push({ name: names[i] ?? `output_${i}`, shape: [...t.shape], data: v instanceof Float32Array ? Float32Array.from(v) : Float32Array.from(v as ArrayLike<number>) });
    }
    return res;
  } finally {
    for (const t of inputs) t.dispose();
    for (const t of outs) t.dispose();
  }
}

/**
 * A kernel the backend lacks (the WASM backend has no int32 BatchMatMul, which
 * facemesh-attention uses, nor Einsum) or an op tfjs cannot execute is a limit of the runtime on
 * this model, not a quantforge fault: one typed line, as io-onnx says for onnxruntime.
 */
function runtimeError(tf: TfjsRuntime, e: unknown): Error {
  if (e instanceof QuantforgeError) return e;
  const backend = tf.getBackend?.() ?? "current";
  const first = String((e as Error | undefined)?.message ?? e).split("\n")[0];
  const other = backend === "cpu" ? "" : " Another backend may (in Node: QUANTFORGE_TFJS_BACKEND=cpu);";
  return new FormatError(`tfjs cannot run the model on its ${backend} backend (${first}).${other} --no-eval (quantize) or --weights (run, compare) quantize its weights without running it.`, e);
}
