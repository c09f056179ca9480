/**
 * Writes the issue-11 acceptance graph models: small TensorFlow.js graph models (float32 weights,
 * GraphDef topology in tfjs-converter's conventions, see graph-builder.ts) with sparse,
 * outlier-heavy 1×1 convolutions and dense layers, a depthwise block with folded batch norms, and
 * two controls. Deterministic: seeded weights; batch-norm statistics are measured on the built
 * graph with stock tfjs (CPU backend) on seeded uniform [0, 1) inputs — the fidelity evaluator's
 * documented input range — drawn from their own seed (not the evaluation or calibration inputs).
 *
 *   pnpm --filter @quantforge/quantizer-auto bench:graph-models   # writes bench/graph-models/<name>/
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Rng } from "@quantforge/core";
import { getTf } from "@quantforge/model-tfjs";
import { GraphBuilder, SHARD_FILE, type ModelFiles } from "./graph-builder.js";

type Tf = Awaited<ReturnType<typeof getTf>>;
type Tensor = ReturnType<Tf["tensor"]>;

/** Where the committed models live. */
export const GRAPH_MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), "graph-models");

/** One generated model: its name, what it is, its files. */
export interface GeneratedModel {
  readonly name: string;
  readonly description: string;
  readonly files: ModelFiles;
}

/** Samples and seed of the inputs the batch-norm statistics are measured on. */
const STATS_SAMPLES = 256;
const STATS_SEED = 7;

const IMAGE: readonly [number, number, number] = [16, 16, 3];
const MLP_IN = 48;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Glorot-uniform values (Keras fan-in/fan-out: receptive field × channels). */
function glorot(r: Rng, shape: readonly number[]): Float32Array {
  const rf = size(shape.slice(0, -2)),
    fanIn = rf * shape[shape.length - 2]!,
    fanOut = rf * shape[shape.length - 1]!;
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return Float32Array.from({ length: size(shape) }, () => (2 * r.float() - 1) * lim);
}

/** Laplacian values with Glorot's variance (heavier tails, as trained weights have). */
function laplacianGlorot(r: Rng, shape: readonly number[]): Float32Array {
  const rf = size(shape.slice(0, -2)),
    fanIn = rf * shape[shape.length - 2]!,
    fanOut = rf * shape[shape.length - 1]!;
  const sigma = Math.sqrt(2 / (fanIn + fanOut));
  return Float32Array.from({ length: size(shape) }, () => r.laplace(sigma));
}

const smallBias = (r: Rng, n: number, a = 0.05) => Float32Array.from({ length: n }, () => (2 * r.float() - 1) * a);
const sign = (r: Rng) => (r.float() < 0.5 ? -1 : 1);
const small = (r: Rng) => sign(r) * 1e-4 * (0.2 + 1.6 * r.float());
const outlier = (r: Rng) => sign(r) * (0.4 + 0.2 * r.float());

/** ≈ 1e-4 everywhere (random sign and size). */
function tiny(r: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => small(r));
}

/**
 * A kernel [..., cout] ≈ 1e-4 except `count` values near ±0.5 placed round-robin in the given
 * output channels, each at a random input row not used before in that channel.
 */
function outliersInChannels(r: Rng, shape: readonly number[], channels: readonly number[], count: number): Float32Array {
  const cout = shape[shape.length - 1]!,
    rows = size(shape) / cout;
  const a = tiny(r, size(shape));
  const used = new Set<number>();
  for (let k = 0; k < count; k++) {
    let i: number;
    do i = r.int(0, rows - 1) * cout + channels[k % channels.length]!;
    while (used.has(i));
    used.add(i);
    a[i] = outlier(r);
  }
  return a;
}

/** Runs the model built so far and returns node `node`'s output (NHWC or [N, C]) on the stats inputs. */
async function probe(tf: Tf, g: GraphBuilder, inputShape: readonly number[], node: string): Promise<{ data: Float32Array; channels: number }> {
  const files = g.files({ description: "" });
  const json = JSON.parse(new TextDecoder().decode(files.get("model.json")!)) as { modelTopology: object; weightsManifest: { weights: unknown[] }[]; signature: object };
  const shard = files.get(SHARD_FILE)!;
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0]!.weights as never,
      weightData: shard.slice().buffer,
      signature: json.signature,
    }),
  );
  const rng = new Rng(STATS_SEED).fork("bn-stats");
  const x = Float32Array.from({ length: STATS_SAMPLES * size(inputShape) }, () => rng.float());
  const xt = tf.tensor(x, [STATS_SAMPLES, ...inputShape]);
  const y = model.execute({ x: xt }, node) as Tensor;
  const data = y.dataSync() as Float32Array;
  const channels = y.shape[y.shape.length - 1]!;
  xt.dispose();
  y.dispose();
  model.dispose();
  return { data: Float32Array.from(data), channels };
}

