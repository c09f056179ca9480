/** The maintained basis inverse B⁻¹ of the vertex walk: products and rank-one pivots over its touched columns. */

/**
 * out = B⁻¹·v where v = src[off … off + r) and B⁻¹ equals the identity outside its touched
 * columns. Four columns per sweep: the O(r·touched) inner loop is the walk's hot spot, and
 * sharing the loads/stores of `out` roughly doubles its throughput.
 */
export function applyInverse(binv: Float64Array, r: number, touched: Int32Array, nTouched: number, src: Float64Array, off: number, out: Float64Array): void {
  for (let k = 0; k < r; k++) out[k] = src[off + k]!;
  let c = 0;
  for (; c + 4 <= nTouched; c += 4) {
    const c0 = touched[c]!,
      c1 = touched[c + 1]!,
      c2 = touched[c + 2]!,
      c3 = touched[c + 3]!;
    const a0 = src[off + c0]!,
      a1 = src[off + c1]!,
      a2 = src[off + c2]!,
      a3 = src[off + c3]!;
    // Blank inputs (MNIST's border pixels) give all-zero columns: nothing to add.
    if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
    out[c0] = out[c0]! - a0;
    out[c1] = out[c1]! - a1;
    out[c2] = out[c2]! - a2;
    out[c3] = out[c3]! - a3;
    const b0 = c0 * r,
      b1 = c1 * r,
      b2 = c2 * r,
      b3 = c3 * r;
    for (let k = 0; k < r; k++) {
      out[k] = out[k]! + a0 * binv[b0 + k]! + a1 * binv[b1 + k]! + a2 * binv[b2 + k]! + a3 * binv[b3 + k]!;
    }
  }
  for (; c < nTouched; c++) {
    const col = touched[c]!;
    const a = src[off + col]!;
    if (a === 0) continue;
    out[col] = out[col]! - a;
    const b = col * r;
    for (let k = 0; k < r; k++) out[k] = out[k]! + a * binv[b + k]!;
  }
}

/**
 * B⁻¹ ← E·B⁻¹, where E maps the entering direction d to e_leave (a Gauss–Jordan pivot on row
 * `leave`; the revised simplex's rank-one update). `leave` must already be among the touched
 * columns. Two columns per sweep share the loads of d.
 */
export function pivotInverse(binv: Float64Array, r: number, touched: Int32Array, nTouched: number, d: Float64Array, leave: number): void {
  const piv = d[leave]!;
  let c = 0;
  for (; c + 2 <= nTouched; c += 2) {
    const b0 = touched[c]! * r,
      b1 = touched[c + 1]! * r;
    const v0 = binv[b0 + leave]! / piv,
      v1 = binv[b1 + leave]! / piv;
    for (let k = 0; k < r; k++) {
      const dk = d[k]!;
      binv[b0 + k] = binv[b0 + k]! - dk * v0;
      binv[b1 + k] = binv[b1 + k]! - dk * v1;
    }
    binv[b0 + leave] = v0;
    binv[b1 + leave] = v1;
  }
  for (; c < nTouched; c++) {
    const b = touched[c]! * r;
    const v = binv[b + leave]! / piv;
    if (v === 0) continue;
    for (let k = 0; k < r; k++) binv[b + k] = binv[b + k]! - d[k]! * v;
    binv[b + leave] = v;
  }
}
