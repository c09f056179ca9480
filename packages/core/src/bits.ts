/**
 * LSB-first bit writer over a growable buffer. Values up to 32 bits per call; a 64-bit-free
 * accumulator keeps the hot path on small integers.
 */
export class BitWriter {
  private buf: Uint8Array;
  private pos = 0;
  private acc = 0;
  private nacc = 0;
  constructor(initialBytes = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialBytes));
  }
  private grow(): void {
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf);
    this.buf = next;
  }
  /** Writes the low `n` bits of `v` (0 ≤ n ≤ 32). */
  write(v: number, n: number): void {
    if (n > 24) {
      this.write(v & 0xffff, 16);
      this.write(Math.floor((v >>> 0) / 65536), n - 16);
      return;
    }
    this.acc |= (v & ((1 << n) - 1)) << this.nacc;
    this.nacc += n;
    while (this.nacc >= 8) {
      if (this.pos >= this.buf.length) this.grow();
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.nacc -= 8;
    }
  }
  /** Total bits written. */
  get bitLength(): number {
    return this.pos * 8 + this.nacc;
  }
  /** Flushes the partial byte (zero-padded) and returns a copy of the bytes. */
  finish(): Uint8Array {
    if (this.nacc > 0) {
      if (this.pos >= this.buf.length) this.grow();
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc = 0;
      this.nacc = 0;
    }
    return this.buf.slice(0, this.pos);
  }
}

/** LSB-first bit reader; reading past the end yields zero bits (callers check counts first). */
export class BitReader {
  private pos: number;
  private acc = 0;
  private nacc = 0;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }
  private fill(n: number): void {
    while (this.nacc < n) {
      const b = this.pos < this.end ? this.buf[this.pos]! : 0;
      this.pos++;
      this.acc |= b << this.nacc;
      this.nacc += 8;
    }
  }
  /** Reads `n` bits (0 ≤ n ≤ 24). */
  read(n: number): number {
    this.fill(n);
    const v = this.acc & ((1 << n) - 1);
    this.acc >>>= n;
    this.nacc -= n;
    return v;
  }
  /** Reads `n` bits (0 ≤ n ≤ 32). */
  readLong(n: number): number {
    if (n <= 24) return this.read(n);
    const lo = this.read(16);
    return lo + this.read(n - 16) * 65536;
  }
  /** Looks at the next `n` bits (n ≤ 24) without consuming them. */
  peek(n: number): number {
    this.fill(n);
    return this.acc & ((1 << n) - 1);
  }
  /** Drops `n` bits already peeked. */
  skip(n: number): void {
    this.fill(n);
    this.acc >>>= n;
    this.nacc -= n;
  }
  /** True if more bits were consumed than the buffer holds. */
  get overrun(): boolean {
    return this.pos - this.nacc / 8 > this.end;
  }
  /** Bytes consumed so far (rounded up to whole bytes). */
  get bytePosition(): number {
    return this.pos - Math.floor(this.nacc / 8);
  }
}
