/**
 * Sort-once data layout for 1-D clustering: values in ascending order with their importance
 * weights and prefix sums, so any interval cell's weighted mass, mean and distortion cost O(1).
 */
export interface SortedData {
  readonly n: number;
  /** Values in ascending order, shifted by `shift` (the weighted mean) to keep prefix sums well conditioned. */
  readonly v: Float64Array;
  /** The same values unshifted (exactly the input float32 values), ascending. */
  readonly raw: Float64Array;
  /** Importance weight of each sorted value (all > 0). */
  readonly h: Float64Array;
  /** Original index of each sorted value. */
  readonly order: Uint32Array;
  /** Added back to shifted values/centres to get real values. */
  readonly shift: number;
  /** Prefix sums (length n + 1) of h, h·v and h·v². */
  readonly P0: Float64Array;
  readonly P1: Float64Array;
  readonly P2: Float64Array;
}

/** Maps float32 bit patterns to unsigned keys that sort like the floats (−0 before +0). */
function floatKeys(values: Float32Array): Uint32Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const keys = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i]!;
    keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  return keys;
}

/**
 * Stable LSD radix sort (3 passes of 11 bits) of float32 values; returns the permutation.
 * O(n), and far faster than a comparator sort for the million-weight case.
 */
export function argsortFloat32(values: Float32Array): Uint32Array {
  const n = values.length;
  let keys: Uint32Array = floatKeys(values);
  let idx: Uint32Array = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let k2: Uint32Array = new Uint32Array(n),
    i2: Uint32Array = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 2047]!++;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const d = count[(keys[i]! >>> shift) & 2047]!++;
      k2[d] = keys[i]!;
      i2[d] = idx[i]!;
    }
    [keys, k2] = [k2, keys];
    [idx, i2] = [i2, idx];
  }
  return idx;
}

/**
 * Sorts `values` once and builds the prefix sums. `weights` (same length, all > 0) default to 1.
 */
export function prepareSorted(values: Float32Array, weights: Float64Array | null): SortedData {
  const n = values.length;
  const order = argsortFloat32(values);
  const v = new Float64Array(n),
    h = new Float64Array(n),
    raw = new Float64Array(n);
  let m0 = 0,
    m1 = 0;
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    v[i] = values[j]!;
    raw[i] = v[i]!;
    h[i] = weights ? weights[j]! : 1;
    m0 += h[i]!;
    m1 += h[i]! * v[i]!;
  }
  const shift = m0 > 0 ? m1 / m0 : 0;
  const P0 = new Float64Array(n + 1),
    P1 = new Float64Array(n + 1),
    P2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const x = v[i]! - shift;
    v[i] = x;
    const w = h[i]!;
    P0[i + 1] = P0[i]! + w;
    P1[i + 1] = P1[i]! + w * x;
    P2[i + 1] = P2[i]! + w * x * x;
  }
  return { n, v, raw, h, order, shift, P0, P1, P2 };
}

/** Weighted squared error of sorted elements [a, b) around `c` (shifted coordinates), ≥ 0. */
export function cellCost(d: SortedData, a: number, b: number, c: number): number {
  const s0 = d.P0[b]! - d.P0[a]!,
    s1 = d.P1[b]! - d.P1[a]!,
    s2 = d.P2[b]! - d.P2[a]!;
  const e = s2 - 2 * c * s1 + c * c * s0;
  return e > 0 ? e : 0;
}

/** Weighted mean of sorted elements [a, b) (shifted), or NaN for an empty range. */
export function cellMean(d: SortedData, a: number, b: number): number {
  const s0 = d.P0[b]! - d.P0[a]!;
  return s0 > 0 ? (d.P1[b]! - d.P1[a]!) / s0 : NaN;
}
