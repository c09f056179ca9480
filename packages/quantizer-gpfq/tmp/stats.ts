import { loadModel } from "../../model-tfjs/src/index.ts";
const model = await loadModel("mnist-mlp");
for (const l of model.layers) {
  const w = model.weights.find(t => t.name === l.weight)!.data;
  let mx = 0, s = 0; for (const v of w) { mx = Math.max(mx, Math.abs(v)); s += v*v; }
  const sd = Math.sqrt(s / w.length);
  let colMax = 0; const cm: number[] = [];
  for (let o = 0; o < l.fanOut; o++) { let m = 0; for (let i = 0; i < l.fanIn; i++) m = Math.max(m, Math.abs(w[i*l.fanOut+o])); cm.push(m); }
  cm.sort((a,b)=>a-b);
  console.log(l.name, l.fanIn, l.fanOut, "max", mx.toFixed(3), "rms", sd.toFixed(4), "max/rms", (mx/sd).toFixed(1), "median neuron max/rms", (cm[cm.length>>1]/sd).toFixed(1));
}
console.log("calib", model.calibrationSet.count, "test", model.testSet.count);
