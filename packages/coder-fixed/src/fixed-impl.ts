/**
 * Fixed-length bit packing on typed arrays: `count` values of `width` bits each, LSB-first
 * (value i occupies bits [i·w, (i+1)·w) of the little-endian bit stream), zero-padded to a whole
 * byte. No per-element allocation; dedicated paths for 8, 16 and 32 bits (plain byte, halfword
 * and word copies), hand-unrolled 2- and 4-bit paths, and a 32-bit word accumulator for every
 * other width.
 */
import { largestCode, wordAligned, type CodeArray } from "@quantforge/core";

/** True on little-endian hosts, where typed-array views read the stream's byte order directly. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bits per code for an alphabet of `size` codes: max(1, ⌈log₂ size⌉) (1…32). */
export function codeWidth(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > 2 ** 32) throw new RangeError(`alphabet size ${size} must be an integer in 1…2^32.`);
  let b = 1;
  while (b < 32 && 2 ** b < size) b++;
  return b;
}

/** Bits needed to write `v` (0 for 0): ⌊log₂ v⌋ + 1. */
export function bitsFor(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v);
}

/** Bytes taken by `count` values of `width` bits. */
export function packedBytes(count: number, width: number): number {
  return Math.ceil((count * width) / 8);
}

/**
 * Packs `values` into `out` at `offset`, `packedBytes(values.length, width)` bytes. Returns the
 * bitwise OR of all values, so callers can check that every value fits `width` bits
 * (`(or >>> width) === 0` for width < 32) without a second pass; bits beyond `width` are dropped.
 * Writes straight into `out` (no scratch buffers: fresh pages cost more than the packing).
 *
 * With `onlyFitCheck`, the caller reads the OR only to check that every value fits `width` bits:
 * where the array's element is no wider than `width` (byte codes at 8 bits, halfword codes at 16)
 * none can exceed it, so the copying paths skip the OR's read-only pass (16M byte codes: ~10 ms,
 * issue 18) and return 0.
 */
export function packBits(values: CodeArray, width: number, out: Uint8Array, offset: number, onlyFitCheck = false): number {
  const n = values.length;
  let or = 0;
  if (width === 0 || n === 0) return orOf(values);
  const skip = onlyFitCheck && values.BYTES_PER_ELEMENT * 8 <= width;
  if (width === 8) {
    // Native conversion to bytes (mod 256; a memcpy from 8-bit codes), then a read-only pass for the range check.
    out.set(values, offset);
    return skip ? 0 : orOf(values);
  }
  if (width === 32) {
    if (LITTLE_ENDIAN && values instanceof Uint32Array) out.set(new Uint8Array(values.buffer, values.byteOffset, n * 4), offset);
    else for (let i = 0, o = offset; i < n; i++, o += 4) writeWord(out, o, values[i]!);
    return 0;
  }
  let o = offset;
  if (width === 16) {
    if (LITTLE_ENDIAN && values instanceof Uint16Array) {
      // 16-bit codes are the stream's halfwords already: one copy, then the OR for the contract.
      out.set(new Uint8Array(values.buffer, values.byteOffset, n * 2), offset);
      return skip ? 0 : orOf(values);
    }
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      or |= v;
      out[o] = v;
      out[o + 1] = v >>> 8;
      o += 2;
    }
    return or >>> 0;
  }
  let i = 0;
  // 4 and 2 bits: whole values per byte, hand-unrolled (a generic inner loop is ~2× slower).
  if (width === 4) {
    for (; i + 1 < n; i += 2) {
      const a = values[i]!,
        b = values[i + 1]!;
      or |= a | b;
      out[o++] = (a & 15) | (b << 4);
    }
  } else if (width === 2) {
    for (; i + 3 < n; i += 4) {
      const a = values[i]!,
        b = values[i + 1]!,
        c = values[i + 2]!,
        d = values[i + 3]!;
      or |= a | b | c | d;
      out[o++] = (a & 3) | ((b & 3) << 2) | ((c & 3) << 4) | (d << 6);
    }
  }
  // 32-bit word accumulator (and the tail of the widths above): each full word is stored as 4
  // little-endian bytes, the last partial word as just the bytes it needs.
  let acc = 0,
    nacc = 0;
  for (; i < n; i++) {
    const v = values[i]!;
    or |= v;
    acc |= v << nacc;
    nacc += width;
    if (nacc >= 32) {
      writeWord(out, o, acc);
      o += 4;
      nacc -= 32;
      // The top `nacc` bits of v did not fit; width − nacc ≥ 1 because nacc was < 32 before.
      acc = nacc === 0 ? 0 : v >>> (width - nacc);
    }
  }
  for (; nacc > 0; nacc -= 8) {
    out[o++] = acc;
    acc >>>= 8;
  }
  return or >>> 0;
}

