/**
 * Fixed-length bit packing on typed arrays: `count` values of `width` bits each, LSB-first
 * (value i occupies bits [i·w, (i+1)·w) of the little-endian bit stream), zero-padded to a whole
 * byte. No per-element allocation; dedicated paths for 8, 16 and 32 bits (plain byte, halfword
 * and word copies) and a 32-bit word accumulator for every other width.
 */

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
 * Packs `values` (each < 2^width) into `out` at `offset`, `packedBytes(values.length, width)`
 * bytes. Returns the largest value seen, so callers can validate the range without a second
 * pass; bits of larger values beyond `width` are dropped, so check the result.
 */
export function packBits(values: Uint32Array, width: number, out: Uint8Array, offset: number): number {
  const n = values.length;
  let max = 0;
  if (width === 0 || n === 0) {
    for (let i = 0; i < n; i++) if (values[i]! > max) max = values[i]!;
    return max;
  }
  if (width === 8) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v > max) max = v;
      out[offset + i] = v;
    }
    return max;
  }
  if (width === 16) {
    let o = offset;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v > max) max = v;
      out[o] = v;
      out[o + 1] = v >>> 8;
      o += 2;
    }
    return max;
  }
  if (width === 32) {
    for (let i = 0; i < n; i++) if (values[i]! > max) max = values[i]!;
    copyWords(values, out, offset);
    return max;
  }
  // Word accumulator: whole 32-bit words go to an aligned scratch array, then one byte copy.
  const nbytes = packedBytes(n, width);
  const words = new Uint32Array((nbytes + 3) >>> 2);
  let acc = 0, nacc = 0, w = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v > max) max = v;
    acc |= v << nacc;
    nacc += width;
    if (nacc >= 32) {
      words[w++] = acc;
      nacc -= 32;
      // The top `nacc` bits of v did not fit; width − nacc ≥ 1 because nacc was < 32 before.
      acc = nacc === 0 ? 0 : v >>> (width - nacc);
    }
  }
  if (nacc > 0) words[w] = acc;
  copyWords(words, out, offset, nbytes);
  return max;
}

/** Copies the first `nbytes` little-endian bytes of `words` into `out` at `offset`. */
function copyWords(words: Uint32Array, out: Uint8Array, offset: number, nbytes = words.length * 4): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(words.buffer, words.byteOffset, nbytes), offset);
    return;
  }
  for (let i = 0; i < nbytes; i++) out[offset + i] = (words[i >>> 2]! >>> ((i & 3) * 8)) & 0xff;
}

/** A word-aligned little-endian view of `bytes[offset, offset + nbytes)`, copying only when needed. */
function wordsOf(bytes: Uint8Array, offset: number, nbytes: number): Uint32Array {
  const start = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && (start & 3) === 0 && (nbytes & 3) === 0) return new Uint32Array(bytes.buffer, start, nbytes >>> 2);
  const words = new Uint32Array((nbytes + 3) >>> 2);
  if (LITTLE_ENDIAN) new Uint8Array(words.buffer).set(bytes.subarray(offset, offset + nbytes));
  else for (let i = 0; i < nbytes; i++) words[i >>> 2]! |= bytes[offset + i]! << ((i & 3) * 8);
  return words;
}

/**
 * Unpacks `out.length` values of `width` bits from `bytes` at `offset` into `out`. The caller has
 * checked that `packedBytes(out.length, width)` bytes are available.
 */
export function unpackBits(bytes: Uint8Array, offset: number, width: number, out: Uint32Array): void {
  const n = out.length;
  if (width === 0 || n === 0) { out.fill(0); return; }
  if (width === 8) { out.set(bytes.subarray(offset, offset + n)); return; }
  if (width === 16) {
    const start = bytes.byteOffset + offset;
    if (LITTLE_ENDIAN && (start & 1) === 0) { out.set(new Uint16Array(bytes.buffer, start, n)); return; }
    let o = offset;
    for (let i = 0; i < n; i++) { out[i] = bytes[o]! | (bytes[o + 1]! << 8); o += 2; }
    return;
  }
  const nbytes = packedBytes(n, width);
  const words = wordsOf(bytes, offset, nbytes);
  if (width === 32) { out.set(words.subarray(0, n)); return; }
  const mask = (1 << width) - 1; // width ≤ 31 here, so the shift is exact
  let acc = 0, nacc = 0, w = 0;
  for (let i = 0; i < n; i++) {
    if (nacc >= width) {
      out[i] = acc & mask;
      acc >>>= width;
      nacc -= width;
    } else {
      // Take the missing width − nacc (1…31) bits from the next word; keep its rest.
      const word = words[w++]!;
      out[i] = (acc | (word << nacc)) & mask;
      acc = word >>> (width - nacc);
      nacc += 32 - width;
    }
  }
}

/**
 * True when the padding bits after `count` values of `width` bits (up to the byte boundary) are
 * all zero — a canonical stream has no stray bits.
 */
export function paddingIsZero(bytes: Uint8Array, offset: number, count: number, width: number): boolean {
  const bits = count * width;
  const used = bits % 8;
  if (used === 0) return true;
  return (bytes[offset + Math.floor(bits / 8)]! >>> used) === 0;
}
