import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng } from "@quantforge/core";
import { nearestCode, uniformAlphabet, type Alphabet } from "@quantforge/quantizer-preprocessed-msq";
import { gpfqNeuron, prepareGpfqLayer } from "./gpfq-impl.js";

function gaussian(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** The recursion of the spec written out literally (row-major X, explicit vectors). */
function reference(xf: Float64Array, xq: Float64Array, m: number, n: number, w: Float64Array, a: Alphabet): number[] {
  const u = new Array<number>(m).fill(0);
  const codes: number[] = [];
  for (let t = 0; t < n; t++) {
    const Xt = Array.from({ length: m }, (_, i) => xf[i * n + t]!);
    const Xqt = Array.from({ length: m }, (_, i) => xq[i * n + t]!);
    const norm = Math.sqrt(Xqt.reduce((s, v) => s + v * v, 0));
    let q: number;
    if (norm < 1e-12) q = nearestCode(a, w[t]!);
    else q = nearestCode(a, Xqt.reduce((s, v, i) => s + v * (u[i]! + w[t]! * Xt[i]!), 0) / (norm * norm));
    codes.push(q);
    for (let i = 0; i < m; i++) u[i] = u[i]! + w[t]! * Xt[i]! - a.levels[q]! * Xqt[i]!;
  }
  return codes;
}

function relError(x: Float64Array, m: number, n: number, w: Float64Array, q: ArrayLike<number>): number {
  let e = 0,
    r = 0;
  for (let i = 0; i < m; i++) {
    let a = 0,
      b = 0;
    for (let j = 0; j < n; j++) {
      a += x[i * n + j]! * w[j]!;
      b += x[i * n + j]! * (w[j]! - q[j]!);
    }
    r += a * a;
    e += b * b;
  }
  return Math.sqrt(e / r);
}

describe("gpfqNeuron", () => {
  it("computes exactly the GPFQ recursion (u ← u + w_t X_t − q_t X̃_t)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (m, n, bits, same, seed) => {
        const rng = new Rng(seed);
        const xf = gaussian(rng, m * n);
        const xq = same ? xf : xf.map((v) => v + 0.1 * rng.normal());
        const w = gaussian(rng, n);
        const a = uniformAlphabet(bits, "midtread", Math.max(...w.map(Math.abs)));
        const layer = prepareGpfqLayer(xf, same ? null : xq, m, n);
        const codes = new Uint32Array(n);
        gpfqNeuron(layer, w, a, new Float64Array(m), codes);
        expect([...codes]).toEqual(reference(xf, xq, m, n, w, a));
      }),
      { seed: 5, numRuns: 80 },
    );
  });

  it("guards all-zero input columns: q_t = Q_A(w_t) there, never NaN", () => {
    const rng = new Rng(1);
    const m = 8,
      n = 20;
    const x = gaussian(rng, m * n);
    for (const t of [0, 5, 19]) for (let i = 0; i < m; i++) x[i * n + t] = 0;
    const w = gaussian(rng, n);
    const a = uniformAlphabet(3, "midrise", Math.max(...w.map(Math.abs)));
    const codes = new Uint32Array(n),
      u = new Float64Array(m);
    gpfqNeuron(prepareGpfqLayer(x, null, m, n), w, a, u, codes);
    for (const t of [0, 5, 19]) expect(codes[t]).toBe(nearestCode(a, w[t]!));
    expect([...u].every(Number.isFinite)).toBe(true);
  });

  it("leaves u = X·w − X̃·q and beats plain MSQ on the calibration data", () => {
    const rng = new Rng(2);
    const m = 32,
      n = 512;
    const x = gaussian(rng, m * n);
    const layer = prepareGpfqLayer(x, null, m, n);
    let eG = 0,
      eM = 0;
    for (let k = 0; k < 8; k++) {
      const w = gaussian(rng, n);
      const a = uniformAlphabet(2, "midtread", Math.max(...w.map(Math.abs)));
      const codes = new Uint32Array(n),
        u = new Float64Array(m);
      gpfqNeuron(layer, w, a, u, codes);
      const q = Array.from(codes, (c) => a.levels[c]!);
      for (let i = 0; i < m; i++) {
        let r = 0;
        for (let j = 0; j < n; j++) r += x[i * n + j]! * (w[j]! - q[j]!);
        expect(u[i]).toBeCloseTo(r, 9);
      }
      eG += relError(x, m, n, w, q);
      eM += relError(
        x,
        m,
        n,
        w,
        Array.from(w, (v) => a.levels[nearestCode(a, v)]!),
      );
    }
    expect(eG).toBeLessThan(0.5 * eM);
  });
});
