import { DecodeError, ShapeMismatchError, printable, shapeSize, type DecodeLimits, type Grouping, type QuantizedTensor } from "@quantforge/core";
import { ByteReader, ByteWriter, checkedShapeSize, crc32, MAX_DIMS } from "@quantforge/core/format";
import { readGaps, writeGaps } from "./gaps-impl.js";
import { readSection, writeSection, type SectionOptions } from "./section-impl.js";
import { countCodes, type Histogram } from "./hist-impl.js";

/** Magic bytes of an rANS tensor stream. */
export const RANS_MAGIC = "QFRA";
/** Current stream format version. */
export const RANS_VERSION = 1;
/** Largest tensor (elements) a stream may declare; larger declarations are rejected before allocating. */
export const MAX_ELEMENTS = 2 ** 30;

const FLAG_SPARSE = 1;

/**
 * Encodes one quantized tensor. Layout (little-endian):
 *
 *   "QFRA" | u8 version | u8 flags (bit 0: sparse)
 *   str name | str codebook id | varint alphabet size K | varint ndims | dims
 *   u8 grouping kind (0 tensor, 1 channel, 2 group) | varint axis or size
 *   varint code count | [sparse: gap section] | value section | u32 CRC-32 of everything before it
 *
 * Sections are described in section-impl.ts. Every value must be below K.
 */
export function encodeRansStream(t: QuantizedTensor, alphabetSize: number, opts: SectionOptions): Uint8Array {
  const codes = t.codes;
  const hist = checkTensor(t, alphabetSize);
  // Small: a rANS payload is appended by reference, so the writer holds only the header and tables.
  const w = new ByteWriter(256);
  for (let i = 0; i < 4; i++) w.u8(RANS_MAGIC.charCodeAt(i));
  w.u8(RANS_VERSION).u8(t.sparse ? FLAG_SPARSE : 0);
  w.str(t.name).str(t.codebook).varint(alphabetSize).varint(t.shape.length);
  for (const d of t.shape) w.varint(d);
  const gk = t.grouping.kind;
  w.u8(gk === "tensor" ? 0 : gk === "channel" ? 1 : 2).varint(gk === "channel" ? t.grouping.axis : gk === "group" ? t.grouping.size : 0);
  w.varint(codes.length);
  if (t.sparse) writeGaps(w, t.sparse.positions, opts);
  writeSection(w, codes, alphabetSize, opts, hist);
  const out = w.finish(4);
  const body = out.length - 4;
  new DataView(out.buffer).setUint32(body, crc32(out, 0, body), true);
  return out;
}

/**
 * Checks what the coder needs of a tensor (codes below the alphabet, one per element or
 * survivor, strictly increasing positions, at most MAX_ELEMENTS) and returns the histogram of
 * its codes (counted in the same pass as the range check).
 */
export function checkTensor(t: QuantizedTensor, alphabetSize: number): Histogram {
  const codes = t.codes;
  const hist = countCodes(codes, alphabetSize);
  for (let i = 0; !hist && i < codes.length; i++) {
    if (codes[i]! >= alphabetSize) throw new ShapeMismatchError(`tensor "${t.name}" has code ${codes[i]} at ${i}, outside its codebook's ${alphabetSize} codes. Fix the quantizer's output.`);
  }
  const total = shapeSize(t.shape);
  const expected = t.sparse ? t.sparse.positions.length : total;
  if (codes.length !== expected) throw new ShapeMismatchError(`tensor "${t.name}" has ${codes.length} codes but needs ${expected}. Fix the quantizer's output.`);
  if (total > MAX_ELEMENTS) throw new ShapeMismatchError(`tensor "${t.name}" has ${total} elements; the rans coder handles at most ${MAX_ELEMENTS}. Split the tensor.`);
  if (t.sparse) {
    const p = t.sparse.positions;
    for (let i = 0; i < p.length; i++) {
      if (p[i]! >= total || (i > 0 && p[i]! <= p[i - 1]!)) throw new ShapeMismatchError(`tensor "${t.name}" has sparse positions that are not strictly increasing inside 0…${total - 1}. Fix the quantizer's output.`);
    }
  }
  return hist!;
}

function corrupt(what: string): never {
  throw new DecodeError(`rans stream ${what}. The stream is corrupted or truncated; re-encode it.`);
}

/** Decodes a stream written by {@link encodeRansStream}; anything malformed is a {@link DecodeError}. */
export function decodeRansStream(bytes: Uint8Array, limits: DecodeLimits = {}): QuantizedTensor {
  if (bytes.length < 14) corrupt(`is only ${bytes.length} bytes`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== RANS_MAGIC.charCodeAt(i)) throw new DecodeError("not a rans stream (bad magic). Decode it with the coder that wrote it.");
  if (bytes[4] !== RANS_VERSION) throw new DecodeError(`rans stream version ${bytes[4]} is not supported (this build reads version ${RANS_VERSION}). Use a matching quantforge.`);
  const bodyEnd = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bodyEnd, 4).getUint32(0, true);
  if (crc32(bytes, 0, bodyEnd) !== stored) corrupt("fails its CRC-32 check");
  const r = new ByteReader(bytes, 5, bodyEnd, "rans stream");
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
  // Checked against the container's remaining budget before any code is allocated: a one-symbol
  // section (or a very skewed rANS one) codes any count in a few bytes, so the payload cannot bound it.
  const total = checkedShapeSize(shape, `rans stream of "${printable(name)}"`, Math.min(MAX_ELEMENTS, limits.maxElements ?? MAX_ELEMENTS));
  const gk = r.u8();
  const gp = r.varint();
  let grouping: Grouping;
  if (gk === 0) {
    if (gp !== 0) corrupt(`has a grouping parameter ${gp} for a per-tensor grouping`);
    grouping = { kind: "tensor" };
  } else if (gk === 1) {
    if (gp >= nd) corrupt(`has channel axis ${gp} for ${nd} dimensions`);
    grouping = { kind: "channel", axis: gp };
  } else if (gk === 2) {
    if (gp < 1) corrupt("has a group size of 0");
    grouping = { kind: "group", size: gp };
  } else corrupt(`has unknown grouping kind ${gk}`);
  const sparse = (flags & FLAG_SPARSE) !== 0;
  const count = r.varint();
  if (sparse ? count > total : count !== total) corrupt(`declares ${count} codes for a tensor of ${total} elements`);
  try {
    const positions = sparse ? readGaps(r, count, total) : undefined;
    const codes = readSection(r, count, alphabetSize);
    if (r.remaining !== 0) corrupt(`has ${r.remaining} bytes left over after its codes`);
    return { name, shape, codebook, grouping, codes, ...(positions ? { sparse: { positions } } : {}) };
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Allocation failures on absurd but self-consistent declarations end up here.
    throw new DecodeError(`rans stream could not be decoded (${(e as Error).message}). The stream is corrupted; re-encode it.`, e);
  }
}
