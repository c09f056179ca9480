import { runPipeline } from "@quantforge/core";
import { loadModel } from "../../model-tfjs/src/index.ts";
import { msqQuantizer, preprocessedMsqQuantizer } from "@quantforge/quantizer-preprocessed-msq";
import { gpfqQuantizer } from "../src/index.ts";
const model = await loadModel("mnist-mlp");
const bits = Number(process.argv[2] ?? 2), samples = Number(process.argv[3] ?? 256);
const w = model.weights.find(t => t.name === model.layers[0].weight)!;
const fanOut = model.layers[0].fanOut, fanIn = model.layers[0].fanIn;
const xTrain = await model.layerInputs.layerInputs(model.layers[0].name, samples);
const test = model.testSet;
function rel(x: Float32Array, rows: number, q: Float32Array) {
  let s = 0;
  for (let o = 0; o < fanOut; o++) { let e = 0, r = 0; for (let i = 0; i < rows; i++) { let a = 0, b = 0; for (let j = 0; j < fanIn; j++) { const v = x[i*fanIn+j]; if (v === 0) continue; a += v*w.data[j*fanOut+o]; b += v*(w.data[j*fanOut+o]-q[j*fanOut+o]); } r += a*a; e += b*b; } s += r > 0 ? Math.sqrt(e/r) : 0; }
  return s / fanOut;
}
for (const [name, plugin, opts] of [["msq", msqQuantizer(), { bits }], ["pre", preprocessedMsqQuantizer(), { bits, samples }], ["pre-box", preprocessedMsqQuantizer(), { bits, samples, constraint: "box" }], ["gpfq", gpfqQuantizer(), { bits, samples }]] as const) {
  const r = await runPipeline({ model, quantizer: { plugin, options: opts } });
  const q = r.decoded.find(t => t.name === w.name)!.data;
  console.log(name, "train", rel(xTrain.data, xTrain.rows, q).toFixed(4), "test", rel(test.inputs, 1000, q).toFixed(4));
}
