import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng } from "@quantforge/core";
import { fillCells, isOnAlphabet, roundToAlphabet, uniformAlphabet, type Alphabet, type CellConstraint } from "./alphabet.js";
import { createWalkWorkspace, planWalk, walkNeuron } from "./vertex-walk-impl.js";

function gaussian(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** ‖X v‖₂ for row-major X (rows × n). */
function normXv(x: ArrayLike<number>, rows: number, n: number, v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < rows; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += x[i * n + j]! * v[j]!;
    s += acc * acc;
  }
  return Math.sqrt(s);
}

interface Checked {
  offAlphabet: number;
  relConstraint: number;
  relErrVertex: number;
  relErrMsq: number;
  rank: number;
}

/** Walks every column of W and checks the invariants of spec §2 for each neuron. */
function walkAndCheck(x: Float64Array, rows: number, n: number, w: Float64Array, neurons: number, a: Alphabet, constraint: CellConstraint): Checked[] {
  const plan = planWalk(x, rows, n);
  const ws = createWalkWorkspace(plan);
  const out: Checked[] = [];
  const wj = new Float64Array(n),
    z = new Float64Array(n),
    lo = new Float64Array(n),
    hi = new Float64Array(n);
  const codes = new Uint32Array(n),
    q = new Float64Array(n),
    qm = new Float64Array(n),
    d = new Float64Array(n);
  for (let o = 0; o < neurons; o++) {
    for (let i = 0; i < n; i++) wj[i] = w[i * neurons + o]!;
    fillCells(a, wj, constraint, lo, hi);
    z.set(wj);
    const stats = walkNeuron(plan, ws, z, lo, hi);
    let off = 0,
      outside = -1;
    for (let i = 0; i < n; i++) {
      if (!isOnAlphabet(a, z[i]!)) off++;
      // Every coordinate stays inside its cell (up to the Harris feasibility tolerance).
      const tol = 1e-8 * (hi[i]! - lo[i]! || 1);
      if (z[i]! < lo[i]! - tol || z[i]! > hi[i]! + tol) outside = i;
    }
    expect(outside).toBe(-1);
    expect(stats.free).toBeLessThanOrEqual(plan.rank);
    expect(off).toBeLessThanOrEqual(stats.free);
    const ref = normXv(x, rows, n, wj);
    roundToAlphabet(a, z, codes, q);
    roundToAlphabet(a, wj, codes, qm);
    for (let i = 0; i < n; i++) d[i] = z[i]! - wj[i]!;
    const relConstraint = normXv(x, rows, n, d) / ref;
    for (let i = 0; i < n; i++) d[i] = q[i]! - wj[i]!;
    const relErrVertex = normXv(x, rows, n, d) / ref;
    for (let i = 0; i < n; i++) d[i] = qm[i]! - wj[i]!;
    out.push({ offAlphabet: off, relConstraint, relErrVertex, relErrMsq: normXv(x, rows, n, d) / ref, rank: plan.rank });
  }
  return out;
}

describe("planWalk", () => {
  it("finds the rank and an identity block on the basis columns", () => {
    const rng = new Rng(1);
    const m = 6,
      n = 20;
    const x = gaussian(rng, m * n);
    // Make row 5 = row 0 + 2·row 1 and column 3 zero: rank 5.
    for (let j = 0; j < n; j++) x[5 * n + j] = x[j]! + 2 * x[n + j]!;
    for (let i = 0; i < m; i++) x[i * n + 3] = 0;
    const plan = planWalk(x, m, n);
    expect(plan.rank).toBe(5);
    for (let k = 0; k < plan.rank; k++) {
      for (let k2 = 0; k2 < plan.rank; k2++) expect(plan.t[plan.basis[k]! * plan.rank + k2]).toBe(k === k2 ? 1 : 0);
    }
    expect([...plan.basis]).not.toContain(3);
    expect(planWalk(new Float64Array(12), 3, 4).rank).toBe(0);
  });
});

