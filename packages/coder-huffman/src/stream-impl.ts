import { DecodeError, largestCode, printable, type DecodeLimits, ShapeMismatchError, shapeSize, type Grouping, type QuantizedTensor, type CodeArray } from "@quantforge/core";
import { ByteReader, ByteWriter, MAX_DIMS, checkedShapeSize, crc32, crc32Shift } from "@quantforge/core/format";
import { BitIn, BitOut } from "./bitio.js";
import { denseCounts } from "./counts-impl.js";
import { designGaps, readGaps, writeGaps } from "./gaps-impl.js";
import { alphabetOf, designSection, type Alphabet } from "./huffman-impl.js";
import { readSymbols, writeSymbols } from "./huffman-symbols-impl.js";
import { readTable, writeTable } from "./huffman-table-impl.js";
import { SYMBOL_TABLE_LIMIT, knownAlphabetBits, knownSymbolBits } from "./symbol-tables-impl.js";

/** Magic bytes of a Huffman tensor stream. */
export const HUFFMAN_MAGIC = "QFHU";
/** Current stream format version. */
export const HUFFMAN_VERSION = 1;
/** Largest tensor (elements) a stream may declare; larger declarations are rejected before allocating. */
export const MAX_ELEMENTS = 2 ** 30;

const FLAG_SPARSE = 1;

/**
 * Encodes one quantized tensor. Layout (little-endian bytes, then an MSB-first bit body):
 *
 *   "QFHU" | u8 version | u8 flags (bit 0: sparse)
 *   str name | str codebook id | varint alphabet size K | varint ndims | dims
 *   u8 grouping kind (0 tensor, 1 channel, 2 group) | varint axis or size
 *   varint code count | varint body bits | body | u32 CRC-32 of everything before it
 *
 * Body: [sparse: gap section] value table, value codes. Every value must be below K.
 */
export function encodeHuffmanStream(t: QuantizedTensor, alphabetSize: number, maxCodeLength: number, histogram?: Float64Array): Uint8Array {
  const codes = t.codes;
  // The histogram is the range check: it exists only when every code is below the alphabet size
  // (or past its lane cap, where one max pass decides); a caller's histogram of the codes stands in.
  const counts = denseCounts(codes, alphabetSize, histogram);
  if (!counts && largestCode(codes) >= alphabetSize) {
    const i = codes.findIndex((c) => c >= alphabetSize);
    throw new ShapeMismatchError(`tensor "${t.name}" has code ${codes[i]} at ${i}, outside its codebook's ${alphabetSize} codes. Fix the quantizer's output.`);
  }
  const total = shapeSize(t.shape);
  const expected = t.sparse ? t.sparse.positions.length : total;
  if (codes.length !== expected) throw new ShapeMismatchError(`tensor "${t.name}" has ${codes.length} codes but needs ${expected}. Fix the quantizer's output.`);
  if (total > MAX_ELEMENTS) throw new ShapeMismatchError(`tensor "${t.name}" has ${total} elements; the huffman coder handles at most ${MAX_ELEMENTS}. Split the tensor.`);
  const body = new BitOut(1024);
  if (t.sparse) {
    const p = t.sparse.positions;
    for (let i = 0; i < p.length; i++) {
      if (p[i]! >= total || (i > 0 && p[i]! <= p[i - 1]!)) throw new ShapeMismatchError(`tensor "${t.name}" has sparse positions that are not strictly increasing inside 0…${total - 1}. Fix the quantizer's output.`);
    }
    const g = designGaps(p, maxCodeLength);
    writeGaps(body, g, p);
  }
  const alpha = alphabetOf(codes, counts);
  const code = designSection(alpha, maxCodeLength);
  writeTable(body, code);
  writeSymbols(body, code, codes, alpha);
  written.set(codes, alpha);
  const bodyBits = body.bitLength;
  const bodyBytes = body.finish();
  // The body is referenced, not copied: finish(4) copies it once, with room for the CRC.
  const w = new ByteWriter(64);
  for (let i = 0; i < 4; i++) w.u8(HUFFMAN_MAGIC.charCodeAt(i));
  w.u8(HUFFMAN_VERSION).u8(t.sparse ? FLAG_SPARSE : 0);
  w.str(t.name).str(t.codebook).varint(alphabetSize).varint(t.shape.length);
  for (const d of t.shape) w.varint(d);
  const gk = t.grouping.kind;
  w.u8(gk === "tensor" ? 0 : gk === "channel" ? 1 : 2).varint(gk === "channel" ? t.grouping.axis : gk === "group" ? t.grouping.size : 0);
  w.varint(codes.length).varint(bodyBits).ref(bodyBytes);
  const out = w.finish(4);
  const n = out.length - 4;
  new DataView(out.buffer, out.byteOffset).setUint32(n, crc32(out, 0, n), true);
  return out;
}