/** Per-channel mean and variance (float64 sums) of a [..., C] activation; variance 1 for a constant channel. */
function channelStats(data: Float32Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const n = data.length / channels,
    mean = new Float64Array(channels),
    sq = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = i % channels,
      v = data[i]!;
    mean[c]! += v;
    sq[c]! += v * v;
  }
  const variance = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    mean[c]! /= n;
    // A dead (relu-zero) channel has no variance; a batch norm leaves it at 0 whatever its scale.
    const v = sq[c]! / n - mean[c]! ** 2;
    variance[c] = v > 0 ? v : 1;
  }
  return { mean, variance };
}

/**
 * Fills an unfolded `FusedBatchNormV3` with the statistics a trained network would hold: moving
 * mean/variance = each channel's measured statistics; γ such that every channel leaves with unit
 * variance despite ε (γ = √((v + ε)/v): a channel of variance ≈ 1e-7 would otherwise be shrunk by
 * ε = 1e-3, and training would have grown γ to undo that); β small and random.
 */
async function fitBatchNorm(tf: Tf, g: GraphBuilder, r: Rng, layer: string, preNode: string, epsilon: number): Promise<void> {
  const { data, channels } = await probe(tf, g, IMAGE, preNode);
  const { mean, variance } = channelStats(data, channels);
  g.setConstant(`${layer}/moving_mean`, Float32Array.from(mean));
  g.setConstant(`${layer}/moving_variance`, Float32Array.from(variance));
  g.setConstant(
    `${layer}/gamma`,
    Float32Array.from(variance, (v) => Math.sqrt((v + epsilon) / v)),
  );
  g.setConstant(
    `${layer}/beta`,
    Float32Array.from({ length: channels }, () => 0.1 * r.normal()),
  );
}

/** Per-unit scale/offset (an unfolded batch norm as `Mul`/`AddV2`) normalising the measured statistics, times `gain`. */
async function fitScaleShift(tf: Tf, g: GraphBuilder, r: Rng, layer: string, preNode: string, inputShape: readonly number[], gain: (c: number) => number = () => 1): Promise<void> {
  const { data, channels } = await probe(tf, g, inputShape, preNode);
  const { mean, variance } = channelStats(data, channels);
  const scale = Float64Array.from(variance, (v, c) => gain(c) / Math.sqrt(v));
  g.setConstant(`${layer}/scale`, Float32Array.from(scale));
  g.setConstant(
    `${layer}/offset`,
    Float32Array.from(mean, (m, c) => -m * scale[c]! + gain(c) * 0.1 * r.normal()),
  );
}

const ones = (n: number) => new Float32Array(n).fill(1);

/** a. conv 3×3 → sparse 1×1 (outliers in 2 of 32 output channels) → unfolded batch norm → relu → 1×1 → mean → classes + box. */
async function sparsePwBn(tf: Tf): Promise<GeneratedModel> {
  const r = new Rng(101),
    g = new GraphBuilder();
  const x = g.input("x", IMAGE);
  const c1 = g.conv("c1", x, glorot(r, [3, 3, 3, 32]), [3, 3, 3, 32], { bias: smallBias(r, 32), activation: "Relu" });
  const pw = g.conv("pw_sparse", c1, outliersInChannels(r, [1, 1, 32, 32], [5, 21], 6), [1, 1, 32, 32]);
  const bn = g.batchNorm("bn", pw, 32, 1e-3);
  const act = g.unary("bn/Relu", "Relu", bn);
  const pw2 = g.conv("pw2", act, glorot(r, [1, 1, 32, 64]), [1, 1, 32, 64], { bias: smallBias(r, 64), activation: "Relu" });
  const gap = g.globalMean("gap", pw2);
  g.output("classes", g.unary("classes/Softmax", "Softmax", g.matmul("classes", gap, glorot(r, [64, 10]), [64, 10], { bias: smallBias(r, 10) })), [10]);
  g.output("box", g.matmul("box", gap, glorot(r, [64, 4]), [64, 4], { bias: smallBias(r, 4) }), [4]);
  await fitBatchNorm(tf, g, r, "bn", pw, 1e-3);
  const description =
    "conv 3x3 (relu) -> 1x1 conv 32->32, weights ~1e-4 except 6 near +-0.5 in output channels 5 and 21 -> FusedBatchNormV3 (not folded; statistics of U[0,1) inputs) -> relu -> 1x1 conv -> global mean -> classes (softmax), box (linear)";
  return { name: "sparse-pw-bn", description, files: g.files({ description }) };
}

