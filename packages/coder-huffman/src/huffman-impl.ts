import type { CodeArray } from "@quantforge/core";
import { usedSymbols } from "@quantforge/core/format";
import { denseCounts } from "./counts-impl.js";

/** Longest code the format allows (the decoder peeks at most 24 bits at a time). */
export const MAX_CODE_LENGTH = 24;
/** More distinct symbols than this in one section are stored as fixed-width raw codes. */
export const MAX_HUFFMAN_SYMBOLS = 1 << MAX_CODE_LENGTH;

/**
 * Optimal prefix-code lengths for `weights` (all > 0), at most `maxLen` bits each.
 *
 * Unconstrained lengths come from the in-place Moffat–Katajainen algorithm (Huffman's
 * construction on sorted weights in O(n)); only if the longest exceeds `maxLen` does the
 * package-merge algorithm (Larmore–Hirschberg) find the optimal length-limited code. The result
 * is always a complete code (Kraft sum exactly 1) for n ≥ 2; n = 1 gets length 0.
 *
 * @param weights - symbol frequencies, one per symbol, each > 0.
 * @param maxLen - length limit; needs 2^maxLen ≥ n.
 * @returns the code length of each symbol, in input order.
 */
export function huffmanCodeLengths(weights: ArrayLike<number>, maxLen: number): Uint8Array {
  const n = weights.length;
  const out = new Uint8Array(n);
  if (n <= 1) return out;
  if (2 ** maxLen < n) throw new RangeError(`a ${maxLen}-bit length limit cannot code ${n} symbols`);
  // Sort ascending by (weight, index) for determinism.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => weights[a]! - weights[b]! || a - b);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = weights[order[i]!]!;
  const a = Float64Array.from(w);
  moffatKatajainen(a);
  let longest = 0;
  for (let i = 0; i < n; i++) if (a[i]! > longest) longest = a[i]!;
  const lens = longest <= maxLen ? a : packageMerge(w, maxLen);
  for (let i = 0; i < n; i++) out[order[i]!] = lens[i]!;
  return out;
}

/** In-place minimum-redundancy code lengths of ascending weights `A` (Moffat & Katajainen 1995). */
function moffatKatajainen(A: Float64Array): void {
  const n = A.length;
  // Phase 1: build the tree, parent pointers overwrite weights.
  A[0]! += A[1]!;
  let root = 0,
    leaf = 2;
  for (let next = 1; next < n - 1; next++) {
    if (leaf >= n || A[root]! < A[leaf]!) {
      A[next] = A[root]!;
      A[root++] = next;
    } else A[next] = A[leaf++]!;
    if (leaf >= n || (root < next && A[root]! < A[leaf]!)) {
      A[next]! += A[root]!;
      A[root++] = next;
    } else A[next]! += A[leaf++]!;
  }
  // Phase 2: internal node depths.
  A[n - 2] = 0;
  for (let next = n - 3; next >= 0; next--) A[next] = A[A[next]!]! + 1;
  // Phase 3: leaf depths, longest first (smallest weights first).
  let avbl = 1,
    used = 0,
    dpth = 0,
    rt = n - 2,
    nx = n - 1;
  while (avbl > 0) {
    while (rt >= 0 && A[rt] === dpth) {
      used++;
      rt--;
    }
    while (avbl > used) {
      A[nx--] = dpth;
      avbl--;
    }
    avbl = 2 * used;
    dpth++;
    used = 0;
  }
}

/**
 * Package-merge on ascending weights `w` with limit `L`: the optimal length-limited code.
 * Level lists are merged from the deepest level up; per level only a "is a package" flag per
 * list position is kept. The top level selects its first 2n−2 items; the packages among them
 * expand to a prefix of the level below, and so on. The leaves selected at each level are
 * always the cheapest ones, so a symbol's length is the number of levels whose selected leaf
 * count exceeds its rank.
 */
function packageMerge(w: Float64Array, L: number): Float64Array {
  const n = w.length;
  const flags: Uint8Array[] = new Array<Uint8Array>(L + 1);
  let prev = Float64Array.from(w); // level L list: leaves only
  let prevLen = n;
  flags[L] = new Uint8Array(n);
  for (let level = L - 1; level >= 1; level--) {
    const pk = prevLen >> 1;
    const len = n + pk;
    const cur = new Float64Array(len);
    const f = new Uint8Array(len);
    let i = 0,
      j = 0,
      o = 0;
    while (i < n || j < pk) {
      const pw = j < pk ? prev[2 * j]! + prev[2 * j + 1]! : Infinity;
      if (i < n && w[i]! <= pw) {
        cur[o] = w[i++]!;
        f[o++] = 0;
      } else {
        cur[o] = pw;
        f[o++] = 1;
        j++;
      }
    }
    flags[level] = f;
    prev = cur;
    prevLen = len;
  }
  const hist = new Int32Array(n + 1);
  let sel = 2 * n - 2;
  for (let level = 1; level <= L && sel > 0; level++) {
    const f = flags[level]!;
    let pkgs = 0;
    for (let p = 0; p < sel; p++) pkgs += f[p]!;
    hist[sel - pkgs]!++;
    sel = 2 * pkgs;
  }
  const out = new Float64Array(n);
  let acc = 0;
  for (let i = n - 1; i >= 0; i--) {
    acc += hist[i + 1]!;
    out[i] = acc;
  }
  return out;
}