/**
 * The stream {@link encodeHuffmanStream} returns for the same tensor and codebook size under
 * another tensor name and codebook id, from `bytes`, a stream it returned: the name and the
 * codebook id are the only header fields that differ, so the rest is copied and its CRC follows
 * from the stored one and the two heads ({@link crc32Shift}) instead of coding every code a second time (a version-2 container stores nameless
 * streams of the tensors the pipeline coded by name).
 */
export function renameHuffmanStream(bytes: Uint8Array, name: string, codebook: string): Uint8Array {
  if (bytes.length < 14 || bytes[4] !== HUFFMAN_VERSION) corrupt("cannot be renamed: it is not a stream this version wrote");
  const end = bytes.length - 4;
  const r = new ByteReader(bytes, 6, end, "huffman stream");
  r.str();
  r.str();
  const head = r.pos;
  const w = new ByteWriter(64);
  for (let i = 0; i < 6; i++) w.u8(bytes[i]!);
  w.str(name).str(codebook);
  const newHead = w.length;
  w.ref(bytes.subarray(head, end));
  const out = w.finish(4);
  // crc(H‖R) = shift(crc(H), |R|) ⊕ crc(R) for any head H: only the heads are hashed.
  const stored = new DataView(bytes.buffer, bytes.byteOffset + end, 4).getUint32(0, true);
  const crc = (stored ^ crc32Shift((crc32(bytes, 0, head) ^ crc32(out, 0, newHead)) >>> 0, end - head)) >>> 0;
  new DataView(out.buffer, out.byteOffset).setUint32(out.length - 4, crc, true);
  return out;
}

/**
 * The histogram of each codes array this module last encoded, so the round trip of a stream
 * just written (`decodeEncoded`, whose contract is that `known` is what was encoded) sums its
 * code lengths per symbol instead of per code.
 */
const written = new WeakMap<CodeArray, Alphabet>();

/** The alphabet of `known` from its dense histogram; undefined past the lane cap (then the sum is taken per code). */
function knownAlphabet(known: CodeArray, histogram?: Float64Array): Alphabet | undefined {
  const counts = denseCounts(known, SYMBOL_TABLE_LIMIT, histogram);
  return counts && known.length > 0 ? alphabetOf(known, counts) : undefined;
}

function corrupt(what: string): never {
  throw new DecodeError(`huffman stream ${what}. The stream is corrupted or truncated; re-encode it.`);
}

/** Decodes a stream written by {@link encodeHuffmanStream}; anything malformed is a {@link DecodeError}. */
export function decodeHuffmanStream(bytes: Uint8Array, limits: DecodeLimits = {}): QuantizedTensor {
  return decodeWith(bytes, limits, undefined);
}

/**
 * {@link decodeHuffmanStream} of a stream `encodeHuffmanStream(known, …)` just returned (the
 * pipeline's round trip, `Coder.decodeEncoded`): the header, CRC, gaps and table are read and
 * checked as always, but when every code of `known` is a symbol of the stored table and their
 * code lengths add up to exactly the body bits left, the codes are `known.codes` instead of a
 * symbol-by-symbol decode. A canonical Huffman code is a prefix code, so that is what decoding
 * gives. Otherwise the body is decoded in full.
 */
export function decodeHuffmanStreamEncoded(bytes: Uint8Array, known: QuantizedTensor, limits: DecodeLimits = {}, histogram?: Float64Array): QuantizedTensor {
  return decodeWith(bytes, limits, known.codes, histogram);
}

