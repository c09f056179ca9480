/**
 * Time per layer of the vertex walk (preprocessed MSQ) vs GPFQ on mnist-mlp's first layer shape:
 * N0 = 784 inputs, 300 neurons, m = 256 calibration samples (and preprocessed MSQ's default m = 64). Two inputs: the real first-layer
 * input (the first 256 MNIST training digits of @quantforge/datasets' embedded split — the first
 * layer of an MLP sees the pixels themselves) and a Gaussian X of the same shape. Weights are a
 * seeded Glorot-uniform 784×300 kernel. Each method runs end to end through its plugin on a
 * one-layer probe, so the time includes the factorisation and the rounding.
 *
 *   pnpm --filter @quantforge/quantizer-gpfq bench            # 1 repetition
 *   pnpm --filter @quantforge/quantizer-gpfq bench -- --reps 3
 */
import { Rng, type QuantizerPlugin } from "@quantforge/core";
import { createRunContext, instantiate } from "@quantforge/core/host";
import { loadEmbeddedMnist } from "@quantforge/datasets";
import { msqQuantizer, preprocessedMsqQuantizer, syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";
import { gpfqQuantizer } from "../src/index.js";

const N0 = 784,
  NEURONS = 300,
  M = 256;
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1] ?? 1) || 1;

const rng = new Rng(1);
const limit = Math.sqrt(6 / (N0 + NEURONS));
const kernel = Float32Array.from({ length: N0 * NEURONS }, () => (2 * rng.float() - 1) * limit);
const mnist = loadEmbeddedMnist().train.inputs.slice(0, M * N0);
const gauss = Float32Array.from({ length: M * N0 }, () => rng.normal());

const methods: [string, QuantizerPlugin, Record<string, unknown>][] = [
  ["msq", msqQuantizer(), { bits: 3 }],
  ["preprocessed-msq (vertex walk, m = 256)", preprocessedMsqQuantizer(), { bits: 3, samples: M }],
  ["preprocessed-msq (vertex walk, m = 64, its default)", preprocessedMsqQuantizer(), { bits: 3, samples: 64 }],
  ["gpfq (m = 256)", gpfqQuantizer(), { bits: 3, samples: M }],
];

console.log(`layer 784 → 300, 3 bits, ${reps} repetition(s); wall and CPU seconds per layer (best of reps)\n`);
console.log("| input | method | wall s | CPU s | ms / neuron |");
console.log("|---|---|---:|---:|---:|");
for (const [inputName, inputs] of [
  ["MNIST pixels", mnist],
  ["Gaussian N(0,1)", gauss],
] as const) {
  const model = syntheticDenseProbe({ layers: [{ name: "dense_1", fanIn: N0, fanOut: NEURONS, kernel }], inputs, count: M });
  for (const [name, plugin, opts] of methods) {
    let bestWall = Infinity,
      bestCpu = Infinity;
    for (let r = 0; r < reps; r++) {
      const q = instantiate(plugin, opts);
      const c0 = process.cpuUsage(),
        t0 = performance.now();
      await q.quantize(model.weights, createRunContext({ model, seed: 1 }));
      const wall = (performance.now() - t0) / 1e3,
        cpu = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6;
      bestWall = Math.min(bestWall, wall);
      bestCpu = Math.min(bestCpu, cpu);
    }
    console.log(`| ${inputName} | ${name} | ${bestWall.toFixed(2)} | ${bestCpu.toFixed(2)} | ${((1e3 * bestWall) / NEURONS).toFixed(1)} |`);
  }
}
