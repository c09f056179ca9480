/**
 * Test-only numerical quadrature (Gauss–Legendre, Neumaier-compensated sums), used to check the
 * closed forms independently. Not exported from the package.
 */

/** Nodes and weights of the n-point Gauss–Legendre rule on [−1, 1] (Newton on P_n). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n),
    w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1,
        p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

/** Neumaier-compensated accumulator. */
export class CompensatedSum {
  private s = 0;
  private c = 0;
  add(v: number): void {
    const t = this.s + v;
    if (Math.abs(this.s) >= Math.abs(v)) this.c += this.s - t + v;
    else this.c += v - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

const RULE = gaussLegendre(32);

/** ∫_lo^hi f(x) dx by 32-point Gauss–Legendre on `pieces` equal sub-intervals. */
export function integrate(f: (x: number) => number, lo: number, hi: number, pieces = 1): number {
  const acc = new CompensatedSum();
  const h = (hi - lo) / pieces;
  for (let p = 0; p < pieces; p++) {
    const a = lo + p * h,
      mid = a + h / 2,
      half = h / 2;
    for (let i = 0; i < RULE.x.length; i++) acc.add(RULE.w[i]! * half * f(mid + half * RULE.x[i]!));
  }
  return acc.value;
}

/** D_g and D_o by quadrature, cell by cell, for a Laplacian of std σ (both signs). */
export function quadratureDistortion(N: number, xMax: number, sigma: number, midtread: boolean): { granular: number; overload: number } {
  const a = Math.SQRT2 / sigma;
  const pdf = (x: number): number => (a / 2) * Math.exp(-a * x);
  const step = (2 * xMax) / N;
  const g = new CompensatedSum();
  if (midtread) {
    g.add(2 * integrate((x) => x * x * pdf(x), 0, step / 2, 4));
    for (let j = 1; j <= (N - 1) / 2; j++) {
      const y = j * step;
      g.add(2 * integrate((x) => (x - y) ** 2 * pdf(x), y - step / 2, y + step / 2, 2));
    }
  } else {
    for (let i = 0; i < N / 2; i++) {
      const y = (i + 0.5) * step;
      g.add(2 * integrate((x) => (x - y) ** 2 * pdf(x), i * step, (i + 1) * step, 2));
    }
  }
  const yo = xMax - step / 2;
  const overload = 2 * integrate((x) => (x - yo) ** 2 * pdf(x), xMax, xMax + 40 * sigma, 400);
  return { granular: g.value, overload };
}
