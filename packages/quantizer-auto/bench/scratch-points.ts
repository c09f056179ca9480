import { CollectingDiagnostics, createRunContext, defaultSelector, dequantizeModel, instantiate, type QuantizerPlugin } from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter } from "@quantforge/evaluator-fidelity";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { writeFileSync } from "node:fs";
import { DEFAULT_CANDIDATES, codedBits, outputDistortion } from "../src/index.js";
import { allocate } from "../src/allocate-impl.js";

const model = await loadReferenceModel("mnist-mlp");
const plugins = new Map<string, QuantizerPlugin>([["rtn", rtnQuantizer()], ["uniform-mse", uniformMseQuantizer()], ["hessian-ecsq", hessianEcsqQuantizer()]] as any);
const ws = model.weights.filter(defaultSelector);
const meter = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: Number(process.env.S ?? 16) }, 0);
const ctx = createRunContext({ seed: 0, model, diagnostics: new CollectingDiagnostics() });
const labels: string[] = [];
const points: { rate: number; dist: number }[][] = [];
for (const t of ws) {
  const row = [];
  for (const s of DEFAULT_CANDIDATES) for (const b of s.bits ?? [2, 3, 4, 5, 6, 7, 8]) {
    const t0 = performance.now();
    const qm = await instantiate(plugins.get(s.quantizer)!, { ...s.options, bits: b }).quantize([t], ctx);
    const dec = dequantizeModel(qm, [t])[0]!;
    const r = await meter.measure(model.weights.map((w) => (w.name === t.name ? dec : w)));
    row.push({ rate: codedBits(qm), dist: outputDistortion(r) });
    if (points.length === 0) labels.push(`${s.quantizer}:${JSON.stringify(s.options)}@${b}`);
    if (t.data.length > 100000) console.error(t.name, labels[row.length - 1] ?? `${s.quantizer}@${b}`, (performance.now() - t0).toFixed(0), "ms");
  }
  points.push(row);
}
writeFileSync("/tmp/h3w/points-mnist.json", JSON.stringify({ names: ws.map((t) => t.name), counts: ws.map((t) => t.data.length), labels, points }));
for (const bpw of [4, 8]) {
  const n = ws.reduce((a, t) => a + t.data.length, 0);
  const a = allocate(points, bpw * n);
  let best = { d: Infinity, c: [] as number[], r: 0 };
  const C = labels.length;
  for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) for (let k = 0; k < C; k++) {
    const r = points[0]![i]!.rate + points[1]![j]!.rate + points[2]![k]!.rate;
    if (r > bpw * n) continue;
    const d = points[0]![i]!.dist + points[1]![j]!.dist + points[2]![k]!.dist;
    if (d < best.d) best = { d, c: [i, j, k], r };
  }
  console.log(bpw, "greedy", a.totalDist.toExponential(3), (a.totalRate / n).toFixed(4), [...a.choice].map((c) => labels[c]));
  console.log(bpw, "exact ", best.d.toExponential(3), (best.r / n).toFixed(4), best.c.map((c) => labels[c]));
}
