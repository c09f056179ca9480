import { ByteReader } from "./bytes.js";
import { elementsWithin, readTagsV1 } from "./container-tags.js";
import { crc32 } from "./crc32.js";
import type { Codebook } from "./codebook.js";
import { checkedShapeSize, MAX_DIMS, containerElementBudget, type DecodeContainerOptions } from "./budget.js";
import { DecodeError } from "./errors.js";
import { printable } from "./printable.js";
import type { Coder } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import type { WeightTensor } from "./tensor.js";
import { checkQuantizedTensor, codebookMap, type KnownMaxCodes } from "./validate.js";
import { COMPACT_CONTAINER_VERSION, readCodebookRecords, readCompactBody } from "./container-v2.js";
import { GROUPED_CONTAINER_VERSION, readGroupedBody } from "./container-v3.js";
import { HEADS_FLAG } from "./coded-heads.js";
import { CODEBOOK_TABLE_FLAG } from "./codebook-table.js";
import type { EncodedModel } from "./container.js";

// Reading a `.qf` container (its layout: container.ts). Every count and length is checked
// against the bytes present before anything is allocated.

/** The 4 bytes that open every container. */
export const CONTAINER_MAGIC = "QFRG";
/** Version of the classic layout (container.ts), still written by `ContainerEncoder` and on request. */
export const CONTAINER_VERSION = 1;

/** What {@link decodeContainer} returns. */
export interface DecodedContainer {
  readonly coderId: string;
  readonly metadata: Record<string, unknown>;
  readonly model: QuantizedModel;
}

/**
 * Decodes a `.qf` container. The CRC is checked before anything is parsed; truncation, bit flips,
 * unknown versions and unknown coders are {@link DecodeError}s. Every count and shape is checked
 * against the bytes present and an element budget ({@link DecodeContainerOptions}) before
 * anything is allocated; codebook parameters must be finite (passthrough values are kept bit-exactly, ±Inf and NaN included).
 */
export function decodeContainer(bytes: Uint8Array, resolveCoder: (id: string) => Coder, options: DecodeContainerOptions = {}): DecodedContainer {
  return decodeContainerWith(bytes, resolveCoder, options);
}

/**
 * What the pipeline's round trip already knows about the container it decodes (internal to
 * core): `bytes` is the array `encodeContainer` returned, whose CRC it computed over these very
 * bytes, and `maxes` the largest code of each codes array it checked before encoding.
 */
export interface KnownContainer {
  readonly bytes: Uint8Array;
  readonly maxes: KnownMaxCodes;
}

/** {@link decodeContainer}; with `trusted`, the CRC of `trusted.bytes` and the code ranges of known codes arrays are not computed again. */
export function decodeContainerWith(bytes: Uint8Array, resolveCoder: (id: string) => Coder, options: DecodeContainerOptions = {}, trusted?: KnownContainer): DecodedContainer {
  if (bytes.length < 12) throw tooShort(bytes.length);
  const body = bytes.length - 4;
  const r = new ByteReader(bytes, 0, body, "container");
  const version = readHead(r);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + body, 4).getUint32(0, true);
  if (trusted?.bytes !== bytes && crc32(bytes, 0, body) !== stored) throw new DecodeError(`container checksum mismatch: the file is corrupted or truncated. Re-create it.`);
  return readContainer(r, version, bytes.length, resolveCoder, options, trusted?.maxes);
}

/**
 * The pipeline's round trip of a container `encodeContainer` just returned (internal to core):
 * read from its parts when it was coded in parts (its streams are not copied into one array, and
 * a stream comes back as the very bytes the coder wrote), its CRC not computed again, and the
 * code ranges of the codes arrays in `maxes` not checked again.
 */
export function decodeEncodedContainer(encoded: EncodedModel, resolveCoder: (id: string) => Coder, maxes: KnownMaxCodes): DecodedContainer {
  if (!encoded.parts) return decodeContainerWith(encoded.bytes, resolveCoder, {}, { bytes: encoded.bytes, maxes });
  const total = encoded.size.totalBytes;
  if (total < 12) throw tooShort(total);
  const r = ByteReader.over(encoded.parts, total - 4, "container");
  return readContainer(r, readHead(r), total, resolveCoder, {}, maxes);
}

function tooShort(n: number): DecodeError {
  return new DecodeError(`not a quantforge container: only ${n} bytes. Re-create the file with "quantforge run --out".`);
}

/** Reads and checks the magic and the version (a reader at the container's first byte). */
function readHead(r: ByteReader): number {
  for (let i = 0; i < 4; i++) {
    if (r.u8() !== CONTAINER_MAGIC.charCodeAt(i)) throw new DecodeError(`not a quantforge container (bad magic). Pass a .qf file written by "quantforge run --out".`);
  }
  const version = r.u16();
  if (version !== CONTAINER_VERSION && version !== COMPACT_CONTAINER_VERSION && version !== GROUPED_CONTAINER_VERSION)
    throw new DecodeError(`container version ${version} is not supported (this build reads versions ${CONTAINER_VERSION} to ${GROUPED_CONTAINER_VERSION}). Use a matching quantforge.`);
  return version;
}

