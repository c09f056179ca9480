import { CollectingDiagnostics, createRunContext, defaultSelector, dequantizeModel, instantiate, type ModelProbe, type QuantizerPlugin } from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter } from "@quantforge/evaluator-fidelity";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { outputDistortion } from "../src/index.js";

const model = await loadReferenceModel("mnist-mlp");
const cal = model.calibrationSet!;
const per = cal.inputs.length / cal.count;
const S = Number(process.env.S ?? 256);
const window = (k: number): ModelProbe => ({ ...model, calibrationSet: { ...cal, inputs: cal.inputs.subarray(k * S * per, (k + 1) * S * per), labels: cal.labels.subarray(k * S, (k + 1) * S), count: S } });
const t = model.weights.filter(defaultSelector)[0]!;
const ctx = createRunContext({ seed: 0, model, diagnostics: new CollectingDiagnostics() });
const cands: [string, QuantizerPlugin, Record<string, unknown>][] = [
  ["rtn tensor 4", rtnQuantizer(), { bits: 4, granularity: "tensor" }],
  ["rtn tensor 5", rtnQuantizer(), { bits: 5, granularity: "tensor" }],
  ["rtn channel 4", rtnQuantizer(), { bits: 4, granularity: "channel", axis: -1 }],
  ["kmeans 4", hessianEcsqQuantizer(), { bits: 4, mode: "kmeans", importance: "none", scope: "layer" }],
  ["rtn channel 8", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }],
  ["kmeans 8", hessianEcsqQuantizer(), { bits: 8, mode: "kmeans", importance: "none", scope: "layer" }],
];
const decs = [];
for (const [l, p, o] of cands) {
  const qm = await instantiate(p, o).quantize([t], ctx);
  const dec = dequantizeModel(qm, [t])[0]!;
  let mse = 0; for (let i = 0; i < t.data.length; i++) mse += (dec.data[i]! - t.data[i]!) ** 2;
  decs.push({ l, dec, mse: mse / t.data.length });
}
const W = Math.min(8, Math.floor(cal.count / S));
for (const { l, dec, mse } of decs) {
  const ds = [];
  for (let k = 0; k < W; k++) {
    const m = window(k);
    const meter = new FidelityMeter(m, m.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: S }, 0);
    ds.push(outputDistortion(await meter.measure(m.weights.map((w) => (w.name === t.name ? dec : w)))));
  }
  console.log(l.padEnd(16), "wMSE", mse.toExponential(2), ds.map((d) => d.toExponential(2)).join(" "));
}
