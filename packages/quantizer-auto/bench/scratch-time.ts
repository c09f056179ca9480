import { CollectingDiagnostics, createRunContext, defaultSelector, dequantizeModel, instantiate, type QuantizerPlugin } from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter } from "@quantforge/evaluator-fidelity";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { supportRegionQuantizer } from "@quantforge/quantizer-support-region";
import { autoQuantizer } from "../src/index.js";
import { autoQuantizer as oldAuto } from "./scratch-old-auto.js";

const model = await loadReferenceModel("mnist-mlp");
const plugins = [rtnQuantizer(), uniformMseQuantizer(), supportRegionQuantizer(), hessianEcsqQuantizer()];
const ws = model.weights.filter(defaultSelector);
const m = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 32 }, 0);
const mt = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 2000, source: "test" }, 0);
for (let rep = 0; rep < 2; rep++) for (const [l, p] of [["old", oldAuto({ plugins })], ["new", autoQuantizer({ plugins })]] as [string, QuantizerPlugin][]) for (const bits of [4, 8]) {
  const t0 = performance.now();
  const qm = await instantiate(p, { bits }).quantize(ws, createRunContext({ seed: 0, model, diagnostics: new CollectingDiagnostics() }));
  const dt = (performance.now() - t0) / 1000;
  const dec = dequantizeModel(qm, model.weights);
  console.log(l, bits, dt.toFixed(2) + " s", "cal32", (await m.measure(dec)).worst.value!.toExponential(3), "test2000", (await mt.measure(dec)).worst.value!.toExponential(3));
}
