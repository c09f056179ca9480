import { DecodeError } from "./errors.js";

/** One encoder for every string written (a fresh TextEncoder per string showed in profiles of 60,000-tensor files). */
const UTF8 = new TextEncoder();

/** Arrays shorter than this are copied by {@link ByteWriter.ref}: a separate part would cost more than the copy. */
const REF_MIN = 1 << 12;

/**
 * A growable little-endian byte writer. Large sections added with {@link ByteWriter.ref} are
 * kept by reference and copied once, into the exact-size output of {@link ByteWriter.finish}:
 * a container of coded streams is assembled with one copy of each stream, not one per doubling
 * of a growing buffer plus two more at the end.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written into `buf`, the current buffer of small writes. */
  private pos = 0;
  /** Finished sections in order: filled buffers and referenced arrays. */
  private readonly parts: Uint8Array[] = [];
  private partBytes = 0;
  constructor(private readonly initial = 1024) {
    this.buf = new Uint8Array(Math.max(16, initial));
    this.view = new DataView(this.buf.buffer);
  }
  /** Bytes written so far. */
  get length(): number {
    return this.partBytes + this.pos;
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }
  f32(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }
  /** Unsigned LEB128 varint (values < 2^53). */
  varint(v: number): this {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
      this.ensure(1);
    }
    this.buf[this.pos++] = v;
    return this;
  }
  /** Appends a copy of `b`. */
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /**
   * Appends `b` by reference: it is copied once, by {@link finish}. The caller must not change
   * `b` before then (coded streams are never changed once returned).
   */
  ref(b: Uint8Array): this {
    if (b.length < REF_MIN) return this.bytes(b);
    if (this.pos > 0) {
      this.parts.push(this.buf.subarray(0, this.pos));
      this.partBytes += this.pos;
      this.buf = new Uint8Array(Math.max(16, this.initial));
      this.view = new DataView(this.buf.buffer);
      this.pos = 0;
    }
    this.parts.push(b);
    this.partBytes += b.length;
    return this;
  }
  /** Length-prefixed UTF-8 string. */
  str(s: string): this {
    const b = UTF8.encode(s);
    this.varint(b.length);
    return this.bytes(b);
  }
  /** Float32 array, raw little-endian. */
  f32array(a: Float32Array): this {
    this.ensure(a.length * 4);
    for (let i = 0; i < a.length; i++) {
      this.view.setFloat32(this.pos, a[i]!, true);
      this.pos += 4;
    }
    return this;
  }
  /**
   * The written bytes in one new array, with `extra` zero bytes after them (room for a trailer
   * such as a checksum, without another copy).
   */
  finish(extra = 0): Uint8Array {
    const out = new Uint8Array(this.length + extra);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    out.set(this.buf.subarray(0, this.pos), o);
    return out;
  }
  /**
   * The written bytes as they are held, in order, without the copy {@link finish} makes: the
   * referenced arrays themselves and views of the small writes between them (a 50 MB container
   * is written and checked from its coded streams, not from a concatenation of them: issue 18).
   * The writer must not be used afterwards.
   */
  finishParts(): Uint8Array[] {
    return this.pos > 0 ? [...this.parts, this.buf.subarray(0, this.pos)] : [...this.parts];
  }
}

/** The concatenation of `parts` in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A bounds-checked little-endian reader: every overrun is a {@link DecodeError}, never a crash.
 * One made by {@link ByteReader.over} reads a sequence of arrays as if they were one: `buf`,
 * `pos` and `end` then describe the current array, and every read (after its {@link need})
 * lies within it, so `buf.subarray(pos, pos + n)` after `need(n)` is what the read returns.
 */
export class ByteReader {
  private view: DataView;
  pos: number;
  /** A reader over parts: the parts, the index of the one after `buf`, and the bytes from there on. */
  private rest: Uint8Array[] = [];
  private next = 0;
  private restBytes = 0;
  constructor(
    public buf: Uint8Array,
    start = 0,
    public end = buf.length,
    private readonly what = "stream",
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }
  /**
   * A reader of the first `length` bytes of `parts` read in order as one byte string. A read that
   * begins where an array begins and fits in it is a view of that array (a coded stream a
   * container holds by reference comes back as the same bytes); one that straddles arrays is
   * read from a copy of the bytes it spans.
   */
  static over(parts: readonly Uint8Array[], length: number, what = "stream"): ByteReader {
    const kept: Uint8Array[] = [];
    let left = Math.max(0, length);
    for (const p of parts) {
      if (left === 0) break;
      const q = p.length <= left ? p : p.subarray(0, left);
      if (q.length > 0) kept.push(q);
      left -= q.length;
    }
    const r = new ByteReader(kept.shift() ?? new Uint8Array(0), 0, undefined, what);
    r.rest = kept;
    for (const p of kept) r.restBytes += p.length;
    return r;
  }
  /** Throws unless `n` more bytes are available (moving on to the next part first, when there is one). */
  need(n: number): void {
    if (!(n >= 0) || this.pos + n > this.end) this.gather(n);
  }
  /** Makes the next `n` bytes lie in `buf` from `pos`: the next part, or a copy of the bytes spanning parts. */
  private gather(n: number): void {
    if (!(n >= 0) || this.pos + n > this.end + this.restBytes) throw new DecodeError(`${this.what} is truncated (needs ${n} more bytes at offset ${this.pos}, has ${this.remaining}). Re-create the file.`);
    let cur = this.buf.subarray(this.pos, this.end);
    if (cur.length === 0) cur = this.nextPart();
    if (cur.length < n) {
      // Spanning parts: the bytes up to n are copied into one array, the rest of the last part stays a part.
      const joined = new Uint8Array(n);
      joined.set(cur);
      let o = cur.length;
      while (o < n) {
        const p = this.nextPart();
        const take = Math.min(p.length, n - o);
        joined.set(p.subarray(0, take), o);
        o += take;
        if (take < p.length) {
          this.rest[--this.next] = p.subarray(take);
          this.restBytes += p.length - take;
        }
      }
      cur = joined;
    }
    this.buf = cur;
    this.view = new DataView(cur.buffer, cur.byteOffset, cur.byteLength);
    this.pos = 0;
    this.end = cur.length;
  }
  private nextPart(): Uint8Array {
    const p = this.rest[this.next++]!;
    this.restBytes -= p.length;
    return p;
  }
  get remaining(): number {
    return this.end - this.pos + this.restBytes;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  varint(): number {
    let v = 0,
      mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new DecodeError(`${this.what} has an over-long varint at offset ${this.pos}. The file is corrupted.`);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  str(): string {
    const n = this.varint();
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(n));
    } catch (e) {
      throw new DecodeError(`${this.what} has an invalid string. The file is corrupted.`, e);
    }
  }
  f32array(n: number): Float32Array {
    this.need(n * 4);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.view.getFloat32(this.pos, true);
      this.pos += 4;
    }
    return out;
  }
}
