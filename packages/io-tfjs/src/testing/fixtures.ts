import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "@quantforge/core";
import { concatBytes } from "@quantforge/core/format";

/** The tfjs namespace on the CPU backend (deterministic, no WASM start-up). */
export async function cpuTf(): Promise<typeof import("@tensorflow/tfjs")> {
  const tf = await import("@tensorflow/tfjs");
  tf.enableProdMode();
  if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
  await tf.ready();
  return tf;
}

/** A fresh temp directory and its cleanup. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "qf-io-tfjs-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const dims = (shape: readonly number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

function randomValues(rng: Rng, n: number, sigma: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.laplace(sigma);
  return out;
}

function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Names of the hand-built graph model's weights. */
export const GRAPH_WEIGHTS = { filter: "conv/filter", convBias: "conv/bias", shape: "flatten/shape", kernel: "dense/kernel", bias: "dense/bias" } as const;

/**
 * Writes a tfjs graph model assembled by hand — Placeholder [−1, 4, 4, 2] → Conv2D (3×3×2×4,
 * SAME) → BiasAdd → Relu → Reshape [−1, 64] → MatMul (64×10) → BiasAdd — as model.json plus
 * weights in two manifest groups, the first split over two shards. Float32 weights are seeded
 * Laplacian; the Reshape shape is an int32 constant. With `quantizeKernel`, the dense kernel is
 * stored with tfjs's own quantization of that dtype (as tfjs-converter would store it).
 */