/** The container after its version (`r` just past it, ending before the CRC); `total` is the container's length. */
function readContainer(r: ByteReader, version: number, total: number, resolveCoder: (id: string) => Coder, options: DecodeContainerOptions, maxes: KnownMaxCodes | undefined): DecodedContainer {
  const flags = r.u16();
  // Versions 2 and 3 define flag 1 (the shared codebook table) and flag 2 (range-coded heads, coded-heads.ts); version 1 defines none.
  const known = version === CONTAINER_VERSION ? 0 : CODEBOOK_TABLE_FLAG | HEADS_FLAG;
  if ((flags & ~known) !== 0)
    throw new DecodeError(`container has reserved header flags 0x${(flags & ~known).toString(16)} set (version ${version} defines ${known === 0 ? "none" : `0x${known.toString(16)}`}). The file is corrupted or from a newer quantforge.`);
  const shared = (flags & CODEBOOK_TABLE_FLAG) !== 0;
  const coderId = r.str();
  let metadata: unknown;
  try {
    metadata = JSON.parse(r.str());
  } catch (e) {
    throw new DecodeError("container metadata is not valid JSON. The file is corrupted.", e);
  }
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new DecodeError("container metadata is not a JSON object. The file is corrupted.");
  const coder = resolveCoder(coderId);
  let budget = containerElementBudget(total, options);
  if (version === GROUPED_CONTAINER_VERSION) {
    if (!coder.group) throw new DecodeError(`container version 3 needs group decoding, which coder "${printable(coderId)}" lacks. The file is corrupted or needs a newer coder.`);
    const left = { left: budget };
    const c = readGroupedBody(r, metadata as Record<string, unknown>, coder.group, left, shared, (flags & HEADS_FLAG) !== 0);
    if (r.remaining !== 0) throw new DecodeError(`container has ${r.remaining} unexpected trailing bytes. The file is corrupted.`);
    return checkedModel(coderId, c.metadata, c.model, maxes);
  }
  if (version === COMPACT_CONTAINER_VERSION) {
    const left = { left: budget };
    const c = readCompactBody(r, metadata as Record<string, unknown>, (b, maxElements) => coder.decode(b, { maxElements }), left, shared, (flags & HEADS_FLAG) !== 0);
    if (r.remaining !== 0) throw new DecodeError(`container has ${r.remaining} unexpected trailing bytes. The file is corrupted.`);
    return checkedModel(coderId, c.metadata, c.model, maxes);
  }
  // Version 1 stores codebooks as version 2 does without its shared table: length-prefixed records.
  const codebooks = readCodebookRecords(r);
  const nT = r.varint();
  if (nT > r.remaining) throw new DecodeError("container tensor count exceeds the file. The file is corrupted.");
  const tensors: QuantizedTensor[] = [];
  for (let i = 0; i < nT; i++) {
    const tags = readTagsV1(r);
    const len = r.varint();
    const t = coder.decode(r.bytes(len), { maxElements: budget });
    // Also holds for coders that ignore the limit: at most one tensor overshoots, then we stop.
    budget -= elementsWithin(t.shape, `container tensor "${printable(String(t.name))}"`, budget);
    tensors.push({ ...t, ...tags });
  }
  const nP = r.varint();
  if (nP > r.remaining) throw new DecodeError("container passthrough count exceeds the file. The file is corrupted.");
  const passthrough: WeightTensor[] = [];
  for (let i = 0; i < nP; i++) {
    const name = r.str();
    const what = `passthrough tensor "${printable(name)}"`;
    const nd = r.varint();
    if (nd > MAX_DIMS) throw new DecodeError(`${what} has ${nd} dimensions (at most ${MAX_DIMS}). The file is corrupted.`);
    const shape: number[] = [];
    for (let d = 0; d < nd; d++) shape.push(r.varint());
    const tags = readTagsV1(r);
    const n = checkedShapeSize(shape, what);
    // Backed by 4 bytes each in the file: checked against the bytes present before allocating.
    r.need(n * 4);
    budget -= elementsWithin(shape, what, budget);
    // Passthrough values are stored bit-exactly and never quantized: ±Inf (a Clip bound) and NaN
    // (a mask) are legitimate there, unlike in codebook parameters.
    const data = r.f32array(n);
    passthrough.push({ name, shape, ...tags, data });
  }
  if (r.remaining !== 0) throw new DecodeError(`container has ${r.remaining} unexpected trailing bytes. The file is corrupted.`);
  return checkedModel(coderId, metadata as Record<string, unknown>, { codebooks, tensors, passthrough }, maxes);
}

/** Whole-model checks shared by both versions: unique ids and names, tensors that fit their codebooks. */
function checkedModel(coderId: string, metadata: Record<string, unknown>, model: QuantizedModel, maxes: KnownMaxCodes | undefined): DecodedContainer {
  const tensors = model.tensors,
    passthrough = model.passthrough ?? [];
  let cbs: Map<string, Codebook>;
  try {
    cbs = codebookMap(model);
  } catch (e) {
    throw new DecodeError("container has duplicate codebook ids. The file is corrupted.", e);
  }
  // Decoded tensors must fit their codebooks (ids, code range, parameter counts, positions):
  // otherwise dequantizing would read past a level list and yield NaN instead of an error.
  const names = new Set<string>();
  for (const list of [tensors, passthrough] as const) {
    for (const t of list) {
      if (names.has(t.name)) throw new DecodeError(`container has two tensors named "${printable(t.name)}". The file is corrupted.`);
      names.add(t.name);
    }
  }
  for (const t of tensors) {
    try {
      checkQuantizedTensor(t, cbs.get(t.codebook), maxes);
    } catch (e) {
      throw new DecodeError(`container tensor "${printable(t.name)}" does not fit its codebook: ${(e as Error).message} The file is corrupted.`, e);
    }
  }
  return { coderId, metadata, model };
}
