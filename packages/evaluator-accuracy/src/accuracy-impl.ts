/**
 * Pure metrics on class-probability matrices `[count, classes]` (row-major Float32Array).
 */

/** Index of the largest entry of row `n` (the first one on ties, like `argmax`). */
function argmaxRow(p: Float32Array, n: number, classes: number): number {
  const base = n * classes;
  let best = 0;
  let bv = p[base]!;
  for (let a = 1; a < classes; a++) {
    const v = p[base + a]!;
    if (v > bv) {
      bv = v;
      best = a;
    }
  }
  return best;
}

/** Top-1 predicted class of every row. */
export function topClasses(p: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) out[n] = argmaxRow(p, n, classes);
  return out;
}

/** Share of rows whose top-1 class equals the label (0 for no rows). */
export function top1Accuracy(pred: Int32Array, labels: Int32Array, count: number): number {
  let c = 0;
  for (let n = 0; n < count; n++) if (pred[n] === labels[n]) c++;
  return count === 0 ? 0 : c / count;
}

/** Share of rows where both networks pick the same top-1 class (0 for no rows). */
export function top1Agreement(a: Int32Array, b: Int32Array, count: number): number {
  let c = 0;
  for (let n = 0; n < count; n++) if (a[n] === b[n]) c++;
  return count === 0 ? 0 : c / count;
}

/**
 * Mean over rows of KL(p ‖ q) = Σ_a p_a (ln p_a − ln q_a), in nats, accumulated in float64.
 * Terms with p_a = 0 contribute 0 (the limit p ln p → 0). Float32 softmax outputs underflow to
 * exactly 0, so q_a is floored at `epsilon` before the log: a quantized network that gives a
 * class the float network believes in zero probability then costs p_a·ln(p_a/ε) instead of ∞.
 * Identical rows give exactly 0; negative rounding residue is clamped to 0 (KL ≥ 0).
 */
export function meanKlDivergence(p: Float32Array, q: Float32Array, count: number, classes: number, epsilon: number): number {
  if (count === 0) return 0;
  let total = 0;
  for (let n = 0; n < count; n++) {
    const base = n * classes;
    let kl = 0;
    for (let a = 0; a < classes; a++) {
      const pa = p[base + a]!;
      if (pa <= 0) continue;
      const qa = q[base + a]!;
      if (qa === pa) continue;
      kl += pa * (Math.log(pa) - Math.log(qa > epsilon ? qa : epsilon));
    }
    total += kl > 0 ? kl : 0;
  }
  return total / count;
}