/**
 * Canonical codes for `lengths` (symbols ordered by (length, index)), as in DEFLATE (RFC 1951
 * §3.2.2). Length-0 symbols get no code.
 */
export function canonicalCodes(lengths: Uint8Array): Uint32Array {
  let maxLen = 0;
  for (const l of lengths) if (l > maxLen) maxLen = l;
  const count = new Uint32Array(maxLen + 2);
  for (const l of lengths) if (l > 0) count[l]!++;
  // next[len] = (next[len−1] + count[len−1]) << 1, next[1] = 0.
  const next = new Float64Array(maxLen + 2);
  for (let len = 2; len <= maxLen; len++) next[len] = (next[len - 1]! + count[len - 1]!) * 2;
  const codes = new Uint32Array(lengths.length);
  for (let i = 0; i < lengths.length; i++) {
    const l = lengths[i]!;
    if (l > 0) codes[i] = next[l]!++;
  }
  return codes;
}

/** True when `lengths` (0 = unused) form a complete prefix code: Σ 2^−len = 1 exactly. */
export function isCompleteCode(lengths: Uint8Array): boolean {
  let sum = 0;
  for (const l of lengths) {
    if (l > MAX_CODE_LENGTH) return false;
    if (l > 0) sum += 2 ** (MAX_CODE_LENGTH - l);
  }
  return sum === 2 ** MAX_CODE_LENGTH;
}

/** Zeroth-order entropy of a histogram in bits per symbol (0 for an empty or one-symbol histogram). */
export function entropyBits(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) h -= (c / total) * Math.log2(c / total);
  }
  return h;
}

/** The distinct symbols of `values` (ascending) and how often each occurs. */
export interface Alphabet {
  readonly symbols: Uint32Array;
  readonly counts: Float64Array;
}

/** Histogram of `values` (or of `histogram`, their dense histogram, when given): dense counting when the largest value is small, sorting otherwise. */
export function alphabetOf(values: CodeArray, histogram?: Float64Array): Alphabet {
  if (values.length === 0) return { symbols: new Uint32Array(0), counts: new Float64Array(0) };
  // Values below 2^16: one counting pass. Dense counting needs max < 2^22 and max ≤ 4n + 1024.
  // Dense and sorted counting give the same alphabet, so a histogram the caller has is used as is.
  let h = histogram ?? denseCounts(values, Math.min(1 << 22, values.length * 4 + 1025));
  if (!h) {
    let max = 0;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    if (max < 1 << 22 && max <= values.length * 4 + 1024) {
      h = new Float64Array(max + 1);
      for (let i = 0; i < values.length; i++) h[values[i]!]!++;
    }
  }
  if (h) return usedSymbols(h);
  const sorted = Uint32Array.from(values).sort();
  let k = 1;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) k++;
  const symbols = new Uint32Array(k),
    counts = new Float64Array(k);
  k = 0;
  symbols[0] = sorted[0]!;
  counts[0] = 1;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i - 1]) {
      symbols[++k] = sorted[i]!;
      counts[k] = 0;
    }
    counts[k]!++;
  }
  return { symbols, counts };
}

/** A code for one section: the used symbols (ascending) and their code lengths. */
export interface SectionCode {
  readonly symbols: Uint32Array;
  /** Code length per symbol; 0 for the single symbol of a one-symbol alphabet. */
  readonly lengths: Uint8Array;
  /** True when stored as fixed-width raw values (more than {@link MAX_HUFFMAN_SYMBOLS} symbols). */
  readonly raw: boolean;
}

/** The effective length limit: never below ⌈log2(n)⌉ + 4, never above {@link MAX_CODE_LENGTH}. */
export function effectiveMaxLength(requested: number, n: number): number {
  const floor = n <= 1 ? 1 : Math.ceil(Math.log2(n)) + 4;
  return Math.min(MAX_CODE_LENGTH, Math.max(requested, floor));
}

/** Designs the code of one section from its alphabet. */
export function designSection(alpha: Alphabet, maxLen: number): SectionCode {
  const n = alpha.symbols.length;
  if (n > MAX_HUFFMAN_SYMBOLS) return { symbols: alpha.symbols, lengths: new Uint8Array(n), raw: true };
  return { symbols: alpha.symbols, lengths: huffmanCodeLengths(alpha.counts, effectiveMaxLength(maxLen, n)), raw: false };
}
