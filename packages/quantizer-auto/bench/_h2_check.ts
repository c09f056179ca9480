import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "@quantforge/core";
import { getTf } from "@quantforge/model-tfjs";
import { GRAPH_MODELS_DIR, GRAPH_MODEL_NAMES } from "./make-graph-models.js";
const tf = await getTf("cpu");
for (const name of GRAPH_MODEL_NAMES) {
  const dir = join(GRAPH_MODELS_DIR, name);
  const j = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
  const bin = await readFile(join(dir, j.weightsManifest[0].paths[0]));
  const m = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer, signature: j.signature }));
  const shape = m.inputs[0].shape.slice(1);
  const n = 32, r = new Rng(5);
  const x = tf.tensor(Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => r.float()), [n, ...shape]);
  const outs = m.execute({ x }, m.outputs.map((o) => o.name));
  const list = Array.isArray(outs) ? outs : [outs];
  console.log(name, "inputs", m.inputs.map((i) => i.name + JSON.stringify(i.shape)), "outputs", m.outputs.map((o) => o.name));
  list.forEach((t, k) => {
    const d = t.dataSync(); const per = d.length / n;
    let ss = 0, varsum = 0;
    for (const v of d) ss += v * v;
    for (let e = 0; e < per; e++) { let mu = 0; for (let s = 0; s < n; s++) mu += d[s * per + e]; mu /= n; for (let s = 0; s < n; s++) varsum += (d[s * per + e] - mu) ** 2; }
    console.log("  ", m.outputs[k].name, t.shape, "rms", Math.sqrt(ss / d.length).toExponential(3), "sample-std/rms", (Math.sqrt(varsum / d.length) / Math.sqrt(ss / d.length)).toExponential(3), "first", Array.from(d.slice(0, 5)).map((v) => v.toFixed(4)).join(","));
  });
}