export async function writeGraphModel(dir: string, opts: { seed?: number; quantizeKernel?: "uint8" | "uint16" | "float16" } = {}): Promise<string> {
  const rng = new Rng(opts.seed ?? 1);
  const filter = randomValues(rng, 3 * 3 * 2 * 4, 0.3);
  const convBias = randomValues(rng, 4, 0.1);
  const kernel = randomValues(rng, 64 * 10, 0.2);
  const bias = randomValues(rng, 10, 0.1);
  const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
  const fl = { type: "DT_FLOAT" };
  const topology = {
    node: [
      node("x", "Placeholder", [], { dtype: fl, shape: { shape: dims([-1, 4, 4, 2]) } }),
      node(GRAPH_WEIGHTS.filter, "Const", [], { dtype: fl, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims([3, 3, 2, 4]) } } }),
      node(GRAPH_WEIGHTS.convBias, "Const", [], { dtype: fl, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims([4]) } } }),
      node(GRAPH_WEIGHTS.shape, "Const", [], { dtype: { type: "DT_INT32" }, value: { tensor: { dtype: "DT_INT32", tensorShape: dims([2]) } } }),
      node(GRAPH_WEIGHTS.kernel, "Const", [], { dtype: fl, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims([64, 10]) } } }),
      node(GRAPH_WEIGHTS.bias, "Const", [], { dtype: fl, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims([10]) } } }),
      node("conv/Conv2D", "Conv2D", ["x", GRAPH_WEIGHTS.filter], {
        T: fl,
        strides: { list: { i: ["1", "1", "1", "1"] } },
        padding: { s: b64("SAME") },
        data_format: { s: b64("NHWC") },
        dilations: { list: { i: ["1", "1", "1", "1"] } },
        use_cudnn_on_gpu: { b: true },
      }),
      node("conv/BiasAdd", "BiasAdd", ["conv/Conv2D", GRAPH_WEIGHTS.convBias], { T: fl, data_format: { s: b64("NHWC") } }),
      node("conv/Relu", "Relu", ["conv/BiasAdd"], { T: fl }),
      node("flatten/Reshape", "Reshape", ["conv/Relu", GRAPH_WEIGHTS.shape], { T: fl, Tshape: { type: "DT_INT32" } }),
      node("dense/MatMul", "MatMul", ["flatten/Reshape", GRAPH_WEIGHTS.kernel], { T: fl, transpose_a: { b: false }, transpose_b: { b: false } }),
      node("dense/BiasAdd", "BiasAdd", ["dense/MatMul", GRAPH_WEIGHTS.bias], { T: fl, data_format: { s: b64("NHWC") } }),
      node("Identity", "Identity", ["dense/BiasAdd"], { T: fl }),
    ],
    library: {},
    versions: { producer: 1482 },
  };
  // Group 1: filter, conv bias, shape (split over two shards); group 2: dense kernel and bias.
  const g1 = [f32Bytes(filter), f32Bytes(convBias), new Uint8Array(Int32Array.of(-1, 64).buffer)];
  let kernelSpec: Record<string, unknown> = { name: GRAPH_WEIGHTS.kernel, shape: [64, 10], dtype: "float32" };
  let kernelBytes = f32Bytes(kernel);
  if (opts.quantizeKernel) {
    // As tfjs-converter stores it: min/max affine (no nudging needed for the check here) or halves.
    let lo = Infinity,
      hi = -Infinity;
    for (const v of kernel) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (opts.quantizeKernel === "float16") {
      const { toFloat16Bits } = await import("@quantforge/core/format");
      const h = new Uint16Array(kernel.length);
      for (let i = 0; i < kernel.length; i++) h[i] = toFloat16Bits(kernel[i]!);
      kernelBytes = new Uint8Array(h.buffer);
      kernelSpec = { ...kernelSpec, quantization: { dtype: "float16", original_dtype: "float32" } };
    } else {
      const qmax = opts.quantizeKernel === "uint8" ? 255 : 65535;
      const scale = (hi - lo) / qmax;
      const q = opts.quantizeKernel === "uint8" ? new Uint8Array(kernel.length) : new Uint16Array(kernel.length);
      for (let i = 0; i < kernel.length; i++) q[i] = Math.round((kernel[i]! - lo) / scale);
      kernelBytes = new Uint8Array(q.buffer);
      kernelSpec = { ...kernelSpec, quantization: { dtype: opts.quantizeKernel, min: lo, scale, original_dtype: "float32" } };
    }
  }
  const g2 = [kernelBytes, f32Bytes(bias)];
  const b1 = concatBytes(g1),
    b2 = concatBytes(g2);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "group1-shard1of2.bin"), b1.subarray(0, 100));
  await writeFile(join(dir, "group1-shard2of2.bin"), b1.subarray(100));
  await writeFile(join(dir, "group2-shard1of1.bin"), b2);
  const json = {
    format: "graph-model",
    generatedBy: "quantforge-test",
    convertedBy: "hand",
    modelTopology: topology,
    weightsManifest: [
      {
        paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"],
        weights: [
          { name: GRAPH_WEIGHTS.filter, shape: [3, 3, 2, 4], dtype: "float32" },
          { name: GRAPH_WEIGHTS.convBias, shape: [4], dtype: "float32" },
          { name: GRAPH_WEIGHTS.shape, shape: [2], dtype: "int32" },
        ],
      },
      { paths: ["group2-shard1of1.bin"], weights: [kernelSpec, { name: GRAPH_WEIGHTS.bias, shape: [10], dtype: "float32" }] },
    ],
  };
  const path = join(dir, "model.json");
  await writeFile(path, JSON.stringify(json));
  return path;
}

/**
 * Builds a small tfjs layers model (Conv2D → Flatten → Dense → Dense softmax) with seeded
 * weights and saves it with tfjs's own `model.save` through `tf.io.withSaveHandler`.
 */
export async function writeLayersModel(tf: typeof import("@tensorflow/tfjs"), dir: string, seed = 2): Promise<string> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 3, activation: "relu", name: "c1" }),
      tf.layers.flatten({ name: "f" }),
      tf.layers.dense({ units: 8, activation: "tanh", name: "d1" }),
      tf.layers.dense({ units: 4, activation: "softmax", name: "d2" }),
    ],
  });
  const rng = new Rng(seed);
  model.setWeights(model.getWeights().map((w) => tf.tensor(randomValues(rng, w.size, 0.4), w.shape)));
  let artifacts: import("@tensorflow/tfjs").io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  model.dispose();
  const a = artifacts!;
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "weights.bin"), data);
  const path = join(dir, "model.json");
  await writeFile(path, JSON.stringify({ modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: null, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] }));
  return path;
}

/** Seeded uniform [−1, 1) inputs of a shape. */
export function randomInput(seed: number, shape: readonly number[]): Float32Array {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.float() * 2 - 1;
  return out;
}
