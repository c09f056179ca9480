/**
 * Benchmarks of the tfjs adapter (a script, not a test): for each reference model and backend,
 * - training time per epoch of 8,000 digits (Adam, batch 64; measured on `trainSamples` digits
 *   and scaled to 8,000, since the CPU backend needs many minutes per LeNet-5 epoch),
 * - inference throughput on the 2,000 test digits (samples/s),
 * - time of the exact Hessian diagonal for 1,000 samples (measured on `hessianSamples` and scaled).
 *
 *   pnpm --filter @quantforge/model-tfjs bench [-- --backends wasm,cpu --models mnist-mlp,mnist-lenet5 --json out.json]
 *
 * Timings are wall clock on a shared machine: run it when the machine is otherwise idle.
 */
import { writeFileSync } from "node:fs";
import { loadEmbeddedMnist, takeSamples } from "@quantforge/datasets";
import { buildReferenceModel, exactHessianDiagonal, getTf, loadModel, trainLayersModel, type TfjsBackend } from "../src/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const backends = arg("backends", "wasm,cpu").split(",") as TfjsBackend[];
const models = arg("models", "mnist-mlp,mnist-lenet5").split(",");
const jsonOut = process.argv.includes("--json") ? arg("json", "") : "";

/** Samples timed per measurement, by model and backend (the CPU backend is far slower on convs). */
function budget(model: string, backend: TfjsBackend): { train: number; hessian: number } {
  if (backend === "cpu" && model === "mnist-lenet5") return { train: 256, hessian: 50 };
  if (backend === "cpu") return { train: 2048, hessian: 250 };
  return { train: model === "mnist-lenet5" ? 1024 : 4096, hessian: 1000 };
}

interface Row {
  model: string;
  backend: string;
  trainSecondsPerEpoch: number;
  trainMeasuredSamples: number;
  inferenceSamplesPerSecond: number;
  hessianSecondsPer1000: number;
  hessianMeasuredSamples: number;
}

const data = loadEmbeddedMnist();
const rows: Row[] = [];
for (const id of models) {
  for (const backend of backends) {
    const tf = await getTf(backend);
    if (tf.getBackend() !== backend) throw new Error(`backend ${backend} did not start`);
    const b = budget(id, backend);
    // Training: one epoch over `b.train` digits, scaled to the 8,000 of the embedded split.
    const model = buildReferenceModel(tf, id, 1);
    const tiny = takeSamples(data.test, 10);
    const t = await trainLayersModel(tf, id, model, { train: takeSamples(data.train, b.train), test: tiny }, { epochs: 1, seed: 1, batchSize: 64, learningRate: 1e-3, shift: 2, source: "embedded" });
    const trainSecondsPerEpoch = (t.record.curve[0]!.seconds * data.train.count) / b.train;
    model.dispose();
    // Inference: the trained reference weights on the 2,000 test digits (one warm-up batch first).
    const probe = await loadModel(id);
    await probe.forward.predict(probe.weights, probe.testSet.inputs.subarray(0, 100 * 784), 100);
    const t0 = performance.now();
    await probe.forward.predict(probe.weights, probe.testSet.inputs, probe.testSet.count);
    const inferenceSamplesPerSecond = probe.testSet.count / ((performance.now() - t0) / 1000);
    // Hessian diagonal: b.hessian calibration digits, scaled to 1,000.
    const h0 = performance.now();
    await exactHessianDiagonal(tf, probe.spec, probe.weights, probe.calibrationSet.inputs.subarray(0, b.hessian * 784), b.hessian);
    const hessianSecondsPer1000 = ((performance.now() - h0) / 1000) * (1000 / b.hessian);
    const row = { model: id, backend, trainSecondsPerEpoch, trainMeasuredSamples: b.train, inferenceSamplesPerSecond, hessianSecondsPer1000, hessianMeasuredSamples: b.hessian };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}

const f = (v: number, d = 1) => v.toFixed(d);
console.log("| model | backend | train s/epoch (8,000 digits) | inference samples/s | Hessian diagonal s / 1,000 samples |");
console.log("|---|---|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.model} | ${r.backend} | ${f(r.trainSecondsPerEpoch)}${r.trainMeasuredSamples < 8000 ? ` (from ${r.trainMeasuredSamples})` : ""} | ${f(r.inferenceSamplesPerSecond, 0)} | ${f(r.hessianSecondsPer1000)}${r.hessianMeasuredSamples < 1000 ? ` (from ${r.hessianMeasuredSamples})` : ""} |`);
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(rows, null, 1)}\n`);
