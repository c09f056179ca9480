import { DecodeError, type QuantizedTensor, type CodeArray } from "@quantforge/core";
import { ByteReader, ByteWriter } from "@quantforge/core/format";
import { bitLength, histogram } from "./section-impl.js";

/*
 * Slices of a tensor along one axis (a conv or dense kernel's output channels): mode CLASSED of a
 * group codes each slice with one of the group's shared tables, chosen per slice. Channels of one
 * layer have different scales, so their codes have different distributions: coding each channel
 * with the table of its class can beat the tensor's own zeroth-order entropy by more than the
 * class indices cost (measured on real tfjs weights: iris 0.24 bit/weight of per-channel entropy
 * below the per-tensor one).
 */

/** A tensor's slices along `axis`: slice c holds the elements whose index along `axis` is c. */
export interface Slices {
  readonly axis: number;
  /** Elements before the axis (product of the leading dimensions). */
  readonly outer: number;
  /** Slices (the axis' length). */
  readonly count: number;
  /** Elements after the axis (product of the trailing dimensions). */
  readonly inner: number;
  /** Histogram of each slice's codes. */
  readonly hist: readonly { readonly symbols: Uint32Array; readonly counts: Float64Array }[];
}

/** Largest alphabet for which slices are considered (their costs use dense per-symbol arrays). */
export const MAX_CLASSED_ALPHABET = 4096;

function layout(shape: readonly number[], axis: number): { outer: number; count: number; inner: number } {
  let outer = 1,
    inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return { outer, count: shape[axis]!, inner };
}

/** Copies slice `c` of `codes` into `out` (length outer·inner), in index order. */
export function gatherSlice(codes: CodeArray, s: { outer: number; count: number; inner: number }, c: number, out: Uint32Array): void {
  const { outer, count, inner } = s;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    const base = (o * count + c) * inner;
    for (let j = 0; j < inner; j++) out[k++] = codes[base + j]!;
  }
}

/** The inverse of {@link gatherSlice}. */
export function scatterSlice(codes: Uint32Array, s: { outer: number; count: number; inner: number }, c: number, from: Uint32Array): void {
  const { outer, count, inner } = s;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    const base = (o * count + c) * inner;
    for (let j = 0; j < inner; j++) codes[base + j] = from[k++]!;
  }
}

function entropyBits(counts: Float64Array): number {
  let n = 0,
    h = 0;
  for (const c of counts) n += c;
  for (const c of counts) h -= c * Math.log2(c / n);
  return h;
}

/**
 * The slices of a dense tensor of rank ≥ 2 along its last or first axis, whichever has the
 * lower summed slice entropy (plus two bits per slice for its class); null when the tensor is
 * sparse, has rank < 2, is empty, or the alphabet is too large.
 */
export function slicesOf(t: QuantizedTensor, alphabetSize: number): Slices | null {
  const nd = t.shape.length;
  if (t.sparse || nd < 2 || alphabetSize > MAX_CLASSED_ALPHABET || t.codes.length < 2) return null;
  let best: Slices | null = null,
    bestBits = Infinity;
  for (const axis of [nd - 1, 0]) {
    const l = layout(t.shape, axis);
    if (l.count < 2 || l.count > 65_536) continue;
    const buf = new Uint32Array(l.outer * l.inner);
    const hist = [];
    let bits = 2 * l.count;
    for (let c = 0; c < l.count; c++) {
      gatherSlice(t.codes, l, c, buf);
      const h = histogram(buf);
      bits += entropyBits(h.counts);
      hist.push(h);
    }
    if (bits < bestBits) {
      bestBits = bits;
      best = { axis, ...l, hist };
    }
  }
  return best;
}

/** Bits per class index among `tables` shared tables. */
export function classWidth(tables: number): number {
  return bitLength(tables - 1);
}

/** Appends the slices' classes, `classWidth(tables)` bits each, LSB first. */
export function writeClasses(w: ByteWriter, classes: Uint8Array, tables: number): void {
  const width = classWidth(tables);
  const out = new Uint8Array(Math.ceil((classes.length * width) / 8));
  let bit = 0;
  for (const c of classes) {
    for (let b = 0; b < width; b++, bit++) if ((c >> b) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  }
  w.bytes(out);
}

/** Reads `count` classes written by {@link writeClasses}; each must name one of `tables`. */
export function readClasses(r: ByteReader, count: number, tables: number): Uint8Array {
  const width = classWidth(tables);
  const bytes = r.bytes(Math.ceil((count * width) / 8));
  const classes = new Uint8Array(count);
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let c = 0;
    for (let b = 0; b < width; b++, bit++) c |= ((bytes[bit >> 3]! >> (bit & 7)) & 1) << b;
    if (c >= tables) throw new DecodeError(`rans group has a slice on shared table ${c} of ${tables}. The container is corrupted; re-encode it.`);
    classes[i] = c;
  }
  if (bit & 7 && bytes[bytes.length - 1]! >> (bit & 7)) throw new DecodeError("rans group has non-zero class padding. The container is corrupted; re-encode it.");
  return classes;
}
