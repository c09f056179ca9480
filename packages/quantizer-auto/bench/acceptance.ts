/**
 * Acceptance measurements (issue 11): small TensorFlow.js models built here with float32 weights,
 * including sparse, outlier-heavy 1×1 convolutions (most weights ≈ 1e-4, a handful near 0.5)
 * followed by layers that rely on those small weights (as after folding a batch norm). Every
 * method quantizes the kernels; the worst-output relative error is measured on 64 seeded random
 * inputs in [0, 1) (seed 9001, independent of the 256 calibration inputs `auto` uses by default, seed 1);
 * sizes are fixed-length codes + serialized codebooks (`codedBits`).
 *
 *   pnpm --filter @quantforge/quantizer-auto bench:acceptance
 */
import { dequantizeModel, type ModelProbe, type QuantizerPlugin, type WeightSet, type WeightTensor } from "@quantforge/core";
import { CollectingDiagnostics, createRunContext, DEFAULT_FIDELITY_SETTINGS, defaultSelector, FidelityMeter, instantiate } from "@quantforge/core/host";
import { sensitivityReport } from "@quantforge/evaluator-fidelity";
import { getTf } from "@quantforge/model-tfjs";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { supportRegionQuantizer } from "@quantforge/quantizer-support-region";
import { tfjsAffineQuantizer } from "@quantforge/quantizer-tfjs-affine";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { autoQuantizer, codedBits } from "../src/index.js";

type Tf = Awaited<ReturnType<typeof getTf>>;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Most weights ≈ 1e-4 (random sign and size), a handful near ±0.5. */
function sparseOutliers(n: number, r: () => number, outliers: number): Float32Array {
  const a = Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * 1e-4 * (0.2 + 1.6 * r()));
  for (let k = 0; k < outliers; k++) a[Math.floor(r() * n)] = (r() < 0.5 ? -1 : 1) * (0.4 + 0.2 * r());
  return a;
}

interface Built {
  readonly name: string;
  readonly probe: ModelProbe;
}

/** A tfjs functional model as a ModelProbe: weights by variable name, every output by name. */
function probeOf(tf: Tf, name: string, model: import("@tensorflow/tfjs").LayersModel, inputShape: number[], setup: (w: WeightTensor, r: () => number) => Float32Array): Built {
  const r = lcg(42);
  const weights: WeightTensor[] = model.weights.map((v) => {
    const shape = v.shape as number[];
    const isKernel = /kernel/.test(v.name);
    // Seeded Glorot-uniform kernels and small biases (tfjs initializers use Math.random).
    const fanOut = shape[shape.length - 1]!,
      fanIn = shape.reduce((a, b) => a * b, 1) / fanOut;
    const lim = Math.sqrt(6 / (fanIn + fanOut));
    const init = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (isKernel ? (2 * r() - 1) * lim : (2 * r() - 1) * 0.05));
    const w: WeightTensor = { name: v.name, shape, data: init, role: isKernel ? "weight" : "bias" };
    return { ...w, data: setup(w, r) };
  });
  const predictOutputs = async (ws: WeightSet, x: Float32Array, count: number) => {
    model.setWeights(ws.map((t) => tf.tensor(t.data, [...t.shape])));
    const xs = tf.tensor(x, [count, ...inputShape]);
    const ys = model.predict(xs) as import("@tensorflow/tfjs").Tensor | import("@tensorflow/tfjs").Tensor[];
    const list = Array.isArray(ys) ? ys : [ys];
    const out = list.map((y, i) => ({ name: model.outputNames[i]!, shape: y.shape.slice(1) as number[], data: y.dataSync() as Float32Array }));
    xs.dispose();
    list.forEach((y) => y.dispose());
    return out;
  };
  return { name, probe: { id: name, weights, inputShape, forward: { predict: async (ws, x, c) => (await predictOutputs(ws, x, c))[0]!.data, predictOutputs } } };
}

