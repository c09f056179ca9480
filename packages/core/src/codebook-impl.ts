import { codebookSize, gridStep, type Codebook } from "./codebook.js";
import { groupIndexMap } from "./grouping.js";
import { InvalidQuantizedError } from "./errors.js";
import type { CodeArray, QuantizedTensor } from "./quantized.js";
import { shapeSize } from "./tensor.js";
import { codeArray } from "./code-array.js";

const fround = Math.fround;

/** Per-group parameter index: params of length 1 are shared by every group. */
function paramIndex(len: number, g: number): number {
  return len === 1 ? 0 : g;
}

/**
 * Dequantizes `codes` (for elements whose groups are `groups`) into `out`, in float32.
 * The expressions below are the format's definition; never change them.
 *   levels: levels[q]
 *   affine: fround((q − z_g)·s_g)
 *   grid:   fround(μ_g + σ_g·fround(c(q)·Δ)), c(q) = q − N/2 + ½ (midrise) or q − (N−1)/2 (midtread)
 *   scaledLevels: fround(levels[q]·s_g)
 */
export function dequantizeCodes(cb: Codebook, codes: CodeArray, groups: Int32Array | null, out: Float32Array): void {
  const n = codes.length;
  if (cb.kind === "scaledLevels") {
    const lv = cb.levels,
      s = cb.scale;
    for (let i = 0; i < n; i++) out[i] = fround(lv[codes[i]!]! * s[groups === null ? 0 : paramIndex(s.length, groups[i]!)]!);
    return;
  }
  if (cb.kind === "levels") {
    const lv = cb.levels;
    for (let i = 0; i < n; i++) out[i] = lv[codes[i]!]!;
    return;
  }
  if (cb.kind === "affine") {
    const s = cb.scale,
      z = cb.zeroPoint;
    if (s.length === 1 || groups === null) {
      const s0 = s[0]!,
        z0 = z[0]!;
      for (let i = 0; i < n; i++) out[i] = fround((codes[i]! - z0) * s0);
    } else {
      for (let i = 0; i < n; i++) {
        const g = groups[i]!;
        out[i] = fround((codes[i]! - z[g]!) * s[g]!);
      }
    }
    return;
  }
  const step = gridStep(cb);
  const off = cb.midtread ? (cb.levels - 1) / 2 : cb.levels / 2 - 0.5;
  const sg = cb.sigma,
    mg = cb.mu;
  // The σ = 1 levels fround((q − off)·Δ) are computed once per code, not once per element; the
  // values are identical, so the expression above is unchanged.
  if (cb.levels > Math.max(n, 1 << 16)) {
    // A table larger than the tensor would cost more than it saves (and a corrupt N must not allocate).
    for (let i = 0; i < n; i++) {
      const g = groups === null ? 0 : paramIndex(sg.length, groups[i]!);
      out[i] = fround(mg[g]! + sg[g]! * fround((codes[i]! - off) * step));
    }
    return;
  }
  const unit = new Float32Array(cb.levels);
  for (let q = 0; q < cb.levels; q++) unit[q] = fround((q - off) * step);
  if (groups === null || sg.length === 1) {
    // One σ and μ: the decoded value of each code is computed once too (same expression), and
    // the loop is a table lookup.
    const s0 = sg[0]!,
      m0 = mg[0]!;
    for (let q = 0; q < cb.levels; q++) unit[q] = fround(m0 + s0 * unit[q]!);
    for (let i = 0; i < n; i++) out[i] = unit[codes[i]!]!;
    return;
  }
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    out[i] = fround(mg[g]! + sg[g]! * unit[codes[i]!]!);
  }
}

/**
 * Maps values to the nearest code of a codebook with the given group parameters (the inverse of
 * {@link dequantizeCodes}); re-quantizing decoded weights with the stored parameters must
 * reproduce the codes. Exact ties go to the lower level for `levels` codebooks and up
 * (`Math.round`) for `affine` and `grid`.
 */
