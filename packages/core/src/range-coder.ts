import { DecodeError } from "./errors.js";

/**
 * An adaptive binary range coder (the LZMA construction: 12-bit probabilities, shift-4
 * adaptation, carry propagation through a cached byte) for the container's tensor heads
 * (heads-table.ts). Why adaptive and binary: a head section is a few hundred bytes, too short to
 * pay for a static code table; adaptive bits learn the repetitive structure of names (the same
 * token after the same token, a number one more than the last) from the data itself.
 *
 * All arithmetic stays exact in JS numbers: `range` < 2³², bounds < 2³², `low` < 2³³.
 * The stream is the encoder's bytes without the first one (always 0); the decoder reads exactly
 * the bytes the encoder wrote, so reading past them — or leaving any unread — is a corrupt file.
 */

const BITS = 12;
const ONE = 1 << BITS;
/** Probabilities stay in [MIN, ONE − MIN]: a decision shrinks the range by at least MIN / ONE. */
const MIN = 32;
/** After this many observations a bit adapts at the fixed rate 1 / (LIMIT + 2). */
const LIMIT = 30;
const TOP = 1 << 24;

/**
 * `n` adaptive bits: the probability of a 0 (of {@link ONE}) and how often each was seen. A bit
 * learns as the Krichevsky–Trofimov estimator (p += (target − p) / (seen + 2)) until it has seen
 * {@link LIMIT} values, then as an exponential average; why: most contexts of a head stream see a
 * few dozen values, so a fixed slow rate would spend most of their bits learning.
 */
export class Probs {
  readonly p: Uint16Array;
  readonly seen: Uint8Array;
  constructor(n: number) {
    this.p = new Uint16Array(n).fill(ONE >> 1);
    this.seen = new Uint8Array(n);
  }
  /** Starts entry `i` at probability `p0` of a 0, as if it had seen `seen` values. */
  prime(i: number, p0: number, seen: number): void {
    this.p[i] = Math.min(ONE - MIN, Math.max(MIN, Math.round(p0 * ONE)));
    this.seen[i] = Math.min(LIMIT, seen);
  }
  /** Adapts entry `i` to `bit`. */
  update(i: number, bit: number): void {
    const q = this.p[i]!,
      n = this.seen[i]!;
    const target = bit === 0 ? ONE : 0;
    const next = q + Math.trunc((target - q) / (n + 2));
    this.p[i] = Math.min(ONE - MIN, Math.max(MIN, next));
    if (n < LIMIT) this.seen[i] = n + 1;
  }
}

/** A fresh context of `n` adaptive bits (probability of 0 at one half). */
export function probs(n: number): Probs {
  return new Probs(n);
}

/** Encodes adaptive bits; {@link RangeEncoder.finish} returns the stream. */
export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private readonly out: number[] = [];

  /** Codes `bit` (0 or 1) with the adaptive probability `p[i]`, then adapts it. */
  bit(p: Probs, i: number, bit: number): void {
    const bound = (this.range >>> BITS) * p.p[i]!;
    p.update(i, bit);
    if (bit === 0) this.range = bound;
    else {
      this.low += bound;
      this.range -= bound;
    }
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= 0x100000000) {
      const carry = this.low >= 0x100000000 ? 1 : 0;
      let temp = this.cache;
      do {
        this.out.push((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = Math.floor(this.low / TOP) & 0xff;
    }
    this.cacheSize++;
    this.low = (this.low % TOP) * 256;
  }

  /** Flushes the coder; returns the stream (the leading zero byte dropped). */
  finish(): Uint8Array {
    for (let i = 0; i < 5; i++) this.shiftLow();
    return Uint8Array.from(this.out.slice(1));
  }
}

/** Decodes what {@link RangeEncoder} wrote, from `buf[start, end)`. */
export class RangeDecoder {
  private range = 0xffffffff;
  private code = 0;
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next();
    // A valid stream keeps code < range; anything else would let `code` grow past exact integers.
    if (this.code >= this.range) throw new DecodeError("container head stream has an invalid start. The file is corrupted.");
  }

  private next(): number {
    if (this.pos >= this.end) throw new DecodeError("container head stream ends early. The file is corrupted.");
    return this.buf[this.pos++]!;
  }

  /** Decodes one bit with the adaptive probability `p[i]` and adapts it as the encoder did. */
  bit(p: Probs, i: number): number {
    const bound = (this.range >>> BITS) * p.p[i]!;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      b = 0;
    } else {
      this.code -= bound;
      this.range -= bound;
      b = 1;
    }
    p.update(i, b);
    while (this.range < TOP) {
      this.range *= 256;
      this.code = this.code * 256 + this.next();
    }
    return b;
  }

  /** True when every byte of the stream was read (as the encoder wrote it). */
  get done(): boolean {
    return this.pos === this.end;
  }
}

/** Either side of the coder: `code` writes `v` (encoder) or returns the decoded value (decoder). */
export interface BitCoder {
  /** Codes one bit: the encoder codes `bit` and returns it, the decoder ignores it and returns the decoded bit. */
  bit(p: Probs, i: number, bit: number): number;
}

/** A {@link BitCoder} over an encoder. */
export function encoding(e: RangeEncoder): BitCoder {
  return {
    bit: (p, i, b) => {
      e.bit(p, i, b);
      return b;
    },
  };
}

/** A {@link BitCoder} over a decoder. */
export function decoding(d: RangeDecoder): BitCoder {
  return { bit: (p, i) => d.bit(p, i) };
}

/** Codes an `n`-bit symbol (MSB first) with the bit-tree context `p` (`1 << n` entries, offset `at`). */
export function codeSymbol(c: BitCoder, p: Probs, at: number, n: number, v: number): number {
  let node = 1;
  for (let k = n - 1; k >= 0; k--) node = (node << 1) | c.bit(p, at + node, (v >> k) & 1);
  return node - (1 << n);
}

/** Most bits of an integer {@link UintContext} codes: values stay below 2⁵³ − 1. */
const MAX_BITS = 52;

/** Adaptive context of an Elias-gamma-coded unsigned integer: unary bit length, then the bits under the top one. */
export class UintContext {
  private readonly len = probs(MAX_BITS + 1);
  private readonly low = probs((MAX_BITS + 1) * MAX_BITS);

  /** Codes `v` (encoder) or decodes a value (decoder; `v` ignored). */
  code(c: BitCoder, v: number): number {
    const n = v + 1;
    let nb = 0;
    while (nb < MAX_BITS && c.bit(this.len, nb, n >= 2 ** (nb + 1) ? 1 : 0) === 1) nb++;
    let out = 1;
    for (let k = nb - 1; k >= 0; k--) out = out * 2 + c.bit(this.low, nb * MAX_BITS + k, Math.floor(n / 2 ** k) % 2);
    return out - 1;
  }
}

/** Zigzag-codes a signed integer with `ctx`. */
export function codeSigned(c: BitCoder, ctx: UintContext, v: number): number {
  const z = ctx.code(c, v >= 0 ? 2 * v : -2 * v - 1);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