function build(tf: Tf): Built[] {
  const out: Built[] = [];
  // 1. conv 3×3 → sparse outlier 1×1 conv → 1×1 conv compensating the small scale (×1/3e-3) → two heads.
  {
    const x = tf.input({ shape: [8, 8, 8] });
    const c1 = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }).apply(x) as import("@tensorflow/tfjs").SymbolicTensor;
    const pw = tf.layers.conv2d({ filters: 16, kernelSize: 1, name: "pw_sparse" }).apply(c1) as import("@tensorflow/tfjs").SymbolicTensor;
    const c3 = tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: "relu", name: "pw_after" }).apply(pw) as import("@tensorflow/tfjs").SymbolicTensor;
    const gp = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(c3) as import("@tensorflow/tfjs").SymbolicTensor;
    const cls = tf.layers.dense({ units: 10, activation: "softmax", name: "classes" }).apply(gp) as import("@tensorflow/tfjs").SymbolicTensor;
    const reg = tf.layers.dense({ units: 4, name: "box" }).apply(gp) as import("@tensorflow/tfjs").SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: [cls, reg] });
    out.push(
      probeOf(tf, "sparse-1x1-two-heads", m, [8, 8, 8], (w, r) => {
        if (w.name.includes("pw_sparse") && w.role === "weight") return sparseOutliers(w.data.length, r, 6);
        if (w.name.includes("pw_after") && w.role === "weight") return w.data.map((v) => v / 3e-3);
        return w.data;
      }),
    );
  }
  // 2. MLP whose middle dense layer is sparse/outlier-heavy, next layer rescaled.
  {
    const x = tf.input({ shape: [32] });
    const d1 = tf.layers.dense({ units: 64, activation: "relu", name: "d1" }).apply(x) as import("@tensorflow/tfjs").SymbolicTensor;
    const d2 = tf.layers.dense({ units: 64, name: "d2_sparse" }).apply(d1) as import("@tensorflow/tfjs").SymbolicTensor;
    const d3 = tf.layers.dense({ units: 10, name: "logits" }).apply(d2) as import("@tensorflow/tfjs").SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: d3 });
    out.push(
      probeOf(tf, "mlp-sparse-dense", m, [32], (w, r) => {
        if (w.name.includes("d2_sparse") && w.role === "weight") return sparseOutliers(w.data.length, r, 8);
        if (w.name.includes("logits") && w.role === "weight") return w.data.map((v) => v / 3e-3);
        return w.data;
      }),
    );
  }
  // 3. Conv net with per-output-channel scales spread over three decades (BN folded) and a 1×1 sparse conv.
  {
    const x = tf.input({ shape: [6, 6, 4] });
    const c1 = tf.layers.conv2d({ filters: 24, kernelSize: 3, padding: "same", activation: "relu", name: "c1_scaled" }).apply(x) as import("@tensorflow/tfjs").SymbolicTensor;
    const pw = tf.layers.conv2d({ filters: 24, kernelSize: 1, activation: "relu", name: "pw_sparse" }).apply(c1) as import("@tensorflow/tfjs").SymbolicTensor;
    const f = tf.layers.flatten().apply(pw) as import("@tensorflow/tfjs").SymbolicTensor;
    const y = tf.layers.dense({ units: 8, name: "out" }).apply(f) as import("@tensorflow/tfjs").SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: y });
    out.push(
      probeOf(tf, "bn-folded-conv", m, [6, 6, 4], (w, r) => {
        if (w.name.includes("c1_scaled") && w.role === "weight") {
          const C = w.shape[3]!,
            scale = Array.from({ length: C }, (_, c) => 10 ** ((-3 * c) / (C - 1)));
          return w.data.map((v, i) => v * scale[i % C]!);
        }
        if (w.name.includes("pw_sparse") && w.role === "weight") return sparseOutliers(w.data.length, r, 5).map((v, i) => v * 10 ** ((3 * (Math.floor(i / 24) % 24)) / 23));
        if (w.name.includes("out") && w.role === "weight") return w.data.map((v) => v * 30);
        return w.data;
      }),
    );
  }
  // 4. conv 3×3 → 1×1 conv whose weights are ≈ 1e-4 except 6 values near ±0.5, all in 2 of its 32
  //    output channels → batch norm (not folded; not quantized) normalising every channel → relu →
  //    1×1 conv → two heads. Outliers concentrated in a few output channels, as in real models.
  {
    const x = tf.input({ shape: [8, 8, 8] });
    const c1 = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }).apply(x) as import("@tensorflow/tfjs").SymbolicTensor;
    const pw = tf.layers.conv2d({ filters: 32, kernelSize: 1, useBias: false, name: "pw_sparse" }).apply(c1) as import("@tensorflow/tfjs").SymbolicTensor;
    const bn = tf.layers.batchNormalization({ epsilon: 1e-12, name: "bn" }).apply(pw) as import("@tensorflow/tfjs").SymbolicTensor;
    const act = tf.layers.activation({ activation: "relu" }).apply(bn) as import("@tensorflow/tfjs").SymbolicTensor;
    const c3 = tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: "relu", name: "pw_after" }).apply(act) as import("@tensorflow/tfjs").SymbolicTensor;
    const gp = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(c3) as import("@tensorflow/tfjs").SymbolicTensor;
    const cls = tf.layers.dense({ units: 10, activation: "softmax", name: "classes" }).apply(gp) as import("@tensorflow/tfjs").SymbolicTensor;
    const reg = tf.layers.dense({ units: 4, name: "box" }).apply(gp) as import("@tensorflow/tfjs").SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: [cls, reg] });
    out.push(
      probeOf(
        tf,
        "sparse-1x1-outlier-channels",
        m,
        [8, 8, 8],
        withBatchNorm("pw_sparse", "bn", (w, r) => sparseOutliersInChannels(w.shape, r, [5, 21], 6)),
      ),
    );
  }
  // 5. The same pattern in a dense MLP: the middle dense kernel [64, 32] is ≈ 1e-4 except 8 values
  //    near ±0.5 in 3 of its 32 output units → batch norm → relu → dense logits.
  {
    const x = tf.input({ shape: [32] });
    const d1 = tf.layers.dense({ units: 64, activation: "relu", name: "d1" }).apply(x) as import("@tensorflow/tfjs").SymbolicTensor;
    const d2 = tf.layers.dense({ units: 32, useBias: false, name: "d2_sparse" }).apply(d1) as import("@tensorflow/tfjs").SymbolicTensor;
    const bn = tf.layers.batchNormalization({ epsilon: 1e-12, name: "bn" }).apply(d2) as import("@tensorflow/tfjs").SymbolicTensor;
    const act = tf.layers.activation({ activation: "relu" }).apply(bn) as import("@tensorflow/tfjs").SymbolicTensor;
    const d3 = tf.layers.dense({ units: 10, name: "logits" }).apply(act) as import("@tensorflow/tfjs").SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: d3 });
    out.push(
      probeOf(
        tf,
        "mlp-outlier-units",
        m,
        [32],
        withBatchNorm("d2_sparse", "bn", (w, r) => sparseOutliersInChannels(w.shape, r, [3, 17, 30], 8)),
      ),
    );
  }
  // 6. Outliers in a few input rows instead: dense → batch norm with a small gain (1e-3) on 2 of
  //    its 64 units (not quantized) → dense kernel [64, 32] ≈ 1e-4 except rows 3 and 40, which are
  //    near ±0.5 in every output unit (compensating the small gain) → dense logits. Every output
  //    channel holds outliers; a group of 32 (one input row here) holds either outliers or none.
  {
    const x = tf.input({ shape: [32] });
    const d1 = tf.layers.dense({ units: 64, activation: "relu", name: "d1" }).apply(x) as import("@tensorflow/tfjs").SymbolicTensor;
    const bn = tf.layers.batchNormalization({ epsilon: 1e-12, name: "bn_gain" }).apply(d1) as import("@tensorflow/tfjs").SymbolicTensor;
    const d2 = tf.layers.dense({ units: 32, name: "d2_rows" }).apply(bn) as import("@tensorflow/tfjs").SymbolicTensor;
    const d3 = tf.layers.dense({ units: 10, name: "logits" }).apply(d2) as import("@tensorflow/tfjs").SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: d3 });
    const rows = [3, 40];
    out.push(
      probeOf(tf, "mlp-outlier-rows", m, [32], (w, r) => {
        if (w.name.startsWith("bn_gain/")) {
          if (w.name.includes("/gamma")) return w.data.map((_, i) => (rows.includes(i) ? 1e-3 : 1));
          if (w.name.includes("/moving_variance")) return w.data.map(() => 1);
          return w.data.map(() => 0); // beta, moving_mean
        }
        if (w.name.startsWith("d2_rows/") && w.role === "weight") {
          const a = sparseOutliers(w.data.length, r, 0),
            cout = w.shape[1]!;
          for (const row of rows) for (let c = 0; c < cout; c++) a[row * cout + c] = (r() < 0.5 ? -1 : 1) * (0.4 + 0.2 * r());
          return a;
        }
        return w.data;
      }),
    );
  }
  return out;
}

