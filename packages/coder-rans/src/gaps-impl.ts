import { DecodeError } from "@quantforge/core";
import { ByteReader, ByteWriter } from "@quantforge/core/format";
import { histogram, readSection, writeSection, type SectionOptions } from "./section-impl.js";

/** Largest escape threshold tried for gap coding. */
const MAX_ESCAPE_LOG2 = 16;

function varintBytes(v: number): number {
  let b = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    b++;
  }
  return b;
}

/**
 * Survivor positions of a sparse tensor, as gaps between consecutive survivors (the first
 * measured from −1, so every gap is ≥ 1). Gaps below an escape E are the rANS symbol gap − 1;
 * larger ones are symbol E − 1 plus varint(gap − E) in a side buffer. E is the power of two
 * (2 … 2^16), or the largest gap + 1, whose estimated size (entropy of the symbols plus the
 * escape bytes) is smallest.
 *
 *   varint E | section of the symbols (alphabet E) | varint escape bytes | escape bytes
 */
export function writeGaps(w: ByteWriter, positions: Uint32Array, opts: SectionOptions): void {
  const n = positions.length;
  const gaps = new Uint32Array(n);
  let prev = -1,
    maxGap = 1;
  for (let i = 0; i < n; i++) {
    const g = positions[i]! - prev;
    gaps[i] = g;
    prev = positions[i]!;
    if (g > maxGap) maxGap = g;
  }
  const { symbols, counts } = histogram(gaps);
  const candidates: number[] = [];
  for (let e = 1; e <= MAX_ESCAPE_LOG2 && 2 ** e <= maxGap; e++) candidates.push(2 ** e);
  candidates.push(Math.min(maxGap + 1, 2 ** MAX_ESCAPE_LOG2));
  let bestE = candidates[0]!,
    bestCost = Infinity;
  for (const E of candidates) {
    // Symbol counts for this E: gaps below E as themselves, the rest merged into the escape.
    const c: number[] = [];
    let escapes = 0,
      extra = 0;
    for (let i = 0; i < symbols.length; i++) {
      if (symbols[i]! < E) c.push(counts[i]!);
      else {
        escapes += counts[i]!;
        extra += counts[i]! * varintBytes(symbols[i]! - E);
      }
    }
    if (escapes > 0) c.push(escapes);
    let bits = 0;
    for (const x of c) bits -= x * Math.log2(x / n);
    const cost = bits / 8 + 2 * c.length + extra;
    if (cost < bestCost) {
      bestCost = cost;
      bestE = E;
    }
  }
  const E = bestE;
  const sym = new Uint32Array(n);
  const side = new ByteWriter(64);
  for (let i = 0; i < n; i++) {
    const g = gaps[i]!;
    if (g < E) sym[i] = g - 1;
    else {
      sym[i] = E - 1;
      side.varint(g - E);
    }
  }
  w.varint(E);
  writeSection(w, sym, E, opts);
  const extra = side.finish();
  w.varint(extra.length).bytes(extra);
}

/**
 * Reads `count` survivor positions of a tensor of `total` elements. Positions come out strictly
 * increasing by construction (every gap ≥ 1); one past the tensor is a {@link DecodeError}.
 */
export function readGaps(r: ByteReader, count: number, total: number): Uint32Array {
  const E = r.varint();
  if (E < 2 || E > 2 ** MAX_ESCAPE_LOG2 + 1) throw new DecodeError(`rans stream has a gap escape of ${E}. The stream is corrupted; re-encode it.`);
  const sym = readSection(r, count, E);
  const len = r.varint();
  r.need(len);
  const side = new ByteReader(r.buf, r.pos, r.pos + len, "rans stream escape bytes");
  r.pos += len;
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const s = sym[i]!;
    prev += s === E - 1 ? E + side.varint() : s + 1;
    if (prev >= total) throw new DecodeError(`rans stream has a survivor position past the tensor's ${total} elements. The stream is corrupted; re-encode it.`);
    sym[i] = prev;
  }
  if (side.remaining !== 0) throw new DecodeError("rans stream has unused escape bytes. The stream is corrupted; re-encode it.");
  return sym;
}
