import { packBits, unpackBits, packedBytes } from "./src/fixed-impl.ts";
const N = 16 * 1024 * 1024;
const codes = new Uint32Array(N); let s = 1;
for (let i = 0; i < N; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; codes[i] = s >>> 28; }
const c8 = codes.map((v, i) => (v * 16 + (i & 15)));
function time(name: string, f: () => void) { f(); const t0 = performance.now(); for (let k = 0; k < 5; k++) f(); console.log(name, ((performance.now() - t0) / 5).toFixed(1), "ms"); }
const buf4 = new Uint8Array(packedBytes(N, 4)), buf8 = new Uint8Array(N);
const out = new Uint32Array(N);
time("alloc u32 64MB", () => { new Uint32Array(N)[5] = 1; });
time("pack4", () => packBits(codes, 4, buf4, 0));
time("unpack4", () => unpackBits(buf4, 0, 4, out));
time("pack8", () => packBits(c8, 8, buf8, 0));
time("unpack8", () => unpackBits(buf8, 0, 8, out));
time("copy", () => { for (let i = 0; i < N; i++) out[i] = codes[i]!; });