/**
 * Most weights ≈ 1e-4, `outliers` values near ±0.5 placed only in the given output channels (last
 * axis of a tfjs kernel [..., cout]), at random input rows.
 */
function sparseOutliersInChannels(shape: readonly number[], r: () => number, channels: readonly number[], outliers: number): Float32Array {
  const cout = shape[shape.length - 1]!,
    n = shape.reduce((a, b) => a * b, 1),
    rows = n / cout;
  const a = sparseOutliers(n, r, 0);
  for (let k = 0; k < outliers; k++) a[Math.floor(r() * rows) * cout + channels[k % channels.length]!] = (r() < 0.5 ? -1 : 1) * (0.4 + 0.2 * r());
  return a;
}

/**
 * Weight setup for a model with a batch norm after the kernel `kernelLayer`: the kernel from
 * `kernel`, and the batch norm's moving mean/variance set to each channel's output mean/variance
 * for inputs ≈ U[0, 1) through the relu conv before it (estimated from the kernel's column norms:
 * mean ≈ 0, variance ≈ 0.1 · Σ_i w_ic²), γ = 1, β = 0 — a trained network's statistics, which
 * bring the ≈ 1e-4 channels and the outlier channels to the same scale. BN parameters are not
 * quantized (role "bias", outside the default selector).
 */
