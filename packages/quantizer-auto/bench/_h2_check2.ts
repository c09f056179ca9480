import { createRunContext, defaultSelector, dequantizeModel, instantiate, type QuantizerPlugin } from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter } from "@quantforge/evaluator-fidelity";
import { loadTfjsModelProbe } from "@quantforge/model-tfjs";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { tfjsAffineQuantizer } from "@quantforge/quantizer-tfjs-affine";
import { join } from "node:path";
import { GRAPH_MODELS_DIR, GRAPH_MODEL_NAMES } from "./make-graph-models.js";
const names = process.argv.slice(2).length ? process.argv.slice(2) : GRAPH_MODEL_NAMES;
for (const name of names) {
  const probe = await loadTfjsModelProbe(join(GRAPH_MODELS_DIR, name, "model.json"));
  const sel = probe.weights.filter(defaultSelector);
  const meter = new FidelityMeter(probe, probe.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 64 }, 9001);
  const run = async (label: string, p: QuantizerPlugin, o: Record<string, unknown>, only?: string) => {
    const s = only ? sel.filter((t) => t.name === only) : sel;
    const qm = await instantiate(p, o).quantize(s, createRunContext({ seed: 1, model: probe }));
    const r = await meter.measure(dequantizeModel(qm, probe.weights));
    console.log(`${name.padEnd(22)} ${label.padEnd(28)} worst ${r.worst.value?.toExponential(3)}  ${r.outputs.map((x) => `${x.name}=${x.relError.value?.toExponential(2)}`).join(" ")}`);
  };
  await run("tfjs-affine", tfjsAffineQuantizer(), { dtype: "uint8" });
  await run("rtn tensor", rtnQuantizer(), { bits: 8 });
  await run("rtn ch -1", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 });
  await run("rtn ch -2", rtnQuantizer(), { bits: 8, granularity: "channel", axis: -2 });
  await run("rtn g32", rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 32 });
  if (process.env.PER) for (const t of sel) { await run(`tfjs ${t.name}`, tfjsAffineQuantizer(), { dtype: "uint8" }, t.name); await run(`ch-1 ${t.name}`, rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }, t.name); }
  probe.dispose();
}
