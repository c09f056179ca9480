import { DecodeError } from "@quantforge/core";

/**
 * MSB-first bit writer. Huffman codes are canonical numbers written most significant bit first,
 * so the decoder can index its lookup table with the next k bits as an integer and compare long
 * codes numerically (canonical limits) — no bit reversal needed.
 */
export class BitOut {
  buf: Uint8Array;
  /** Bytes already flushed. */
  pos = 0;
  /** Pending bits (fewer than 8 between calls), right-aligned. */
  acc = 0;
  cnt = 0;
  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(Math.max(16, initialBytes));
  }
  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.pos + bytes + 8 <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + bytes + 8) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  /** Writes the low `n` bits of `v`, 0 ≤ n ≤ 24. */
  write(v: number, n: number): void {
    if (n === 0) return;
    this.reserve(4);
    // cnt < 8 and n ≤ 24 keep acc below 2^31.
    const acc = (this.acc << n) | (v & ((1 << n) - 1));
    let cnt = this.cnt + n;
    while (cnt >= 8) {
      cnt -= 8;
      this.buf[this.pos++] = (acc >>> cnt) & 0xff;
    }
    this.acc = acc & ((1 << cnt) - 1);
    this.cnt = cnt;
  }
  /** Writes the low `n` bits of a non-negative integer `v < 2^53`, 0 ≤ n ≤ 48. */
  writeLong(v: number, n: number): void {
    while (n > 24) {
      n -= 24;
      this.write(Math.floor(v / 2 ** n) & 0xffffff, 24);
    }
    this.write(v % 2 ** n, n);
  }
  /** Exp-Golomb order 0 of a non-negative integer `x < 2^48`: floor(log2(x+1)) zeros, then x+1. */
  expGolomb(x: number): void {
    const y = x + 1;
    let nb = 0;
    while (2 ** (nb + 1) <= y) nb++;
    this.writeLong(0, nb);
    this.writeLong(y, nb + 1);
  }
  /** Bits written so far. */
  get bitLength(): number {
    return this.pos * 8 + this.cnt;
  }
  /**
   * Flushes the partial byte (zero-padded) and returns the bytes: a view of the buffer, not a
   * copy (a body of tens of megabytes is copied once, into the stream). Write nothing after it.
   */
  finish(): Uint8Array {
    if (this.cnt > 0) {
      this.reserve(1);
      this.buf[this.pos++] = (this.acc << (8 - this.cnt)) & 0xff;
      this.acc = 0;
      this.cnt = 0;
    }
    return this.buf.subarray(0, this.pos);
  }
}

/** Exact bit length of {@link BitOut.expGolomb}(x). */
export function expGolombBits(x: number): number {
  const y = x + 1;
  let nb = 0;
  while (2 ** (nb + 1) <= y) nb++;
  return 2 * nb + 1;
}

/**
 * MSB-first bit reader over `buf[start, end)`. Reading past the end yields zero bits and is
 * detected by {@link BitIn.overrun}; callers bound every loop by counts checked beforehand, so
 * corrupted input can never make decoding loop forever.
 */
export class BitIn {
  pos: number;
  acc = 0;
  cnt = 0;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  /** Ensures at least 25 bits are buffered (zeros past the end). */
  fill(): void {
    while (this.cnt <= 24) {
      const b = this.pos < this.end ? this.buf[this.pos]! : 0;
      this.pos++;
      this.acc = ((this.acc << 8) | b) >>> 0;
      this.cnt += 8;
    }
  }
  /** The next `n` bits (1 ≤ n ≤ 24) without consuming them. */
  peek(n: number): number {
    if (this.cnt < n) this.fill();
    return (this.acc >>> (this.cnt - n)) & ((1 << n) - 1);
  }
  /** Consumes `n` bits (n ≤ bits buffered). */
  skip(n: number): void {
    this.cnt -= n;
    this.acc = this.cnt === 0 ? 0 : this.acc & (2 ** this.cnt - 1);
  }
  /** Reads `n` bits, 0 ≤ n ≤ 24. */
  read(n: number): number {
    if (n === 0) return 0;
    const v = this.peek(n);
    this.skip(n);
    return v;
  }
  /** Reads `n` bits, 0 ≤ n ≤ 48, as a non-negative integer. */
  readLong(n: number): number {
    let v = 0;
    while (n > 24) {
      n -= 24;
      v = v * 2 ** 24 + this.read(24);
    }
    return v * 2 ** n + this.read(n);
  }
  /** Reads an Exp-Golomb order-0 integer; more than `maxPrefix` leading zeros is a {@link DecodeError}. */
  expGolomb(maxPrefix = 40): number {
    let nb = 0;
    while (this.read(1) === 0) {
      if (++nb > maxPrefix || this.overrun) throw new DecodeError("huffman stream has an over-long Exp-Golomb prefix. The stream is corrupted.");
    }
    return 2 ** nb + this.readLong(nb) - 1;
  }
  /** Bits consumed since `start` (relative to the byte offset `start`). */
  bitsConsumed(start: number): number {
    return (this.pos - start) * 8 - this.cnt;
  }
  /** True when more bits were consumed than `[start, end)` holds. */
  get overrun(): boolean {
    return this.pos * 8 - this.cnt > this.end * 8;
  }
}