/**
 * The bitwise OR of every value of `values`. Byte and halfword codes are read as 32-bit words
 * over their word-aligned middle (core's `wordAligned`: 16M byte codes took ~16 ms one by one)
 * and the word's lanes folded; the unaligned ends one by one.
 */
export function orOf(values: CodeArray): number {
  const n = values.length;
  let or = 0;
  if (values instanceof Uint32Array) {
    for (let i = 0; i < n; i++) or |= values[i]!;
    return or >>> 0;
  }
  const { words, head, tail } = wordAligned(values);
  let w = 0;
  for (let i = 0; i < words.length; i++) w |= words[i]!;
  or = values.BYTES_PER_ELEMENT === 1 ? (w | (w >>> 8) | (w >>> 16) | (w >>> 24)) & 0xff : (w | (w >>> 16)) & 0xffff;
  for (let i = 0; i < head; i++) or |= values[i]!;
  for (let i = tail; i < n; i++) or |= values[i]!;
  return or >>> 0;
}

function writeWord(out: Uint8Array, o: number, w: number): void {
  out[o] = w;
  out[o + 1] = w >>> 8;
  out[o + 2] = w >>> 16;
  out[o + 3] = w >>> 24;
}

/**
 * The largest value of `values` (0 when empty): core's `largestCode`, under the name this package
 * exported it by before core had it.
 */
export const maxValue: (values: CodeArray) => number = largestCode;

/**
 * Unpacks `out.length` values of `width` bits from `bytes` at `offset` into `out`. The caller has
 * checked that `packedBytes(out.length, width)` bytes are available. Reads the bytes in place at
 * any alignment (containers hand coders views at arbitrary offsets).
 */
export function unpackBits(bytes: Uint8Array, offset: number, width: number, out: CodeArray): void {
  const n = out.length;
  if (width === 0 || n === 0) {
    out.fill(0);
    return;
  }
  if (width === 8) {
    out.set(bytes.subarray(offset, offset + n));
    return;
  }
  const start = bytes.byteOffset + offset;
  if (width === 16) {
    if (LITTLE_ENDIAN && (start & 1) === 0) {
      out.set(new Uint16Array(bytes.buffer, start, n));
      return;
    }
    for (let i = 0, o = offset; i < n; i++, o += 2) out[i] = bytes[o]! | (bytes[o + 1]! << 8);
    return;
  }
  if (width === 32) {
    if (LITTLE_ENDIAN && (start & 3) === 0) {
      out.set(new Uint32Array(bytes.buffer, start, n));
      return;
    }
    for (let i = 0, o = offset; i < n; i++, o += 4) out[i] = (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
    return;
  }
  const mask = (1 << width) - 1; // width ≤ 31 here, so the shift is exact
  let i = 0,
    o = offset;
  if (width === 4) {
    for (; i + 1 < n; i += 2) {
      const b = bytes[o++]!;
      out[i] = b & 15;
      out[i + 1] = b >>> 4;
    }
  } else if (width === 2) {
    for (; i + 3 < n; i += 4) {
      const b = bytes[o++]!;
      out[i] = b & 3;
      out[i + 1] = (b >>> 2) & 3;
      out[i + 2] = (b >>> 4) & 3;
      out[i + 3] = b >>> 6;
    }
  }
  // Word accumulator over little-endian words read from bytes; the last word may be partial.
  const end = offset + packedBytes(n, width);
  let acc = 0,
    nacc = 0;
  for (; i < n; i++) {
    if (nacc >= width) {
      out[i] = acc & mask;
      acc >>>= width;
      nacc -= width;
    } else {
      const word = o + 4 <= end ? bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24) : tailWord(bytes, o, end);
      o += 4;
      // Take the missing width − nacc (1…31) bits from the next word; keep its rest.
      out[i] = (acc | (word << nacc)) & mask;
      acc = word >>> (width - nacc);
      nacc += 32 - width;
    }
  }
}

/** The little-endian word at `o` with bytes at or past `end` read as 0. */
function tailWord(bytes: Uint8Array, o: number, end: number): number {
  let w = 0;
  for (let k = 0; k < 4 && o + k < end; k++) w |= bytes[o + k]! << (8 * k);
  return w;
}

/**
 * True when the padding bits after `count` values of `width` bits (up to the byte boundary) are
 * all zero — a canonical stream has no stray bits.
 */
export function paddingIsZero(bytes: Uint8Array, offset: number, count: number, width: number): boolean {
  const bits = count * width;
  const used = bits % 8;
  if (used === 0) return true;
  return bytes[offset + Math.floor(bits / 8)]! >>> used === 0;
}