/** b. The sparse 1×1 conv's outlier channels feed objectness, its ≈ 1e-4 channels feed box regression (SplitV on channels). */
async function sparsePwSplitHeads(tf: Tf): Promise<GeneratedModel> {
  const r = new Rng(102),
    g = new GraphBuilder();
  const x = g.input("x", IMAGE);
  const c1 = g.conv("c1", x, glorot(r, [3, 3, 3, 32]), [3, 3, 3, 32], { bias: smallBias(r, 32), activation: "Relu" });
  const pw = g.conv("pw_sparse", c1, outliersInChannels(r, [1, 1, 32, 32], [0, 1, 2, 3], 8), [1, 1, 32, 32]);
  const [objIn, boxIn] = g.splitV("heads/split", pw, [4, 28], 3) as [string, string];
  const objAct = g.unary("obj/Relu", "Relu", objIn);
  g.output("objectness", g.unary("obj/Sigmoid", "Sigmoid", g.conv("obj", objAct, glorot(r, [1, 1, 4, 3]), [1, 1, 4, 3], { bias: smallBias(r, 3) })), [...IMAGE.slice(0, 2), 3]);
  // The box head reads the ≈ 1e-4 channels linearly; trained without a batch norm its weights grow
  // to match their scale: one factor, 1 / (RMS of those 28 channels on the stats inputs).
  const boxShape = [1, 1, 28, 12] as const;
  const boxW = glorot(r, boxShape),
    boxB = smallBias(r, 12);
  g.output("box", g.conv("box", boxIn, boxW, boxShape, { bias: boxB }), [...IMAGE.slice(0, 2), 12]);
  const { data } = await probe(tf, g, IMAGE, boxIn);
  let sq = 0;
  for (const v of data) sq += v * v;
  const rms = Math.sqrt(sq / data.length);
  g.setConstant(
    "box/weights",
    boxW.map((v) => v / rms),
  );
  const description =
    "conv 3x3 (relu) -> 1x1 conv 32->32, weights ~1e-4 except 8 near +-0.5 in output channels 0-3 -> SplitV [4, 28] on channels: channels 0-3 -> relu -> 1x1 conv -> sigmoid objectness map; channels 4-31 (only ~1e-4 weights) -> 1x1 conv, weights scaled by one factor to their activation scale -> linear box regression map";
  return { name: "sparse-pw-split-heads", description, files: g.files({ description }) };
}

/**
 * c. MobileNet block with batch norms folded: conv 3×3 (relu6) → depthwise 3×3 whose channel scales
 * span three decades (folded γ/σ) → relu6 → 1×1 projection whose input row c carries 1/s_c — the
 * inverse of cross-layer equalisation (Nagel et al. 2019): every depthwise channel contributes
 * equally to the projection's output.
 */
async function dwFoldedBn(): Promise<GeneratedModel> {
  const r = new Rng(103),
    g = new GraphBuilder();
  const x = g.input("x", IMAGE);
  const c1 = g.conv("c1", x, glorot(r, [3, 3, 3, 32]), [3, 3, 3, 32], { bias: smallBias(r, 32), activation: "Relu6" });
  const order = Array.from({ length: 32 }, (_, c) => c);
  r.shuffle(order);
  const s = order.map((k) => 10 ** ((-3 * k) / 31));
  const dwShape = [3, 3, 32, 1] as const;
  // Glorot-uniform for a depthwise 3×3 (fan-in = fan-out = 9) times the channel's folded scale.
  const dwW = Float32Array.from({ length: size(dwShape) }, (_, i) => (2 * r.float() - 1) * Math.sqrt(6 / 18) * s[i % 32]!);
  const dwB = Float32Array.from(s, (sc) => sc * 0.1 * r.normal());
  const dw = g.conv("dw", c1, dwW, dwShape, { bias: dwB, activation: "Relu6", depthwise: true });
  const projShape = [1, 1, 32, 64] as const;
  const projW = glorot(r, projShape).map((v, i) => v / s[Math.floor(i / 64)]!);
  const proj = g.conv("proj", dw, projW, projShape, { bias: smallBias(r, 64), activation: "Relu6" });
  const gap = g.globalMean("gap", proj);
  g.output("classes", g.unary("classes/Softmax", "Softmax", g.matmul("classes", gap, glorot(r, [64, 10]), [64, 10], { bias: smallBias(r, 10) })), [10]);
  g.output("embedding", g.matmul("embedding", gap, glorot(r, [64, 16]), [64, 16], { bias: smallBias(r, 16) }), [16]);
  const description =
    "conv 3x3 (relu6) -> FusedDepthwiseConv2dNative 3x3 with folded batch norm, channel scales 1e-3..1 -> relu6 -> 1x1 projection conv 32->64 (relu6) whose input row c is scaled by 1/s_c -> global mean -> classes (softmax), embedding (linear)";
  return { name: "dw-folded-bn", description, files: g.files({ description }) };
}