function decodeWith(bytes: Uint8Array, limits: DecodeLimits, known: CodeArray | undefined, histogram?: Float64Array): QuantizedTensor {
  if (bytes.length < 14) corrupt(`is only ${bytes.length} bytes`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== HUFFMAN_MAGIC.charCodeAt(i)) throw new DecodeError("not a huffman stream (bad magic). Decode it with the coder that wrote it.");
  if (bytes[4] !== HUFFMAN_VERSION) throw new DecodeError(`huffman stream version ${bytes[4]} is not supported (this build reads version ${HUFFMAN_VERSION}). Use a matching quantforge.`);
  const bodyEnd = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bodyEnd, 4).getUint32(0, true);
  if (crc32(bytes, 0, bodyEnd) !== stored) corrupt("fails its CRC-32 check");
  const r = new ByteReader(bytes, 5, bodyEnd, "huffman stream");
  const flags = r.u8();
  if (flags & ~FLAG_SPARSE) corrupt(`has unknown flags ${flags}`);
  const name = r.str();
  const codebook = r.str();
  const alphabetSize = r.varint();
  if (alphabetSize < 1) corrupt("declares an empty alphabet");
  const nd = r.varint();
  if (nd > MAX_DIMS) corrupt(`declares ${nd} dimensions (at most ${MAX_DIMS})`);
  const shape: number[] = [];
  for (let d = 0; d < nd; d++) shape.push(r.varint());
  // Checked against the container's remaining budget before the codes are allocated: a
  // one-symbol table codes any count in zero bits, so the payload alone cannot bound it.
  const total = checkedShapeSize(shape, `huffman stream of "${printable(name)}"`, Math.min(MAX_ELEMENTS, limits.maxElements ?? MAX_ELEMENTS));
  const gk = r.u8();
  const gp = r.varint();
  let grouping: Grouping;
  if (gk === 0) grouping = { kind: "tensor" };
  else if (gk === 1) {
    if (gp >= nd) corrupt(`has channel axis ${gp} for ${nd} dimensions`);
    grouping = { kind: "channel", axis: gp };
  } else if (gk === 2) {
    if (gp < 1) corrupt("has a group size of 0");
    grouping = { kind: "group", size: gp };
  } else corrupt(`has unknown grouping kind ${gk}`);
  const sparse = (flags & FLAG_SPARSE) !== 0;
  const count = r.varint();
  if (sparse ? count > total : count !== total) corrupt(`declares ${count} codes for a tensor of ${total} elements`);
  const bodyBits = r.varint();
  const bodyBytes = Math.ceil(bodyBits / 8);
  if (bodyBytes !== r.remaining) corrupt(`declares ${bodyBits} body bits but holds ${r.remaining} bytes`);
  const start = r.pos;
  const inp = new BitIn(bytes, start, bodyEnd);
  const left = () => bodyBits - inp.bitsConsumed(start);
  try {
    const positions = sparse ? readGaps(inp, count, total, left) : undefined;
    const code = readTable(inp, alphabetSize, left);
    if (code.symbols.length > 1 && count > left()) corrupt(`declares ${count} codes in ${left()} remaining bits`);
    // Codes encoded on another thread have no entry in `written`: their one-pass histogram gives
    // the same sum (one term per distinct value) faster than a length lookup per code.
    const alpha = known && known.length === count ? (written.get(known) ?? knownAlphabet(known, histogram)) : undefined;
    const knownBits = !known || known.length !== count ? -1 : alpha ? knownAlphabetBits(code.symbols, code.lengths, code.raw, alpha) : knownSymbolBits(code.symbols, code.lengths, code.raw, known);
    const fresh = knownBits >= 0 && knownBits === left() ? undefined : new Uint32Array(count);
    if (fresh) readSymbols(inp, code, fresh, count);
    const codes = fresh ?? known!;
    if (fresh && inp.bitsConsumed(start) !== bodyBits) corrupt(`has ${bodyBits - inp.bitsConsumed(start)} bits left over after its codes`);
    const pad = bodyBytes * 8 - bodyBits;
    if (pad > 0 && (bytes[bodyEnd - 1]! & ((1 << pad) - 1)) !== 0) corrupt("has non-zero padding bits");
    return { name, shape, codebook, grouping, codes, ...(positions ? { sparse: { positions } } : {}) };
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Allocation failures on absurd but self-consistent declarations end up here.
    throw new DecodeError(`huffman stream could not be decoded (${(e as Error).message}). The stream is corrupted; re-encode it.`, e);
  }
}