describe("walkNeuron (spec §2 invariants)", () => {
  it("keeps X·z = X·w to 1e-6 relative with at most m coordinates off the alphabet (Gaussian X, cell)", () => {
    const rng = new Rng(2);
    const m = 24,
      n = 200,
      neurons = 12;
    const x = gaussian(rng, m * n),
      w = gaussian(rng, n * neurons);
    for (const bits of [1, 2, 3, 4, 8]) {
      const a = uniformAlphabet(bits, "midtread", Math.max(...w.map(Math.abs)));
      const res = walkAndCheck(x, m, n, w, neurons, a, "cell");
      for (const r of res) {
        expect(r.offAlphabet).toBeLessThanOrEqual(m);
        expect(r.relConstraint).toBeLessThan(1e-6);
      }
      const meanV = res.reduce((s, r) => s + r.relErrVertex, 0) / res.length;
      const meanM = res.reduce((s, r) => s + r.relErrMsq, 0) / res.length;
      // Only ≤ m of 200 coordinates are rounded, so the training error beats plain MSQ clearly.
      expect(meanV).toBeLessThan(0.8 * meanM);
    }
  });

  it("holds for midrise alphabets and the box constraint", () => {
    const rng = new Rng(3);
    const m = 16,
      n = 90,
      neurons = 6;
    const x = gaussian(rng, m * n),
      w = gaussian(rng, n * neurons);
    const c = Math.max(...w.map(Math.abs));
    for (const [kind, constraint] of [
      ["midrise", "cell"],
      ["midtread", "box"],
      ["midrise", "box"],
    ] as const) {
      const res = walkAndCheck(x, m, n, w, neurons, uniformAlphabet(3, kind, c), constraint);
      for (const r of res) {
        expect(r.offAlphabet).toBeLessThanOrEqual(m);
        expect(r.relConstraint).toBeLessThan(1e-6);
      }
    }
  });

  it("copes with rank-deficient X, duplicate and zero columns, and weights already on the alphabet", () => {
    const rng = new Rng(4);
    const m = 20,
      n = 120,
      neurons = 8;
    const x = gaussian(rng, m * n);
    // Rank 12: rows 12… are combinations of rows 0…11; column 7 duplicates column 6; columns 0–9 of row… are zero (blank pixels).
    for (let i = 12; i < m; i++) for (let j = 0; j < n; j++) x[i * n + j] = x[(i - 12) * n + j]! - 0.5 * x[(i - 11) * n + j]!;
    for (let i = 0; i < m; i++) {
      x[i * n + 7] = x[i * n + 6]!;
      for (let j = 100; j < 110; j++) x[i * n + j] = 0;
    }
    const w = gaussian(rng, n * neurons);
    const a = uniformAlphabet(2, "midtread", Math.max(...w.map(Math.abs)));
    for (let i = 0; i < 30; i++) w[i * neurons] = a.levels[i % 3]!; // neuron 0: 30 weights on levels
    const res = walkAndCheck(x, m, n, w, neurons, a, "cell");
    for (const r of res) {
      expect(r.rank).toBe(12);
      expect(r.offAlphabet).toBeLessThanOrEqual(12);
      expect(r.relConstraint).toBeLessThan(1e-6);
    }
  });

  it("rounds everything when X carries no constraint (rank 0), landing each weight on its nearer level", () => {
    const n = 10;
    const plan = planWalk(new Float64Array(3 * n), 3, n);
    const a = uniformAlphabet(3, "midtread", 1);
    const w = Float64Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1) + 0.01);
    const z = Float64Array.from(w),
      lo = new Float64Array(n),
      hi = new Float64Array(n);
    fillCells(a, z, "cell", lo, hi);
    for (let i = 0; i < n; i++) z[i] = Math.min(hi[i]!, z[i]!);
    const s = walkNeuron(plan, createWalkWorkspace(plan), z, lo, hi);
    expect(s.free).toBe(0);
    const codes = new Uint32Array(n),
      q = new Float64Array(n);
    roundToAlphabet(a, w, codes, q);
    for (let i = 0; i < n; i++) expect(z[i]).toBe(Math.max(-1, Math.min(1, q[i]!)));
  });

  it("satisfies the invariants on random small problems (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom("cell", "box"), fc.integer({ min: 0, max: 1e6 }), (m, extra, bits, constraint, seed) => {
        const rng = new Rng(seed);
        const n = m + extra;
        const x = gaussian(rng, m * n),
          w = gaussian(rng, n * 2);
        const a = uniformAlphabet(bits, "midtread", Math.max(...w.map(Math.abs)));
        for (const r of walkAndCheck(x, m, n, w, 2, a, constraint as CellConstraint)) {
          expect(r.offAlphabet).toBeLessThanOrEqual(m);
          expect(r.relConstraint).toBeLessThan(1e-6);
        }
      }),
      { seed: 11, numRuns: 60 },
    );
  });
});