/** d. MLP: dense [48, 64] relu → [64, 32] ≈ 1e-4 except 8 near ±0.5 in 3 output units → Mul/AddV2 batch norm → relu → logits → softmax. */
async function mlpOutlierUnits(tf: Tf): Promise<GeneratedModel> {
  const r = new Rng(104),
    g = new GraphBuilder();
  const x = g.input("x", [MLP_IN]);
  const d1 = g.matmul("d1", x, glorot(r, [MLP_IN, 64]), [MLP_IN, 64], { bias: smallBias(r, 64), activation: "Relu" });
  const d2 = g.matmul("d2_sparse", d1, outliersInChannels(r, [64, 32], [3, 17, 30], 8), [64, 32]);
  const bn = g.scaleShift("bn", d2, ones(32), new Float32Array(32));
  const act = g.unary("bn/Relu", "Relu", bn);
  g.output("classes", g.unary("classes/Softmax", "Softmax", g.matmul("logits", act, glorot(r, [32, 10]), [32, 10], { bias: smallBias(r, 10) })), [10]);
  await fitScaleShift(tf, g, r, "bn", d2, [MLP_IN]);
  const description = "dense 48->64 (relu) -> MatMul 64->32, weights ~1e-4 except 8 near +-0.5 in output units 3, 17, 30 -> per-unit Mul/AddV2 (batch norm kept unfolded; statistics of U[0,1) inputs) -> relu -> dense logits -> softmax";
  return { name: "mlp-outlier-units", description, files: g.files({ description }) };
}

/** e. MLP with outliers in whole input rows: a gain of 1e-3 on units 3 and 40, compensated by rows 3 and 40 of the next kernel. */
async function mlpOutlierRows(tf: Tf): Promise<GeneratedModel> {
  const r = new Rng(105),
    g = new GraphBuilder();
  const rows = [3, 40];
  const x = g.input("x", [MLP_IN]);
  const d1 = g.matmul("d1", x, glorot(r, [MLP_IN, 64]), [MLP_IN, 64], { bias: smallBias(r, 64), activation: "Relu" });
  const bn1 = g.scaleShift("bn1", d1, ones(64), new Float32Array(64));
  const w2 = tiny(r, 64 * 32);
  for (const row of rows) for (let c = 0; c < 32; c++) w2[row * 32 + c] = outlier(r);
  const d2 = g.matmul("d2_rows", bn1, w2, [64, 32]);
  const bn2 = g.scaleShift("bn2", d2, ones(32), new Float32Array(32));
  const act = g.unary("bn2/Relu", "Relu", bn2);
  g.output("logits", g.matmul("logits", act, glorot(r, [32, 10]), [32, 10], { bias: smallBias(r, 10) }), [10]);
  await fitScaleShift(tf, g, r, "bn1", d1, [MLP_IN], (c) => (rows.includes(c) ? 1e-3 : 1));
  await fitScaleShift(tf, g, r, "bn2", d2, [MLP_IN]);
  const description =
    "dense 48->64 (relu) -> Mul/AddV2 batch norm with gain 1e-3 on units 3 and 40 -> MatMul 64->32, weights ~1e-4 except rows 3 and 40 near +-0.5 in every output unit -> Mul/AddV2 batch norm -> relu -> dense logits (linear)";
  return { name: "mlp-outlier-rows", description, files: g.files({ description }) };
}