function withBatchNorm(kernelLayer: string, bnLayer: string, kernel: (w: WeightTensor, r: () => number) => Float32Array): (w: WeightTensor, r: () => number) => Float32Array {
  let colSq: Float64Array | undefined;
  return (w, r) => {
    if (w.name.startsWith(`${kernelLayer}/`) && w.role === "weight") {
      const k = kernel(w, r),
        cout = w.shape[w.shape.length - 1]!;
      colSq = new Float64Array(cout);
      for (let i = 0; i < k.length; i++) colSq[i % cout]! += k[i]! ** 2;
      return k;
    }
    if (!w.name.startsWith(`${bnLayer}/`)) return w.data;
    // tfjs suffixes repeated variable names (bn/gamma_1, …) across models.
    if (w.name.includes("/gamma")) return w.data.map(() => 1);
    if (w.name.includes("/moving_variance")) return Float32Array.from(colSq!, (v) => 0.1 * v);
    return w.data.map(() => 0); // beta, moving_mean
  };
}

/** Exact 1-D k-means per tensor: one `levels` codebook of float32 levels per tensor. */
const KMEANS = { mode: "kmeans", importance: "none", scope: "layer" } as const;

async function main(): Promise<void> {
  const tf = await getTf();
  const models = build(tf);
  const singles: [string, QuantizerPlugin, Record<string, unknown>][] = [
    ["rtn tensor", rtnQuantizer(), { granularity: "tensor" }],
    ["rtn channel", rtnQuantizer(), { granularity: "channel", axis: -1 }],
    ["rtn input channel", rtnQuantizer(), { granularity: "channel", axis: -2 }],
    ["rtn group32", rtnQuantizer(), { granularity: "group", groupSize: 32 }],
    ["rtn group64", rtnQuantizer(), { granularity: "group", groupSize: 64 }],
    ["rtn group128", rtnQuantizer(), { granularity: "group", groupSize: 128 }],
    ["uniform-mse tensor (midrise)", uniformMseQuantizer(), {}],
    ["uniform-mse channel (midrise)", uniformMseQuantizer(), { granularity: "channel" }],
    ["uniform-mse channel midtread", uniformMseQuantizer(), { granularity: "channel", midtread: true }],
    ["support-region layer", supportRegionQuantizer(), {}],
    ["support-region layer midtread", supportRegionQuantizer(), { midtread: true }],
    ["k-means (hessian-ecsq, per tensor)", hessianEcsqQuantizer(), KMEANS],
  ];
  const plugins = [rtnQuantizer(), uniformMseQuantizer(), supportRegionQuantizer(), hessianEcsqQuantizer()];
  for (const { name, probe } of models) {
    const selected = probe.weights.filter(defaultSelector);
    const n = selected.reduce((a, t) => a + t.data.length, 0);
    const meter = new FidelityMeter(probe, probe.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 64 }, 9001);
    const run = async (label: string, p: QuantizerPlugin, o: Record<string, unknown>, choices = false): Promise<{ worst: number; bpw: number }> => {
      const diagnostics = new CollectingDiagnostics();
      const qm = await instantiate(p, o).quantize(selected, createRunContext({ seed: 1, model: probe, diagnostics }));
      const dec = dequantizeModel(qm, probe.weights);
      const r = await meter.measure(dec);
      const per = r.outputs.map((x) => `${x.name}=${x.relError.value?.toExponential(3)}`).join(" ");
      const bpw = codedBits(qm) / n;
      console.log(`| ${name} | ${label} | ${bpw.toFixed(3)} | ${r.worst.value?.toExponential(3)} | ${per} |`);
      if (choices) for (const d of diagnostics.items.filter((x) => x.ruleId === "choice")) console.log(`|  |   ↳ ${d.message.replace(/\|/g, "/")} | | | |`);
      return { worst: r.worst.value!, bpw };
    };
    console.log(`\n### ${name} (${n} kernel weights)\n\n| model | method | bits/weight | worst-output rel. error | per output |\n|---|---|---:|---:|---|`);
    const base = await run("tfjs-affine uint8 (tfjs-converter)", tfjsAffineQuantizer(), { dtype: "uint8" });
    const ch8 = await run("rtn channel 8-bit", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 });
    // Groups are row-major runs: along cout inside one input row of a tfjs kernel [kh, kw, cin, cout] / [in, out].
    const g32 = await run("rtn group32 8-bit", rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 32 });
    const g128 = await run("rtn group128 8-bit", rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 128 });
    const in8 = await run("rtn input-channel 8-bit", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -2 });
    const km8 = await run("k-means 8-bit", hessianEcsqQuantizer(), { ...KMEANS, bits: 8 });
    const a8 = await run("auto, budget 8 bits/weight", autoQuantizer({ plugins }), { bits: 8 }, true);
    const a8s = await run("auto, budget = rtn channel 8-bit's size", autoQuantizer({ plugins }), { bits: ch8.bpw });
    const ratio = (x: { worst: number }) => `${(base.worst / x.worst).toFixed(1)}×`;
    console.log(`\nvs tfjs-affine uint8, worst-output error lower by: per-channel 8-bit ${ratio(ch8)}, group32 8-bit ${ratio(g32)}, group128 8-bit ${ratio(g128)}, input-channel 8-bit ${ratio(in8)}, k-means 8-bit ${ratio(km8)}`);
    console.log(
      `per-channel 8-bit vs tfjs-affine uint8: ${(base.worst / ch8.worst).toFixed(1)}× lower worst-output error; auto@8 b/w ≤ per-channel: ${a8.worst <= ch8.worst}; auto at per-channel's size ≤ per-channel: ${a8s.worst <= ch8.worst}`,
    );
    // Which tensor carries the 8-bit error: each tensor quantized alone (same evaluation inputs).
    console.log(`\n| model | 8-bit method | tensor | worst-output error alone | tensor SQNR dB |\n|---|---|---|---:|---:|`);
    for (const [l, p, o] of [
      ["tfjs-affine uint8", tfjsAffineQuantizer(), { dtype: "uint8" }],
      ["rtn channel", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }],
      ["rtn group32", rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 32 }],
      ["rtn input channel", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -2 }],
      ["k-means", hessianEcsqQuantizer(), { ...KMEANS, bits: 8 }],
    ] as const) {
      const rep = await sensitivityReport(probe, { quantizer: instantiate(p as QuantizerPlugin, o), seed: 9001, settings: { ...DEFAULT_FIDELITY_SETTINGS, samples: 64 } });
      for (const row of rep.rows) console.log(`| ${name} | ${l} | ${row.tensor} | ${row.outputRelErrorWorst.value?.toExponential(3)} | ${row.sqnrDb.value?.toFixed(2)} |`);
    }
    console.log(`\n| model | single method at 4 bits | its bits/weight | its worst error | auto at the same size | auto lower? |\n|---|---|---:|---:|---:|---|`);
    for (const [l, p, o] of singles) {
      let single: { worst: number; bpw: number };
      const quiet = console.log;
      console.log = () => {};
      try {
        single = await run(`${l} 4-bit`, p, { ...o, bits: 4 });
        const a = await run("auto", autoQuantizer({ plugins }), { bits: single.bpw });
        console.log = quiet;
        console.log(`| ${name} | ${l} | ${single.bpw.toFixed(3)} | ${single.worst.toExponential(3)} | ${a.worst.toExponential(3)} (${a.bpw.toFixed(3)} b/w) | ${a.worst <= single.worst ? "yes" : "no"} |`);
      } catch (e) {
        console.log = quiet;
        console.log(`| ${name} | ${l} | — | failed: ${(e as Error).message.split("\n")[0]} | | |`);
      }
    }
    console.log(`\n| model | method | bits/weight | worst-output rel. error | per output |\n|---|---|---:|---:|---|`);
    await run("auto, budget 4 bits/weight", autoQuantizer({ plugins }), { bits: 4 });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
