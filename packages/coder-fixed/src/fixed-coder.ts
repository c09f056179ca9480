import {
  DecodeError,
  printable,
  type DecodeLimits,
  InvalidQuantizedError,
  codebookSize,
  defineCoder,
  groupCount,
  z,
  type Codebook,
  type Coder,
  type CoderPlugin,
  type Grouping,
  type QuantizedTensor,
  type CodeArray,
  codeArray,
} from "@quantforge/core";
import { ByteReader, ByteWriter, checkedShapeSize, crc32 } from "@quantforge/core/format";
import { codeWidth, packBits, packedBytes, paddingIsZero, unpackBits } from "./fixed-impl.js";
import { MAX_ELEMENTS, checkCodes, checkedLayout, decodeFixedGroup, decodeFixedGroupEncoded, encodeFixedGroup, groupingCode } from "./group-impl.js";
import { VERSION } from "./version.js";

/** The 4 magic bytes that open every fixed-coder stream: "QFFX". */
export const FIXED_MAGIC = "QFFX";
/** Current stream format version (byte 4 of a stream). */
export const FIXED_FORMAT_VERSION = 1;

const MAGIC = [0x51, 0x46, 0x46, 0x58] as const;
const FLAG_SPARSE = 1;
const MAX_DIMS = 32;

/** Options of the fixed coder (none yet: the width follows from the codebook). */
export const fixedOptionsSchema = z.object({});
/** Parsed options of {@link fixedCoder}. */
export type FixedOptions = z.output<typeof fixedOptionsSchema>;
/** Raw options accepted by {@link fixedCoder}. */
export type FixedOptionsInput = z.input<typeof fixedOptionsSchema>;

/**
 * Encodes one tensor (stream format in README.md):
 * magic | u8 version | u8 flags | str name | str codebook | varint ndims, dims | u8 grouping, varint param |
 * u8 code width b | varint count | [u8 gap width g] | codes (count·b bits) | [gaps (count·g bits)] | u32 CRC-32.
 */
export function encodeFixed(t: QuantizedTensor, cb: Codebook): Uint8Array {
  if (cb.id !== t.codebook) throw new InvalidQuantizedError(`tensor "${t.name}" refers to codebook "${t.codebook}" but the coder was given "${cb.id}".`);
  const { gaps, gapWidth } = checkedLayout(t);
  const positions = t.sparse?.positions;
  const count = t.codes.length;
  const size = codebookSize(cb);
  const b = codeWidth(size);
  const [gk, gp] = groupingCode(t.grouping);
  const h = new ByteWriter(64 + t.name.length * 3 + t.codebook.length * 3);
  for (const m of MAGIC) h.u8(m);
  h.u8(FIXED_FORMAT_VERSION)
    .u8(positions ? FLAG_SPARSE : 0)
    .str(t.name)
    .str(t.codebook)
    .varint(t.shape.length);
  for (const d of t.shape) h.varint(d);
  h.u8(gk);
  if (gk !== 0) h.varint(gp);
  h.u8(b).varint(count);
  if (positions) h.u8(gapWidth);
  const header = h.finish();
  const codeBytes = packedBytes(count, b);
  const gapBytes = packedBytes(count, gapWidth);
  const out = new Uint8Array(header.length + codeBytes + gapBytes + 4);
  out.set(header);
  checkCodes(t, packBits(t.codes, b, out, header.length, true), b, size);
  if (gaps) packBits(gaps, gapWidth, out, header.length + codeBytes);
  const body = out.length - 4;
  new DataView(out.buffer).setUint32(body, crc32(out, 0, body), true);
  return out;
}

/**
 * Decodes a stream of {@link encodeFixed}. Checks the magic, the version and the CRC-32 first,
 * then every header field and every length against the bytes that remain before allocating
 * anything; any problem is a {@link DecodeError}.
 */
export function decodeFixed(bytes: Uint8Array, limits: DecodeLimits = {}): QuantizedTensor {
  return decodeFixedWith(bytes, limits, undefined);
}

/**
 * {@link decodeFixed} of a stream `encodeFixed(known, …)` just returned (the pipeline's round-trip
 * check): every header field is parsed and checked the same way, but a dense tensor's codes are
 * `known.codes` instead of a fresh unpack. They are what unpacking would give: `encodeFixed`
 * refuses codes wider than the stream's width, and packing such codes is injective.
 */
export function decodeFixedEncoded(bytes: Uint8Array, known: QuantizedTensor, limits: DecodeLimits = {}): QuantizedTensor {
  return decodeFixedWith(bytes, limits, known.sparse ? undefined : known.codes);
}