/** f. Control: an ordinary conv net with Laplacian (Glorot-variance) weights, no outliers. */
async function plainConvnet(): Promise<GeneratedModel> {
  const r = new Rng(106),
    g = new GraphBuilder();
  const x = g.input("x", IMAGE);
  const c1 = g.conv("c1", x, laplacianGlorot(r, [3, 3, 3, 16]), [3, 3, 3, 16], { bias: smallBias(r, 16), activation: "Relu", stride: 2 });
  const c2 = g.conv("c2", c1, laplacianGlorot(r, [3, 3, 16, 32]), [3, 3, 16, 32], { bias: smallBias(r, 32), activation: "Relu", stride: 2 });
  const flat = g.reshape("flatten/Reshape", c2, [-1, 4 * 4 * 32]);
  g.output("classes", g.unary("classes/Softmax", "Softmax", g.matmul("classes", flat, laplacianGlorot(r, [512, 10]), [512, 10], { bias: smallBias(r, 10) })), [10]);
  const description = "control: conv 3x3 stride 2 (relu) -> conv 3x3 stride 2 (relu) -> Reshape -> dense -> softmax; seeded Laplacian weights with Glorot variance, no outliers";
  return { name: "plain-convnet", description, files: g.files({ description }) };
}

/** g. Control: bench model 1 — outliers at random positions of the 1×1 conv, its bias and outliers dominate, no normalisation after. */
async function sparsePwRandom(tf: Tf): Promise<GeneratedModel> {
  const r = new Rng(107),
    g = new GraphBuilder();
  const x = g.input("x", IMAGE);
  const c1 = g.conv("c1", x, glorot(r, [3, 3, 3, 16]), [3, 3, 3, 16], { bias: smallBias(r, 16), activation: "Relu" });
  const w = tiny(r, 16 * 16);
  for (let k = 0; k < 6; k++) w[r.int(0, w.length - 1)] = outlier(r);
  const pw = g.conv("pw_sparse", c1, w, [1, 1, 16, 16], { bias: smallBias(r, 16) });
  const afterShape = [1, 1, 16, 16] as const,
    afterW = glorot(r, afterShape);
  const after = g.conv("pw_after", pw, afterW, afterShape, { bias: smallBias(r, 16), activation: "Relu" });
  const gap = g.globalMean("gap", after);
  g.output("classes", g.unary("classes/Softmax", "Softmax", g.matmul("classes", gap, glorot(r, [16, 10]), [16, 10], { bias: smallBias(r, 10) })), [10]);
  g.output("box", g.matmul("box", gap, glorot(r, [16, 4]), [16, 4], { bias: smallBias(r, 4) }), [4]);
  // One scale for the whole next layer (no per-channel normalisation): its input brought to unit RMS.
  const { data } = await probe(tf, g, IMAGE, pw);
  let sq = 0;
  for (const v of data) sq += v * v;
  const rms = Math.sqrt(sq / data.length);
  g.setConstant(
    "pw_after/weights",
    afterW.map((v) => v / rms),
  );
  const description =
    "control (bench model 1): conv 3x3 (relu) -> 1x1 conv 16->16 with bias, weights ~1e-4 except 6 near +-0.5 at random positions -> 1x1 conv scaled by one factor to unit-RMS input (relu) -> global mean -> classes (softmax), box (linear)";
  return { name: "sparse-pw-random", description, files: g.files({ description }) };
}

/** Names of the generated models, in report order. */
export const GRAPH_MODEL_NAMES = ["sparse-pw-bn", "sparse-pw-split-heads", "dw-folded-bn", "mlp-outlier-units", "mlp-outlier-rows", "plain-convnet", "sparse-pw-random"] as const;

/** Builds every model (needs stock tfjs for the measured batch-norm statistics; uses the CPU backend). */
export async function buildGraphModels(): Promise<GeneratedModel[]> {
  const tf = await getTf("cpu");
  return [await sparsePwBn(tf), await sparsePwSplitHeads(tf), await dwFoldedBn(), await mlpOutlierUnits(tf), await mlpOutlierRows(tf), await plainConvnet(), await sparsePwRandom(tf)];
}

async function main(): Promise<void> {
  for (const m of await buildGraphModels()) {
    const dir = join(GRAPH_MODELS_DIR, m.name);
    await mkdir(dir, { recursive: true });
    for (const [file, bytes] of m.files) await writeFile(join(dir, file), bytes);
    console.log(`${m.name}: ${[...m.files].map(([f, b]) => `${f} ${b.length} B`).join(", ")}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