export function requantizeValues(cb: Codebook, values: Float32Array, groups: Int32Array | null, out: CodeArray): void {
  const n = values.length;
  if (cb.kind === "levels") {
    const k = cb.levels.length;
    const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => cb.levels[a]! - cb.levels[b]! || a - b);
    const sorted = new Float64Array(k);
    for (let i = 0; i < k; i++) sorted[i] = cb.levels[order[i]!]!;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      let lo = 0,
        hi = k - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      // lo = first level ≥ v; compare with the one below.
      if (lo > 0 && v - sorted[lo - 1]! <= sorted[lo]! - v) lo--;
      out[i] = order[lo]!;
    }
    return;
  }
  if (cb.kind === "scaledLevels") {
    requantizeScaled(cb.levels, cb.scale, values, groups, out);
    return;
  }
  if (cb.kind === "affine") {
    const max = cb.levels - 1;
    for (let i = 0; i < n; i++) {
      const g = groups === null ? 0 : paramIndex(cb.scale.length, groups[i]!);
      const s = cb.scale[g]!,
        z = cb.zeroPoint[g]!;
      let q = s === 0 ? Math.round(z) : Math.round(values[i]! / s + z);
      if (q < 0) q = 0;
      else if (q > max) q = max;
      out[i] = q;
    }
    return;
  }
  const N = cb.levels,
    step = gridStep(cb);
  // c(q) = q − off (see dequantizeCodes), so the nearest code is round(x/Δ + off). For even-N
  // midrise this equals ⌊x/Δ⌋ + N/2 and for odd-N midtread round(x/Δ) + (N−1)/2; unlike those
  // forms it stays an integer for the other parities too (odd-N midrise, even-N midtread).
  const off = cb.midtread ? (N - 1) / 2 : N / 2 - 0.5;
  for (let i = 0; i < n; i++) {
    const g = groups === null ? 0 : paramIndex(cb.sigma.length, groups[i]!);
    const s = cb.sigma[g]!;
    const x = s === 0 ? 0 : (values[i]! - cb.mu[g]!) / s;
    let q = Math.round(x / step + off);
    if (q < 0) q = 0;
    else if (q > N - 1) q = N - 1;
    out[i] = q;
  }
}

/** Group index of every coded element (survivors only when sparse), or null when all share one. */
export function codedGroups(t: QuantizedTensor): Int32Array | null {
  if (t.grouping.kind === "tensor") return null;
  const all = groupIndexMap(t.shape, t.grouping);
  if (!t.sparse) return all;
  const p = t.sparse.positions;
  const g = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) g[i] = all[p[i]!]!;
  return g;
}

/** Dequantizes one tensor to a dense float32 array (pruned elements are exactly 0). */
export function dequantizeTensor(t: QuantizedTensor, cb: Codebook): Float32Array {
  if (cb.id !== t.codebook) throw new InvalidQuantizedError(`tensor "${t.name}" refers to codebook "${t.codebook}" but "${cb.id}" was given.`);
  const n = shapeSize(t.shape);
  const groups = codedGroups(t);
  if (!t.sparse) {
    const out = new Float32Array(n);
    dequantizeCodes(cb, t.codes, groups, out);
    return out;
  }
  const vals = new Float32Array(t.codes.length);
  dequantizeCodes(cb, t.codes, groups, vals);
  const out = new Float32Array(n);
  const p = t.sparse.positions;
  for (let i = 0; i < p.length; i++) out[p[i]!] = vals[i]!;
  return out;
}

/** Most codes {@link codeValueTable} tabulates (a larger table costs more than its lookups save). */
const CODE_TABLE_MAX = 1 << 16;

/**
 * The decoded value of every code of a tensor whose values depend on its codes alone (grouping
 * per tensor, so {@link dequantizeCodes} reads one parameter set for every element): `table[q]`
 * is what dequantizeCodes writes for code q, computed by it, so a lookup is the format's value to
 * the bit. Undefined for grouped or sparse tensors, a codebook of another id, and codebooks with
 * more than 2^16 codes or more codes than the tensor has elements. A code ≥ `table.length` is not
 * in the table: callers fall back to dequantizeCodes (issue 18: error sums read `table[code]`
 * instead of dequantizing into a block and reading it back).
 */
export function codeValueTable(t: QuantizedTensor, cb: Codebook): Float32Array | undefined {
  if (t.grouping.kind !== "tensor" || t.sparse || cb.id !== t.codebook) return undefined;
  const size = codebookSize(cb);
  if (!(size >= 1 && size <= CODE_TABLE_MAX && size <= Math.max(256, t.codes.length))) return undefined;
  // In the array kind the codebook's quantizers give (codeArray): dequantizeCodes then sees one kind in a run.
  const codes = codeArray(size, size);
  for (let q = 0; q < size; q++) codes[q] = q;
  const table = new Float32Array(size);
  dequantizeCodes(cb, codes, null, table);
  return table;
}

/** Elements per block of {@link dequantizeTensorBlocks}: a block's codes, values and originals (768 KiB) stay in cache. */
const DEQUANTIZE_BLOCK = 65536;

