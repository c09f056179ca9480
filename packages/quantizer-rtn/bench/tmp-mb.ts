import { groupMinMax, rtnCodes, rtnParams } from "../src/rtn-impl.js";
const N = 16 * 1024 * 1024;
const src = new Float32Array(N);
let s = 1; for (let i = 0; i < N; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; src[i] = (s / 4294967296 - 0.5) * 0.3; }
const dst = new Float32Array(N), codes = new Uint32Array(N);
const min = new Float64Array(1), max = new Float64Array(1);
function copy(a: Float32Array, b: Float32Array) { const n = a.length; for (let i = 0; i < n; i++) b[i] = a[i]!; }
function t(name: string, f: () => void) { f(); f(); let best = Infinity; for (let k = 0; k < 7; k++) { const a = performance.now(); f(); best = Math.min(best, performance.now() - a); } console.log(name.padEnd(8), best.toFixed(1), "ms"); }
const spec = { bits: 8, scheme: "asymmetric", zero: "exact" } as const;
for (let r = 0; r < 2; r++) {
  t("copy", () => copy(src, dst));
  t("minmax", () => { groupMinMax(src, { kind: "tensor" }, min, max); });
  const p = rtnParams(min, max, 1, spec);
  t("codes", () => rtnCodes(src, { kind: "tensor" }, p, codes));
}
function codesH(data: Float32Array, codes: Uint32Array, inv: number, off: number, hi: number) { const n = data.length; for (let i = 0; i < n; i++) { let t = data[i]! * inv + off; t = t > 0 ? t : 0; t = t < hi ? t : hi; codes[i] = t | 0; } }
function codesH2(data: Float32Array, start: number, end: number, inv: number, off: number, hi: number, codes: Uint32Array) { for (let i = start; i < end; i++) { let t = data[i]! * inv + off; t = t > 0 ? t : 0; t = t < hi ? t : hi; codes[i] = t | 0; } }
for (let r = 0; r < 2; r++) {
  t("copy", () => copy(src, dst));
  t("codesH", () => codesH(src, codes, 255 / 0.3, 128.5, 255.5));
  t("codesH2", () => codesH2(src, 0, N, 255 / 0.3, 128.5, 255.5, codes));
  const p = rtnParams(min, max, 1, spec);
  t("codes", () => rtnCodes(src, { kind: "tensor" }, p, codes));
}
