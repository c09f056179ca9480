import { DecodeError, InvalidQuantizedError, codeArray, largestCode, groupCount, shapeSize, type DecodeLimits, type Grouping, type QuantizedTensor } from "@quantforge/core";
import { ByteReader, ByteWriter, checkedShapeSize } from "@quantforge/core/format";
import { bitsFor, packBits, packedBytes, paddingIsZero, unpackBits } from "./fixed-impl.js";

/**
 * All tensors of one codebook as one byte string (container version 3), every code at the
 * width b = max(1, ⌈log₂ K⌉) of the codebook's K codes:
 *
 *   u8 version (1)
 *   per tensor: u8 head (bits 0–1 grouping kind 0 tensor / 1 channel / 2 group, bit 2 sparse)
 *               | varint ndims | dims | [kind ≠ 0: varint axis or group size]
 *               | [sparse: varint survivors | u8 gap width g]
 *               | codes (count·b bits, zero-padded to a byte) | [gaps (count·g bits, padded)]
 *
 * Against one stand-alone stream per tensor it drops what the container already holds: the
 * magic, version and CRC-32 (the container's CRC covers the group), the name and codebook id,
 * the code width (it follows from the codebook) and, for a dense tensor, the code count (the
 * shape's size).
 */
export const FIXED_GROUP_VERSION = 1;
const SPARSE = 4;
const MAX_DIMS = 32;
/** Positions are u32 and element counts must stay exact in float64. */
export const MAX_ELEMENTS = 2 ** 32;

/** The grouping as (kind code, parameter). */
export function groupingCode(g: Grouping): [number, number] {
  return g.kind === "tensor" ? [0, 0] : g.kind === "channel" ? [1, g.axis] : [2, g.size];
}

/**
 * Checks a tensor against the fixed coder's limits and returns its element count and, when
 * sparse, the gaps between survivors (p_i − p_{i−1} − 1, p_{−1} = −1) and their common width.
 */
export function checkedLayout(t: QuantizedTensor): { n: number; gaps?: Uint32Array; gapWidth: number } {
  const n = shapeSize(t.shape);
  if (t.shape.length > MAX_DIMS || !t.shape.every((d) => Number.isInteger(d) && d >= 0) || n > MAX_ELEMENTS) {
    throw new InvalidQuantizedError(`tensor "${t.name}" has shape [${t.shape.join(", ")}], which the fixed coder cannot store (≤ ${MAX_DIMS} dims, ≤ 2^32 elements).`);
  }
  const positions = t.sparse?.positions;
  const count = t.codes.length;
  if (count !== (positions ? positions.length : n)) throw new InvalidQuantizedError(`tensor "${t.name}" has ${count} codes for ${positions ? positions.length : n} elements.`);
  if (!positions) return { n, gapWidth: 0 };
  const gaps = new Uint32Array(count);
  let prev = -1,
    maxGap = 0;
  for (let i = 0; i < count; i++) {
    const p = positions[i]!;
    if (p <= prev || p >= n) throw new InvalidQuantizedError(`tensor "${t.name}" has sparse positions that are not strictly increasing inside 0…${n - 1}.`);
    gaps[i] = p - prev - 1;
    if (gaps[i]! > maxGap) maxGap = gaps[i]!;
    prev = p;
  }
  return { n, gaps, gapWidth: bitsFor(maxGap) };
}

/** Throws unless every code is below `size` (the OR catches codes wider than `width` bits). */
export function checkCodes(t: QuantizedTensor, or: number, width: number, size: number): void {
  const tooWide = width < 32 && or >>> width !== 0;
  if (tooWide || (size < 2 ** width && t.codes.length > 0 && largestCode(t.codes) >= size)) {
    throw new InvalidQuantizedError(`tensor "${t.name}" has code ${largestCode(t.codes)}, outside its codebook's ${size} codes.`);
  }
}

/** Codes `tensors` of a codebook of `size` codes at `width` bits each; see the layout above. */
export function encodeFixedGroup(tensors: readonly QuantizedTensor[], width: number, size: number): { bytes: Uint8Array; tensorBytes: number[] } {
  // Heads first (small), then one exact-size array the codes are packed straight into: no
  // per-tensor part copied again (50 MB more traffic and fresh pages for 50M 8-bit codes).
  const heads: { head: Uint8Array; gaps: Uint32Array | undefined; gapWidth: number }[] = [];
  const tensorBytes: number[] = [];
  let total = 1;
  for (const t of tensors) {
    const { gaps, gapWidth } = checkedLayout(t);
    const [gk, gp] = groupingCode(t.grouping);
    const h = new ByteWriter(32);
    h.u8(gk | (gaps ? SPARSE : 0)).varint(t.shape.length);
    for (const d of t.shape) h.varint(d);
    if (gk !== 0) h.varint(gp);
    if (gaps) h.varint(t.codes.length).u8(gapWidth);
    const head = h.finish();
    heads.push({ head, gaps, gapWidth });
    const len = head.length + packedBytes(t.codes.length, width) + packedBytes(t.codes.length, gapWidth);
    tensorBytes.push(len);
    total += len;
  }
  const bytes = new Uint8Array(total);
  bytes[0] = FIXED_GROUP_VERSION;
  let o = 1;
  for (const [k, t] of tensors.entries()) {
    const { head, gaps, gapWidth } = heads[k]!;
    bytes.set(head, o);
    const at = o + head.length;
    checkCodes(t, packBits(t.codes, width, bytes, at, true), width, size);
    if (gaps) packBits(gaps, gapWidth, bytes, at + packedBytes(t.codes.length, width));
    o += tensorBytes[k]!;
  }
  // The version byte is shared: the first tensor carries it.
  if (tensorBytes.length > 0) tensorBytes[0]! += 1;
  return { bytes, tensorBytes };
}

