import { readFileSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { concreteShape, inputValues, rng, type InputSpec } from "./inputs.js";

/** A named float tensor's shape and values. */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/** One model output as plain numbers. */
export interface RunOutput {
  name: string;
  shape: number[];
  data: Float64Array;
}

/** Outputs of one stock-runtime run, or why it could not run. */
export type RunResult = { ok: true; outputs: RunOutput[] } | { ok: false; reason: string };

type Tf = typeof import("@tensorflow/tfjs");
let tfPromise: Promise<Tf> | null = null;

/** Stock @tensorflow/tfjs on its CPU backend, loaded on first use (it is heavy). */
export async function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    // tfjs prints advice (tfjs-node, model.execute) through console.warn/log: not results.
    const quiet = /tfjs-node|model\.execute\(\)|TensorFlow\.js in Node|^=+$/;
    for (const k of ["warn", "log"] as const) {
      const orig = console[k].bind(console);
      console[k] = (...a: unknown[]) => (typeof a[0] === "string" && quiet.test(a[0].trim()) ? undefined : orig(...a));
    }
    const tf = await import("@tensorflow/tfjs");
    await tf.setBackend("cpu");
    await tf.ready();
    return tf;
  })();
  return tfPromise;
}

function inside(root: string, rel: string): string {
  const p = resolve(root, rel);
  if (!p.startsWith(root + sep)) throw new Error(`weights path ${JSON.stringify(rel)} leaves the model folder`);
  return p;
}

interface ManifestGroup {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }>;
}

/** The shards of a weights manifest concatenated in manifest order, with the flattened specs. */
export function readManifestWeights(dir: string, manifest: ManifestGroup[]): { specs: ManifestGroup["weights"]; data: ArrayBuffer } {
  const parts = manifest.flatMap((g) => g.paths.map((p) => readFileSync(inside(dir, p))));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { specs: manifest.flatMap((g) => g.weights), data: out.buffer };
}

