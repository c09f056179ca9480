import { CollectingDiagnostics, createRunContext, defaultSelector, dequantizeModel, instantiate, type QuantizerPlugin } from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter } from "@quantforge/evaluator-fidelity";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { codedBits } from "../src/index.js";
const model = await loadReferenceModel("mnist-mlp");
const ws = model.weights.filter(defaultSelector);
const n = ws.reduce((a, t) => a + t.data.length, 0);
const m = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 32 }, 0);
const mt = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 2000, source: "test" }, 0);
for (const [l, p, o] of [["rtn channel 8", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }], ["rtn tensor 8", rtnQuantizer(), { bits: 8 , granularity: "tensor"}], ["rtn input channel 8", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -2 }], ["k-means 8", hessianEcsqQuantizer(), { bits: 8, mode: "kmeans", importance: "none", scope: "layer" }], ["rtn channel 4", rtnQuantizer(), { bits: 4, granularity: "channel", axis: -1 }], ["rtn tensor 4", rtnQuantizer(), { bits: 4, granularity: "tensor" }], ["k-means 4", hessianEcsqQuantizer(), { bits: 4, mode: "kmeans", importance: "none", scope: "layer" }]] as [string, QuantizerPlugin, Record<string, unknown>][]) {
  const qm = await instantiate(p, o).quantize(ws, createRunContext({ seed: 0, model, diagnostics: new CollectingDiagnostics() }));
  const dec = dequantizeModel(qm, model.weights);
  console.log(l.padEnd(22), (codedBits(qm) / n).toFixed(3), "cal32", (await m.measure(dec)).worst.value!.toExponential(3), "test2000", (await mt.measure(dec)).worst.value!.toExponential(3));
}
