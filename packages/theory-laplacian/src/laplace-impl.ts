/**
 * Cancellation-free numerics of a symmetric uniform quantizer fed by a zero-mean Laplacian source
 * p(x) = (a/2)·e^(−a|x|), a = √2/σ (uniform-laplacian.md §1–2).
 *
 * Everything here works in dimensionless units: with t = aΔ (step in units of 1/a) and
 * s = t/2, every distortion is σ²/2 times a function of (N, t). The textbook closed forms of §2
 * subtract nearly equal numbers when t is small (high R); the forms below replace each such
 * difference by a series of positive terms or by `expm1`, so every quantity keeps full relative
 * precision for all t > 0.
 */

/** Below this half-step s, the cell integrals use their all-positive power series. */
const SERIES_LIMIT = 2;

/**
 * One granular cell of width Δ with its level at the midpoint, both signs, for a cell starting
 * at 0, in units of 1/a²: ∫₀ᵗ (v − s)² e^(−v) dv = (s² − 2s + 2) − e^(−t)(s² + 2s + 2).
 * That is a²·2c(Δ) of spec §2. Rewritten as 2e^(−s)·[(s² + 2) sinh s − 2s cosh s]
 * = 2e^(−s)·Σ_{k≥1} 2k(2k−1)·s^(2k+1)/(2k+1)!, a series with only positive terms (the
 * closed form loses ~24ε/t² relative precision, i.e. 8 digits at R = 16).
 */
export function cellSq(s: number): number {
  if (s > SERIES_LIMIT) return s * s - 2 * s + 2 - Math.exp(-2 * s) * (s * s + 2 * s + 2);
  const s2 = s * s;
  let term = (s2 * s) / 3; // k = 1: 2·1·s³/3!
  let sum = term;
  for (let k = 1; k < 60; k++) {
    // term_{k+1}/term_k = (2k+1)·s² / (2k·(2k−1)·(2k+3))
    term *= ((2 * k + 1) * s2) / (2 * k * (2 * k - 1) * (2 * k + 3));
    sum += term;
    if (term <= sum * 1e-18) break;
  }
  return 2 * Math.exp(-s) * sum;
}

/**
 * The central midtread cell [−Δ/2, Δ/2] → 0, both signs, in units of 1/a²:
 * ∫₀ˢ v² e^(−v) dv = 2 − e^(−s)(s² + 2s + 2) = 2e^(−s)·Σ_{k≥3} s^k/k! (positive terms).
 */
export function centralSq(s: number): number {
  if (s > 2 * SERIES_LIMIT) return 2 - Math.exp(-s) * (s * s + 2 * s + 2);
  let term = (s * s * s) / 6;
  let sum = term;
  for (let k = 4; k < 80; k++) {
    term *= s / k;
    sum += term;
    if (term <= sum * 1e-18) break;
  }
  return 2 * Math.exp(-s) * sum;
}

/**
 * Minus the first moment of the error in one inner cell (level at the midpoint), in units of
 * 1/a: −∫₀ᵗ (v − s) e^(−v) dv = (s − 1) + e^(−2s)(1 + s) = 2e^(−s)(s cosh s − sinh s)
 * = 2e^(−s)·Σ_{k≥1} 2k·s^(2k+1)/(2k+1)! > 0 — the pull of a decreasing density towards the
 * lower threshold, which the optimality condition balances against the overload tail.
 */
export function cellBias(s: number): number {
  if (s > SERIES_LIMIT) return s - 1 + Math.exp(-2 * s) * (1 + s);
  const s2 = s * s;
  let term = (s2 * s) / 3; // k = 1: 2·s³/3!
  let sum = term;
  for (let k = 1; k < 60; k++) {
    // term_{k+1}/term_k = (k+1)·s² / (k·(2k+2)·(2k+3))
    term *= ((k + 1) * s2) / (k * (2 * k + 2) * (2 * k + 3));
    sum += term;
    if (term <= sum * 1e-18) break;
  }
  return 2 * Math.exp(-s) * sum;
}

/** Σ_{i=0}^{K−1} q^i with q = e^(−t): (1 − q^K)/(1 − q) as a ratio of two `expm1`s. */
export function geomSum(K: number, t: number): number {
  if (K <= 0) return 0;
  return Math.expm1(-K * t) / Math.expm1(-t);
}