/** Every weight of a tfjs weights manifest (or model.json's), decoded by stock tfjs (`tf.io.decodeWeights`). */
export async function decodeTfjsWeights(path: string): Promise<Map<string, Weight>> {
  const tf = await loadTf();
  const json = JSON.parse(readFileSync(path, "utf8")) as { weightsManifest?: ManifestGroup[] } | ManifestGroup[];
  const manifest = Array.isArray(json) ? json : (json.weightsManifest ?? []);
  const { specs, data } = readManifestWeights(dirname(resolve(path)), manifest);
  const map = tf.io.decodeWeights(data, specs as never);
  const out = new Map<string, Weight>();
  for (const [name, t] of Object.entries(map)) {
    if (t.dtype === "float32") out.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}

/**
 * Runs a tfjs model.json (graph or layers) in stock tfjs, loaded through a file IO handler, with
 * the named weights replaced when `override` is given (how the evaluated weights are run).
 */
export async function runTfjs(path: string, shapes: ReadonlyMap<string, number[]>, seed: number, override?: ReadonlyMap<string, Weight>): Promise<RunResult> {
  const tf = await loadTf();
  const json = JSON.parse(readFileSync(path, "utf8")) as { modelTopology: unknown; format?: string; weightsManifest: ManifestGroup[] };
  let { specs, data } = readManifestWeights(dirname(resolve(path)), json.weightsManifest);
  if (override) {
    const map = tf.io.decodeWeights(data, specs as never);
    // Replace the float weights the override names; add those the manifest lacks (tfjs-coded
    // keeps its quantized weights in weights.qf, not in the shards).
    for (const [name, w] of override) {
      const old = map[name];
      if (old && (old.dtype !== "float32" || old.size !== w.data.length)) continue;
      old?.dispose();
      map[name] = tf.tensor(w.data, w.shape, "float32");
    }
    const encoded = await tf.io.encodeWeights(map);
    Object.values(map).forEach((t) => t.dispose());
    specs = encoded.specs;
    data = encoded.data;
  }
  const topology = json.modelTopology as { node?: unknown };
  const isGraph = json.format === "graph-model" || Array.isArray(topology.node);
  const handler = { load: async () => ({ modelTopology: json.modelTopology as never, format: json.format, weightSpecs: specs as never, weightData: data }) };
  const next = rng(seed);
  if (isGraph) {
    const model = await tf.loadGraphModel(handler);
    const feed: Record<string, import("@tensorflow/tfjs").Tensor> = {};
    for (const inp of model.inputs) {
      const spec: InputSpec = { name: inp.name, shape: inp.shape ?? null, dtype: inp.dtype ?? "float32" };
      const shape = concreteShape(spec, shapes, 2);
      if (typeof shape === "string") return { ok: false, reason: shape };
      const count = shape.reduce((a, b) => a * b, 1);
      const values = inputValues(spec.dtype === "float32" ? "float32" : spec.dtype, count, next);
      feed[inp.name] = tf.tensor(values instanceof BigInt64Array ? Int32Array.from(values, Number) : values, shape, spec.dtype as never);
    }
    const result = await model.executeAsync(feed);
    const list = Array.isArray(result) ? result : [result];
    const outputs = list.map((t, i) => ({ name: model.outputNodes[i] ?? `output${i}`, shape: t.shape, data: Float64Array.from(t.dataSync() as ArrayLike<number>) }));
    list.forEach((t) => t.dispose());
    Object.values(feed).forEach((t) => t.dispose());
    model.dispose();
    return { ok: true, outputs };
  }
  const model = await tf.loadLayersModel(handler);
  const xs = model.inputs.map((inp) => {
    const shape = concreteShape({ name: inp.name, shape: inp.shape, dtype: "float32" }, shapes, 2);
    if (typeof shape === "string") throw new Error(shape);
    return tf.tensor(
      inputValues(
        "float32",
        shape.reduce((a, b) => a * b, 1),
        next,
      ) as Float32Array,
      shape,
    );
  });
  const result = model.predict(xs.length === 1 ? xs[0]! : xs);
  const list = Array.isArray(result) ? result : [result];
  const outputs = list.map((t, i) => ({ name: model.outputNames[i] ?? `output${i}`, shape: t.shape, data: Float64Array.from(t.dataSync() as ArrayLike<number>) }));
  list.forEach((t) => t.dispose());
  xs.forEach((t) => t.dispose());
  model.dispose();
  return { ok: true, outputs };
}

/** Runs ONNX bytes in stock onnxruntime-node at the `basic` optimization level on seeded inputs. */
export async function runOnnx(bytes: Uint8Array, shapes: ReadonlyMap<string, number[]>, seed: number): Promise<RunResult> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "basic" });
  const next = rng(seed);
  const feeds: Record<string, import("onnxruntime-node").Tensor> = {};
  // Symbolic names of unknown leading dimensions: the batch axis of every input naming them too.
  const batchNames = new Set<string>();
  for (const meta of session.inputMetadata) {
    const d0 = meta.isTensor ? meta.shape[0] : undefined;
    if (typeof d0 === "string" && d0 !== "") batchNames.add(d0);
  }
  // Some input with an unknown dimension 0: the batch is fed there.
  const batched = session.inputMetadata.some((m) => m.isTensor && m.shape.length > 0 && !(typeof m.shape[0] === "number" && m.shape[0] >= 0));
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) return { ok: false, reason: `input ${meta.name} is not a tensor` };
    const declared = meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : null));
    const named = meta.shape.findIndex((d) => typeof d === "string" && batchNames.has(d));
    // Unnamed dimensions (silero v5's state [2, ?, 128]): a fixed dim 0 and exactly one unknown
    // dimension after it, beside batched inputs, is a batch axis past dim 0.
    const unknown = declared.flatMap((d, i) => (d === null ? [i] : []));
    const lone = batched && declared[0] !== null && unknown.length === 1 ? unknown[0]! : -1;
    const axis = named > 0 ? named : lone;
    const spec = { name: meta.name, shape: declared, dtype: meta.type, ...(axis > 0 ? { batchAxis: axis } : {}) };
    const shape = concreteShape(spec, shapes, 2);
    if (typeof shape === "string") return { ok: false, reason: shape };
    const count = shape.reduce((a, b) => a * b, 1);
    const dtype: string = meta.type;
    const values = inputValues(dtype, count, next);
    feeds[meta.name] = new ort.Tensor(meta.type as never, values as never, shape);
  }
  const result = await session.run(feeds);
  const outputs = session.outputNames.map((name) => {
    const t = result[name]!;
    const raw = t.data as ArrayLike<number | bigint>;
    return { name, shape: [...t.dims], data: Float64Array.from(raw as ArrayLike<number>, (v) => Number(v)) };
  });
  await session.release();
  return { ok: true, outputs };
}
