/**
 * The dense float64 linear algebra GPTQ needs: the Hessian proxy H = (2/m)·XᵀX of a layer's
 * inputs and the upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU). Pure, row-major `n × n` arrays.
 */

/** H = (2/m)·XᵀX for X row-major `[m, n]` (float32 inputs, float64 accumulation), as in GPTQ's `add_batch`. */
export function hessianFromInputs(x: Float32Array, m: number, n: number): Float64Array {
  const h = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    const off = r * n;
    for (let i = 0; i < n; i++) row[i] = x[off + i]!;
    for (let i = 0; i < n; i++) {
      const xi = row[i]!;
      if (xi === 0) continue; // ReLU inputs are mostly zero: skip their rank-1 terms
      const hi = i * n;
      for (let j = i; j < n; j++) h[hi + j]! += xi * row[j]!;
    }
  }
  const f = m > 0 ? 2 / m : 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = h[i * n + j]! * f;
      h[i * n + j] = v;
      h[j * n + i] = v;
    }
  }
  return h;
}

/**
 * In-place lower Cholesky factor of a symmetric matrix (only the lower triangle is read; the
 * upper is zeroed). Returns −1 on success, or the index of the first non-positive pivot.
 */
export function choleskyLowerInPlace(a: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= a[rj + k]! * a[rj + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return j;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return -1;
}

/** In-place inverse of a lower-triangular matrix with a positive diagonal. */
export function invertLowerInPlace(l: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    l[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k]! * l[k * n + j]!;
      l[i * n + j] = s / l[i * n + i]!;
    }
  }
}

/**
 * The upper triangular U with H⁻¹ = UᵀU, for a symmetric positive definite H.
 *
 * Why no explicit inverse: with J the order-reversing permutation, JHJ = L′L′ᵀ (lower Cholesky)
 * gives H = (JL′J)(JL′J)ᵀ with JL′J upper, so H⁻¹ = (JL′⁻¹J)ᵀ(JL′⁻¹J) and U = J·L′⁻¹·J — one
 * factorisation and one triangular inverse instead of GPTQ's cholesky → cholesky_inverse →
 * cholesky (the same matrix up to float64 rounding).
 *
 * @returns U row-major, or the index (in H's order) of the pivot that failed when H is not PD.
 */
export function upperCholeskyOfInverse(h: Float64Array, n: number): { u: Float64Array } | { failedAt: number } {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)]!;
  const bad = choleskyLowerInPlace(a, n);
  if (bad >= 0) return { failedAt: n - 1 - bad };
  invertLowerInPlace(a, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)]!;
  return { u };
}