/**
 * Σ_{i=0}^{K−1} i·q^i with q = e^(−t). Closed form q·[(1 − q^K) − K·q^(K−1)(1 − q)]/(1 − q)²,
 * whose bracket loses about 2ε/(Kt) relative precision — harmless, since Kt ≈ a·x_max ≥ 1 in
 * every design; short sums are added directly.
 */
export function geomMomentSum(K: number, t: number): number {
  if (K <= 1) return 0;
  if (K <= 32) {
    const q = Math.exp(-t);
    let p = q,
      sum = 0;
    for (let i = 1; i < K; i++) {
      sum += i * p;
      p *= q;
    }
    return sum;
  }
  const v = -Math.expm1(-t); // 1 − q, exact even when q ≈ 1
  const q = Math.exp(-t);
  const b = -Math.expm1(-K * t) - K * Math.exp(-(K - 1) * t) * v;
  return (q * b) / (v * v);
}

/** Normalized granular and overload distortion (multiply by σ²/2 for absolute values). */
export interface NormalizedDistortion {
  /** a²·D_g */
  readonly granular: number;
  /** a²·D_o */
  readonly overload: number;
}

/**
 * a²·D_g and a²·D_o of the N-level quantizer with support `u = a·x_max`.
 *
 * Midrise (spec §2): N/2 cells per side, D_g = 2c(Δ)·(1 − q^(N/2))/(1 − q).
 * Midtread (N odd, K = (N−1)/2): the central cell plus K cells per side starting at Δ/2, so the
 * geometric weights carry an extra e^(−s).
 * Overload (both, level x_max − Δ/2 beyond ±x_max): e^(−u)·(s² + 2s + 2).
 */
export function normalizedDistortion(N: number, u: number, midtread: boolean): NormalizedDistortion {
  const t = (2 * u) / N;
  const s = t / 2;
  const overload = Math.exp(-u) * (s * s + 2 * s + 2);
  if (!midtread) return { granular: cellSq(s) * geomSum(N / 2, t), overload };
  const K = (N - 1) / 2;
  return { granular: centralSq(s) + Math.exp(-s) * cellSq(s) * geomSum(K, t), overload };
}

/**
 * The scaled optimality function P(Δ) with dD/dΔ = −(2/a)·P (midrise) or −(2/a)·e^(−s)·P
 * (midtread).
 *
 * Derivation: interior thresholds are midpoints between adjacent levels, and beyond ±x_max the
 * outer level is the same as the last cell's, so no threshold term appears when Δ scales and
 * dD/dΔ = −2·E[(X − Q(X))·dQ/dΔ] = −4·Σᵢ cᵢ·Eᵢ, with Eᵢ the first error moment of cell i on
 * one side and cᵢ = yᵢ/Δ (i − ½ midrise, i midtread). Inner cells have Eᵢ < 0 (density falls
 * across the cell, see {@link cellBias}); the open outer cell has E = e^(−…)(1 − s)/(2a).
 * Hence with L cells per side (L = N/2 midrise, (N−1)/2 midtread) and ω = ½ or 1:
 *   P = (L − 1 + ω)·q^(L−1)·(1 − s) − cellBias(s)·Σ_{i=0}^{L−2} (i + ω)·q^i.
 * Both terms are computed to full relative precision, so the root is found to ~ε even at
 * R = 16, where minimising D itself would stall near √ε (D is flat at its minimum).
 */
export function optimalityFunction(N: number, u: number, midtread: boolean): number {
  const t = (2 * u) / N;
  const s = t / 2;
  const L = midtread ? (N - 1) / 2 : N / 2;
  const w = midtread ? 1 : 0.5;
  const K = L - 1;
  const outer = (K + w) * Math.exp(-K * t) * (1 - s);
  const inner = K > 0 ? cellBias(s) * (geomMomentSum(K, t) + w * geomSum(K, t)) : 0;
  return outer - inner;
}

/**
 * Brent's root finder (zeroin) on a bracket [a, b] with f(a)·f(b) ≤ 0. Converges superlinearly
 * and never leaves the bracket, so it is safe on the flat-ish optimality function.
 */
export function brentRoot(f: (x: number) => number, a0: number, b0: number, tol = 1e-15): number {
  let a = a0,
    b = b0,
    fa = f(a),
    fb = f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  let c = a,
    fc = fa,
    d = b - a,
    e = d;
  for (let iter = 0; iter < 200; iter++) {
    if (fb > 0 === fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tol;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number, q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qq = fa / fc,
          r = fb / fc;
        p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  return b;
}