/**
 * {@link dequantizeTensor} of a dense tensor block by block, handing each decoded block
 * `[start, end)` to `visit` right after it is written, while it is still in cache: a pass that
 * reads the decoded values (error sums, a histogram of the codes) costs no second trip to memory
 * (issue 18: three passes over 64 MB arrays became one). The values are those of
 * {@link dequantizeTensor}: each element's formula does not depend on the block. Sparse tensors,
 * grid codebooks whose level table costs more than a block, and anything dequantizeTensor refuses
 * or reads another way are dequantized whole (and visited once).
 */
export function dequantizeTensorBlocks(t: QuantizedTensor, cb: Codebook, visit: (start: number, end: number, out: Float32Array) => void): Float32Array {
  const n = shapeSize(t.shape);
  if (takenWhole(t, cb, n)) {
    const out = dequantizeTensor(t, cb);
    visit(0, out.length, out);
    return out;
  }
  const out = new Float32Array(n);
  blocks(t, cb, n, out, (start, values) => visit(start, start + values.length, out));
  return out;
}

/**
 * The values {@link dequantizeTensorBlocks} visits, without keeping them: each block of the
 * tensor's dense values, `values` holding elements `[start, start + values.length)`, is written
 * into one reused block-sized array and handed to `visit` before the next block overwrites it (a
 * tensor dequantizeTensorBlocks takes whole: one visit of all of its values). For a pass that only
 * reads the decoded values, e.g. error sums whose values nobody keeps: no tensor-sized array and
 * none of its page faults (issue 18).
 */
export function visitDequantized(t: QuantizedTensor, cb: Codebook, visit: (start: number, values: Float32Array) => void): void {
  const n = shapeSize(t.shape);
  if (takenWhole(t, cb, n)) visit(0, dequantizeTensor(t, cb));
  else blocks(t, cb, n, null, visit);
}

/** Sparse tensors, grid codebooks whose level table costs more than a block, and anything dequantizeTensor refuses or reads another way. */
function takenWhole(t: QuantizedTensor, cb: Codebook, n: number): boolean {
  return t.sparse !== undefined || t.codes.length !== n || cb.id !== t.codebook || (cb.kind === "grid" && cb.levels > DEQUANTIZE_BLOCK / 16);
}

/** The one block loop of a dense tensor of `n` elements: into `out` (the whole tensor) or, with `out` null, one reused block. */
function blocks(t: QuantizedTensor, cb: Codebook, n: number, out: Float32Array | null, visit: (start: number, values: Float32Array) => void): void {
  const groups = codedGroups(t);
  const block = out ?? new Float32Array(Math.min(n, DEQUANTIZE_BLOCK));
  for (let s = 0; s < n; s += DEQUANTIZE_BLOCK) {
    const e = Math.min(n, s + DEQUANTIZE_BLOCK);
    const values = out ? out.subarray(s, e) : block.subarray(0, e - s);
    dequantizeCodes(cb, t.codes.subarray(s, e), groups === null ? null : groups.subarray(s, e), values);
    visit(s, values);
  }
}

/** Re-quantizes dense values of a tensor with its stored codebook parameters (conformance check). */
export function requantizeTensor(t: QuantizedTensor, cb: Codebook, dense: Float32Array): Uint32Array {
  const groups = codedGroups(t);
  let vals = dense;
  if (t.sparse) {
    const p = t.sparse.positions;
    vals = new Float32Array(p.length);
    for (let i = 0; i < p.length; i++) vals[i] = dense[p[i]!]!;
  }
  const out = new Uint32Array(vals.length);
  requantizeValues(cb, vals, groups, out);
  return out;
}

/**
 * Nearest code of every value under `fround(levels[q]·s_g)` (s_g ≥ 0), ties to the lower level
 * (then the lower code), as for `levels` codebooks.
 */
function requantizeScaled(levels: Float32Array, scale: Float32Array, values: Float32Array, groups: Int32Array | null, out: CodeArray): void {
  const k = levels.length;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => levels[a]! - levels[b]! || a - b);
  const sorted = new Float64Array(k);
  for (let i = 0; i < k; i++) sorted[i] = levels[order[i]!]!;
  for (let i = 0; i < values.length; i++) {
    const s = scale[groups === null ? 0 : paramIndex(scale.length, groups[i]!)]!;
    const v = values[i]!;
    let lo = 0,
      hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fround(sorted[mid]! * s) < v) lo = mid + 1;
      else hi = mid;
    }
    // lo = first level whose scaled value is ≥ v; the first of equal scaled values wins below it.
    if (lo > 0 && v - fround(sorted[lo - 1]! * s) <= fround(sorted[lo]! * s) - v) lo--;
    while (lo > 0 && fround(sorted[lo - 1]! * s) === fround(sorted[lo]! * s)) lo--;
    out[i] = order[lo]!;
  }
}
