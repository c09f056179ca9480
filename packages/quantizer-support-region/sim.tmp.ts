import { Rng, dequantizeTensor, codebookMap } from "@quantforge/core";
import { supportRegionQuantize, supportRegionQuantizer } from "./src/index.js";
const P = supportRegionQuantizer();
function overall(ws: any[], r: any) { const cbs = codebookMap(r.model); let a = 0, b = 0; r.model.tensors.forEach((t: any, i: number) => { const d = dequantizeTensor(t, cbs.get(t.codebook)!); const w = ws[i].data; for (let j = 0; j < w.length; j++) { a += w[j] ** 2; b += (w[j] - d[j]) ** 2; } }); return 10 * Math.log10(a / b); }
const mode = process.argv[2] ?? "pairwise";
for (const sup of ["optimal", "iterative", "sigma:3", "mse", "max", "percentile:99.9"]) for (const bits of [2, 3, 4]) {
  let fails = 0, minMargin = Infinity; const T = 300;
  for (let trial = 0; trial < T; trial++) {
    const rng = new Rng(trial * 7 + bits);
    const K = 2 + Math.floor(rng.float() * 3);
    const scales: number[] = []; let s = Math.exp((rng.float() - 0.5) * 6);
    for (let k = 0; k < K; k++) { scales.push(s); s *= mode === "pairwise" ? 1.5 + rng.float() * 2 : (k === 0 ? 1.5 : 1 + rng.float()); }
    const ws = scales.map((sc, k) => { const n = 1000 + Math.floor(rng.float() * 3000); const d = new Float32Array(n); const mean = 0; for (let i = 0; i < n; i++) d[i] = mean + rng.laplace(sc); return { name: "t" + k, shape: [n], data: d }; });
    const L = overall(ws, supportRegionQuantize(ws, P.parseOptions({ bits, supportRegion: sup, scope: "layer" })));
    const G = overall(ws, supportRegionQuantize(ws, P.parseOptions({ bits, supportRegion: sup, scope: "global" })));
    if (!(L > G)) fails++; minMargin = Math.min(minMargin, L - G);
  }
  console.log(mode, sup, bits, "fails", fails, "/", T, "min margin", minMargin.toFixed(3));
}
