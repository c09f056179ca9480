import { Rng } from "@quantforge/core";
import { centerScale, prefixSums, sortedDeviations, sortedGridError, mseSearch } from "./src/index.js";
function sample(n: number, seed: number, kind: string): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => {
    if (kind === "laplace") return r.laplace(0.3);
    if (kind === "gauss") return r.normal() * 0.3 + 0.1;
    if (kind === "uniform") return r.float() - 0.5;
    if (kind === "student") { const z = r.normal(); let c = 0; for (let k = 0; k < 3; k++) c += r.normal() ** 2; return z / Math.sqrt(c / 3); }
    return r.laplace(0.3) * (r.float() < 0.03 ? 8 : 1);
  });
}
let worst = 0, cnt = 0, bad = 0; const hist: number[] = [];
for (const kind of ["laplace", "gauss", "uniform", "heavy", "student"]) for (const N of [4, 8, 16]) for (let s = 0; s < 40; s++) {
  const n = 200 + ((s * 7919) % 5000);
  const data = sample(n, s * 31 + N, kind);
  const st = centerScale([data]);
  const d = prefixSums(sortedDeviations([data], st.mu, st.sigma));
  const top = d.a[n - 1]!;
  const r = mseSearch(d, N, [2.17, 2.9, top]);
  let scan = Infinity, sx = 0;
  for (let i = 1; i <= 20000; i++) { const x = (top * i) / 20000; const e = sortedGridError(d, N, x); if (e < scan) { scan = e; sx = x; } }
  const rel = (r.error - scan) / scan; cnt++;
  if (rel > 0) { bad++; hist.push(rel); }
  if (rel > worst) { worst = rel; console.log(kind, N, n, "rel", rel.toExponential(2), "search x", r.xMax.toFixed(4), "scan x", sx.toFixed(4)); }
}
console.log("cases", cnt, "worse than scan", bad, "worst", worst.toExponential(2));