/**
 * Decodes `count` nameless tensors of {@link encodeFixedGroup}; every shape is checked against
 * what is left of `limits.maxElements` and every length against the bytes present before
 * allocating. Anything malformed is a {@link DecodeError}.
 */
export function decodeFixedGroup(bytes: Uint8Array, count: number, width: number, limits: DecodeLimits = {}): QuantizedTensor[] {
  return decodeFixedGroupWith(bytes, count, width, limits, undefined);
}

/**
 * {@link decodeFixedGroup} of bytes `encodeFixedGroup(known, …)` just returned (the pipeline's
 * round-trip check): every head, length and padding is parsed and checked the same way, but a
 * dense tensor's codes are `known[i].codes` instead of a fresh unpack. They are what unpacking
 * would give: `encodeFixedGroup` refuses codes wider than the width, and packing such codes is
 * injective.
 */
export function decodeFixedGroupEncoded(bytes: Uint8Array, count: number, width: number, known: readonly QuantizedTensor[], limits: DecodeLimits = {}): QuantizedTensor[] {
  return decodeFixedGroupWith(bytes, count, width, limits, known);
}

function decodeFixedGroupWith(bytes: Uint8Array, count: number, width: number, limits: DecodeLimits, known: readonly QuantizedTensor[] | undefined): QuantizedTensor[] {
  const r = new ByteReader(bytes, 0, bytes.length, "fixed-coder group");
  const version = r.u8();
  if (version !== FIXED_GROUP_VERSION) throw new DecodeError(`fixed-coder group version ${version} is not supported (this build reads version ${FIXED_GROUP_VERSION}). Use a matching quantforge.`);
  let budget = limits.maxElements ?? Infinity;
  const out: QuantizedTensor[] = [];
  for (let i = 0; i < count; i++) {
    const head = r.u8();
    if ((head & ~(3 | SPARSE)) !== 0 || (head & 3) === 3) throw new DecodeError(`fixed-coder group tensor ${i} has an unknown head 0x${head.toString(16)}. The file is corrupted or from a newer quantforge.`);
    const nd = r.varint();
    if (nd > MAX_DIMS) throw new DecodeError(`fixed-coder group tensor ${i} claims ${nd} dimensions (at most ${MAX_DIMS}). The file is corrupted.`);
    const shape: number[] = [];
    for (let d = 0; d < nd; d++) shape.push(r.varint());
    const n = checkedShapeSize(shape, `fixed-coder group tensor ${i}`, Math.min(MAX_ELEMENTS, budget));
    budget -= n;
    const gk = head & 3;
    const grouping: Grouping = gk === 0 ? { kind: "tensor" } : gk === 1 ? { kind: "channel", axis: r.varint() } : { kind: "group", size: r.varint() };
    try {
      groupCount(shape, grouping);
    } catch (e) {
      throw new DecodeError(`fixed-coder group tensor ${i} has an invalid grouping for shape [${shape.join(", ")}]. The file is corrupted.`, e);
    }
    const sparse = (head & SPARSE) !== 0;
    const m = sparse ? r.varint() : n;
    if (m > n) throw new DecodeError(`fixed-coder group tensor ${i} has ${m} survivors of ${n} elements. The file is corrupted.`);
    const g = sparse ? r.u8() : 0;
    if (g > 32) throw new DecodeError(`fixed-coder group tensor ${i} has gap width ${g} (must be 0…32). The file is corrupted.`);
    const codeBytes = packedBytes(m, width),
      gapBytes = packedBytes(m, g);
    if (codeBytes + gapBytes > r.remaining) throw new DecodeError(`fixed-coder group tensor ${i} needs ${codeBytes + gapBytes} bytes but ${r.remaining} remain. The file is corrupted or truncated.`);
    const at = r.pos;
    if (!paddingIsZero(bytes, at, m, width) || !paddingIsZero(bytes, at + codeBytes, m, g)) throw new DecodeError(`fixed-coder group tensor ${i} has non-zero padding bits. The file is corrupted.`);
    const given = sparse ? undefined : known?.[i];
    const reuse = given !== undefined && !given.sparse && given.codes.length === m;
    const fresh = reuse ? undefined : codeArray(m, 2 ** width);
    if (fresh) unpackBits(bytes, at, width, fresh);
    const codes = fresh ?? given!.codes;
    r.pos += codeBytes + gapBytes;
    const base = { name: "", shape, codebook: "", grouping, codes };
    if (!sparse) {
      out.push(base);
      continue;
    }
    const positions = new Uint32Array(m);
    unpackBits(bytes, at + codeBytes, g, positions);
    let p = -1;
    for (let k = 0; k < m; k++) {
      p += positions[k]! + 1;
      if (p >= n) throw new DecodeError(`fixed-coder group tensor ${i} has a sparse position ${p} outside its ${n} elements. The file is corrupted.`);
      positions[k] = p;
    }
    out.push({ ...base, sparse: { positions } });
  }
  if (r.remaining !== 0) throw new DecodeError(`fixed-coder group has ${r.remaining} unread bytes. The file is corrupted.`);
  return out;
}
