/**
 * CRC-32 (the reflected polynomial 0xEDB88320 of core's `crc32`) of a message shifted by `len`
 * zero bytes, as an operator on the CRC value: zlib's `crc32_combine` with a zero second part.
 * The CRC is linear in this sense, crc(A‖B) = shifted(crc(A), |B|) ⊕ crc(B), so a stream whose
 * head changes but whose rest does not gets its new CRC from the old one in O(log |rest|) steps
 * instead of a pass over the rest.
 */
export function crc32Shift(crc: number, len: number): number {
  if (len <= 0) return crc >>> 0;
  const odd = new Uint32Array(32),
    even = new Uint32Array(32);
  // The operator for one zero bit, then squared to two and four zero bits.
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  square(even, odd);
  square(odd, even);
  let c = crc >>> 0,
    left = len;
  // Each step squares the operator (one byte, two, four, …) and applies it for each set bit of len.
  for (;;) {
    square(even, odd);
    if (left % 2 === 1) c = times(even, c);
    left = Math.floor(left / 2);
    if (left === 0) break;
    square(odd, even);
    if (left % 2 === 1) c = times(odd, c);
    left = Math.floor(left / 2);
    if (left === 0) break;
  }
  return c >>> 0;
}

function times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0, v = vec >>> 0; v !== 0; i++, v >>>= 1) if (v & 1) sum ^= mat[i]!;
  return sum >>> 0;
}

function square(out: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = times(mat, mat[n]!);
}

/**
 * The CRC-32 of A‖B from crc(A), crc(B) and |B| (zlib's `crc32_combine`): the container's
 * checksum is assembled from checksums of its coded streams computed where they were coded.
 */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  return (crc32Shift(crcA, lenB) ^ crcB) >>> 0;
}