function decodeFixedWith(bytes: Uint8Array, limits: DecodeLimits, known: CodeArray | undefined): QuantizedTensor {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError("fixed-coder input is not a byte array.");
  // magic(4) + version + flags + 2 empty strings + ndims + grouping + width + count + CRC(4)
  if (bytes.length < 16) throw new DecodeError(`fixed-coder stream is truncated (${bytes.length} bytes). Re-create the file.`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new DecodeError(`not a fixed-coder stream (bad magic). The file is corrupted or was written by another coder.`);
  if (bytes[4] !== FIXED_FORMAT_VERSION) throw new DecodeError(`fixed-coder stream version ${bytes[4]} is not supported (this build reads version ${FIXED_FORMAT_VERSION}). Use a matching quantforge.`);
  const body = bytes.length - 4;
  const stored = (bytes[body]! | (bytes[body + 1]! << 8) | (bytes[body + 2]! << 16) | (bytes[body + 3]! << 24)) >>> 0;
  if (crc32(bytes, 0, body) !== stored) throw new DecodeError("fixed-coder stream checksum mismatch: the data is corrupted or truncated. Re-create the file.");
  const r = new ByteReader(bytes, 5, body, "fixed-coder stream");
  const flags = r.u8();
  if ((flags & ~FLAG_SPARSE) !== 0) throw new DecodeError(`fixed-coder stream has unknown flags 0x${flags.toString(16)}. The file is corrupted or from a newer quantforge.`);
  const sparse = (flags & FLAG_SPARSE) !== 0;
  const name = r.str();
  const codebook = r.str();
  const nd = r.varint();
  if (nd > MAX_DIMS) throw new DecodeError(`fixed-coder stream claims ${nd} dimensions (at most ${MAX_DIMS}). The file is corrupted.`);
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) shape.push(r.varint());
  // A zero dimension makes the tensor empty however large the others are ([2^53−1, 0] is valid).
  const n = checkedShapeSize(shape, `fixed-coder stream of "${printable(name)}"`, Math.min(MAX_ELEMENTS, limits.maxElements ?? MAX_ELEMENTS));
  const gk = r.u8();
  let grouping: Grouping;
  if (gk === 0) grouping = { kind: "tensor" };
  else if (gk === 1) grouping = { kind: "channel", axis: r.varint() };
  else if (gk === 2) grouping = { kind: "group", size: r.varint() };
  else throw new DecodeError(`fixed-coder stream has unknown grouping kind ${gk}. The file is corrupted.`);
  try {
    groupCount(shape, grouping);
  } catch (e) {
    throw new DecodeError(`fixed-coder stream has an invalid grouping for shape [${shape.join(", ")}]. The file is corrupted.`, e);
  }
  const b = r.u8();
  if (b < 1 || b > 32) throw new DecodeError(`fixed-coder stream has code width ${b} (must be 1…32). The file is corrupted.`);
  const count = r.varint();
  if (sparse ? count > n : count !== n) throw new DecodeError(`fixed-coder stream has ${count} codes for ${sparse ? "at most " : ""}${n} elements. The file is corrupted.`);
  const g = sparse ? r.u8() : 0;
  if (g > 32) throw new DecodeError(`fixed-coder stream has gap width ${g} (must be 0…32). The file is corrupted.`);
  const codeBytes = packedBytes(count, b);
  const gapBytes = packedBytes(count, g);
  // Exact length check before allocating: a corrupted count cannot make us allocate gigabytes.
  if (codeBytes + gapBytes !== r.remaining) {
    throw new DecodeError(`fixed-coder stream payload is ${r.remaining} bytes but the header needs ${codeBytes + gapBytes}. The file is corrupted or truncated.`);
  }
  const codesAt = r.pos,
    gapsAt = r.pos + codeBytes;
  if (!paddingIsZero(bytes, codesAt, count, b) || !paddingIsZero(bytes, gapsAt, count, g)) throw new DecodeError("fixed-coder stream has non-zero padding bits. The file is corrupted.");
  if (!sparse && known !== undefined && known.length === count) return { name, shape, codebook, grouping, codes: known };
  // In the narrowest array for the stream's width: a byte per 8-bit code, as a quantizer gives them.
  const codes = codeArray(count, 2 ** b);
  unpackBits(bytes, codesAt, b, codes);
  if (!sparse) return { name, shape, codebook, grouping, codes };
  // Positions: decode the gaps in place, then prefix-sum (p_i = p_{i−1} + gap_i + 1).
  const positions = new Uint32Array(count);
  unpackBits(bytes, gapsAt, g, positions);
  let p = -1;
  for (let i = 0; i < count; i++) {
    p += positions[i]! + 1;
    if (p >= n) throw new DecodeError(`fixed-coder stream has a sparse position ${p} outside the ${n} elements. The file is corrupted.`);
    positions[i] = p;
  }
  return { name, shape, codebook, grouping, codes, sparse: { positions } };
}

/**
 * The fixed-length coder: every code takes b = max(1, ⌈log₂ K⌉) bits for a codebook of K codes,
 * so a model's size is exactly predictable (b bits per weight plus a small header). The
 * baseline every entropy coder is compared against.
 *
 * ```ts
 * pipeline().weights(ws).quantize(rtnQuantizer()).code(fixedCoder()).run();
 * ```
 */
export function fixedCoder(defaults?: Partial<FixedOptionsInput>): CoderPlugin<FixedOptions> {
  return defineCoder({
    id: "fixed",
    version: VERSION,
    description: "fixed-length bit packing of codes (⌈log2 K⌉ bits each) with a CRC-32",
    options: fixedOptionsSchema,
    defaults,
    create(): Coder {
      return {
        id: "fixed",
        encode: encodeFixed,
        decode: decodeFixed,
        decodeEncoded: decodeFixedEncoded,
        // Container version 3: the tensors of a codebook without per-stream headers (group-impl.ts).
        group: {
          encodeGroup: (ts, cb) => {
            const size = codebookSize(cb);
            return encodeFixedGroup(ts, codeWidth(size), size);
          },
          decodeGroup: (bytes, count, cb, limits) => decodeFixedGroup(bytes, count, codeWidth(codebookSize(cb)), limits),
          decodeEncodedGroup: (bytes, count, cb, known, limits) => decodeFixedGroupEncoded(bytes, count, codeWidth(codebookSize(cb)), known, limits),
        },
      };
    },
  });
}
