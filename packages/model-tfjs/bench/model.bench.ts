/**
 * Benchmarks of the tfjs adapter (a script, not a test): for each reference model and backend,
 * - training time per epoch of 8,000 digits (Adam, batch 64; measured on `trainSamples` digits
 *   and scaled to 8,000, since the CPU backend needs many minutes per LeNet-5 epoch),
 * - inference throughput on the 2,000 test digits (samples/s),
 * - time of the exact Hessian diagonal for 1,000 samples (measured on `hessianSamples` and scaled).
 *
 *   pnpm --filter @quantforge/model-tfjs bench [-- --backends wasm,cpu --models mnist-mlp,mnist-lenet5
 *                                              --parts train,infer,hessian --json out.json]
 *
 * Each figure is given as wall-clock seconds and as this process's CPU seconds (user + system,
 * `process.cpuUsage`): on a shared machine the wall clock includes waiting for a core, the CPU
 * time does not (tfjs runs single-threaded here, so on an idle machine the two agree).
 */
import { writeFileSync } from "node:fs";
import { loadEmbeddedMnist, takeSamples } from "@quantforge/datasets";
import { buildReferenceModel, exactHessianDiagonal, getTf, loadReferenceModel, trainLayersModel, type TfjsBackend } from "../src/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const backends = arg("backends", "wasm,cpu").split(",") as TfjsBackend[];
const models = arg("models", "mnist-mlp,mnist-lenet5").split(",");
const jsonOut = process.argv.includes("--json") ? arg("json", "") : "";
const parts = new Set(arg("parts", "train,infer,hessian").split(","));

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
  trainCpuSecondsPerEpoch: number;
  trainMeasuredSamples: number;
  inferenceSamplesPerSecond: number;
  inferenceSamplesPerCpuSecond: number;
  hessianSecondsPer1000: number;
  hessianCpuSecondsPer1000: number;
  hessianMeasuredSamples: number;
}

/** Runs `f` and returns its wall and CPU seconds. */
async function timed(f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
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
    let tt = { wall: NaN, cpu: NaN };
    if (parts.has("train")) {
      // Warm-up: one small epoch compiles/initialises every kernel of the training step.
      await trainLayersModel(tf, id, buildReferenceModel(tf, id, 2), { train: takeSamples(data.train, 128), test: tiny }, { epochs: 1, seed: 1, batchSize: 64, learningRate: 1e-3, shift: 2, source: "embedded" });
      tt = await timed(() => trainLayersModel(tf, id, model, { train: takeSamples(data.train, b.train), test: tiny }, { epochs: 1, seed: 1, batchSize: 64, learningRate: 1e-3, shift: 2, source: "embedded" }));
    }
    const scale = data.train.count / b.train;
    model.dispose();
    // Inference: the trained reference weights on the 2,000 test digits (one warm-up batch first).
    const probe = await loadReferenceModel(id);
    await probe.forward.predict(probe.weights, probe.testSet.inputs.subarray(0, 100 * 784), 100);
    if (tf.getBackend() !== backend) throw new Error(`the probe switched the backend to ${tf.getBackend()}`);
    const ti = parts.has("infer") ? await timed(() => probe.forward.predict(probe.weights, probe.testSet.inputs, probe.testSet.count)) : { wall: NaN, cpu: NaN };
    // Hessian diagonal: b.hessian calibration digits (after a 10-sample warm-up), scaled to 1,000.
    let th = { wall: NaN, cpu: NaN };
    if (parts.has("hessian")) {
      await exactHessianDiagonal(tf, probe.spec, probe.weights, probe.calibrationSet.inputs.subarray(0, 10 * 784), 10);
      th = await timed(() => exactHessianDiagonal(tf, probe.spec, probe.weights, probe.calibrationSet.inputs.subarray(0, b.hessian * 784), b.hessian));
    }
    if (tf.getBackend() !== backend) throw new Error(`the backend changed to ${tf.getBackend()} during the run`);
    const row: Row = {
      model: id,
      backend,
      trainSecondsPerEpoch: tt.wall * scale,
      trainCpuSecondsPerEpoch: tt.cpu * scale,
      trainMeasuredSamples: b.train,
      inferenceSamplesPerSecond: probe.testSet.count / ti.wall,
      inferenceSamplesPerCpuSecond: probe.testSet.count / ti.cpu,
      hessianSecondsPer1000: th.wall * (1000 / b.hessian),
      hessianCpuSecondsPer1000: th.cpu * (1000 / b.hessian),
      hessianMeasuredSamples: b.hessian,
    };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}

const f = (v: number, d = 1) => v.toFixed(d);
console.log("| model | backend | train s/epoch, 8,000 digits (wall / CPU) | inference samples/s (wall / CPU) | Hessian diagonal, 1,000 samples, s (wall / CPU) |");
console.log("|---|---|---:|---:|---:|");
for (const r of rows) {
  const from = (n: number, full: number) => (n < full ? ` (from ${n})` : "");
  console.log(
    `| ${r.model} | ${r.backend} | ${f(r.trainSecondsPerEpoch)} / ${f(r.trainCpuSecondsPerEpoch)}${from(r.trainMeasuredSamples, 8000)} | ${f(r.inferenceSamplesPerSecond, 0)} / ${f(r.inferenceSamplesPerCpuSecond, 0)} | ${f(r.hessianSecondsPer1000)} / ${f(r.hessianCpuSecondsPer1000)}${from(r.hessianMeasuredSamples, 1000)} |`,
  );
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(rows, null, 1)}\n`);
