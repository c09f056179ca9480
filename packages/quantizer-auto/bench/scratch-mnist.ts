import { CollectingDiagnostics, createRunContext, defaultSelector, dequantizeModel, instantiate, type QuantizerPlugin } from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter } from "@quantforge/evaluator-fidelity";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { autoQuantizer, codedBits } from "../src/index.js";

const model = await loadReferenceModel("mnist-mlp");
const plugins = [rtnQuantizer(), uniformMseQuantizer(), hessianEcsqQuantizer()];
const ws = model.weights.filter(defaultSelector);
const n = ws.reduce((a, t) => a + t.data.length, 0);
const m32 = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 32 }, 0);
const m1k = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 2048 }, 0);
const run = async (label: string, p: QuantizerPlugin, o: Record<string, unknown>) => {
  const diagnostics = new CollectingDiagnostics();
  const t0 = performance.now();
  const qm = await instantiate(p, o).quantize(ws, createRunContext({ seed: 0, model, diagnostics }));
  const dt = performance.now() - t0;
  const dec = dequantizeModel(qm, model.weights);
  const a = await m32.measure(dec), b = await m1k.measure(dec);
  console.log(label.padEnd(40), (codedBits(qm) / n).toFixed(3), "eval32", a.worst.value!.toExponential(3), "eval2048", b.worst.value!.toExponential(3), (dt / 1000).toFixed(2) + "s");
  for (const d of diagnostics.items.filter((x) => x.ruleId === "choice")) console.log("     ", d.message);
};
await run("rtn channel 8", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 });
await run("rtn tensor 8", rtnQuantizer(), { bits: 8, granularity: "tensor" });
await run("rtn channel 4", rtnQuantizer(), { bits: 4, granularity: "channel", axis: -1 });
for (const samples of (process.argv[2] ?? "16,64,256").split(",").map(Number)) {
  await run(`auto 8 samples=${samples}`, autoQuantizer({ plugins }), { bits: 8, samples });
  await run(`auto 4 samples=${samples}`, autoQuantizer({ plugins }), { bits: 4, samples });
}
