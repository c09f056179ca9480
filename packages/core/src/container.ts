import { ByteReader, ByteWriter } from "./bytes.js";
import { elementsWithin, readTagsV1, writeTagsV1 } from "./container-tags.js";
import { readCodebook, writeCodebook } from "./codebook-io.js";
import { crc32 } from "./crc32.js";
import type { Codebook } from "./codebook.js";
import { checkedShapeSize, MAX_DIMS, containerElementBudget, type DecodeContainerOptions } from "./budget.js";
import { DecodeError, InvalidQuantizedError } from "./errors.js";
import { printable } from "./printable.js";
import type { Coder, EncodedSize } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { shapeSize, type WeightTensor } from "./tensor.js";
import { checkQuantizedTensor, codebookMap, type KnownMaxCodes } from "./validate.js";
import { COMPACT_CONTAINER_VERSION, compactOrder, readCompactBody, writeCompactBody } from "./container-v2.js";
import { GROUPED_CONTAINER_VERSION, planGroupedBody, readGroupedBody, writeGroupedBody } from "./container-v3.js";
import { HEADS_FLAG, planCompactHeads } from "./coded-heads.js";
import { CODEBOOK_TABLE_FLAG } from "./codebook-table.js";

/**
 * The `.qf` container. `encodeContainer` writes the grouped version 3 (see container-v3.ts) for
 * coders that code codebook groups (`Coder.group`), else the compact version 2 (container-v2.ts),
 * unless asked for another version; `decodeContainer` reads all three. Version 1, little-endian:
 *
 *   "QFRG" | u16 version | u16 flags (0; versions 2 and 3 define bit 0, codebook-table.ts; bit 1, coded-heads.ts)
 *   str coder id | str metadata JSON
 *   varint #codebooks, each: varint length + codebook record
 *   varint #tensors,   each: u8 role | str layer | u8 layerKind | varint length + coder stream
 *   varint #passthrough, each: str name | varint ndims | dims | u8 role | str layer | u8 layerKind | f32 data
 *   u32 CRC-32 of everything before it
 *
 * Strings are varint-length-prefixed UTF-8. Codebooks are stored once and referenced by id.
 */
export const CONTAINER_MAGIC = "QFRG";
/** Version of the classic layout (below), still written by `ContainerEncoder` and on request. */
export const CONTAINER_VERSION = 1;
export { COMPACT_CONTAINER_VERSION, GROUPED_CONTAINER_VERSION };

/** A coded model and its exact sizes. */
export interface EncodedModel {
  readonly bytes: Uint8Array;
  readonly size: EncodedSize;
}

/** Options of {@link encodeContainer}. */
export interface EncodeContainerOptions {
  /**
   * Container format version: 2 (default) is the compact layout — names and layers in one
   * front-coded string table, tensor headers as varint indices, nameless coder streams and
   * `metadata.tensorOrder` as indices; 1 is the classic layout; 3 (the default for coders with
   * `group`) codes every codebook's tensors as one group and token-codes the names.
   */
  readonly version?: 1 | 2 | 3;
}

/** The written body and its CRC-32 in one exact-size array: the streams are copied once, the CRC read once. */
function withCrc(w: ByteWriter): Uint8Array {
  const out = w.finish(4);
  const n = out.length - 4;
  new DataView(out.buffer, out.byteOffset).setUint32(n, crc32(out, 0, n), true);
  return out;
}

/** Codes a quantized model into a `.qf` container with `coder`; sizes are the real byte counts. */
export function encodeContainer(qm: QuantizedModel, coder: Coder, metadata: Record<string, unknown> = {}, options: EncodeContainerOptions = {}): EncodedModel {
  const version = options.version ?? (coder.group ? GROUPED_CONTAINER_VERSION : COMPACT_CONTAINER_VERSION);
  if (version === GROUPED_CONTAINER_VERSION && !coder.group) throw new InvalidQuantizedError(`coder "${coder.id}" cannot write container version 3 (it has no group coding). Use version 2.`);
  if (version !== CONTAINER_VERSION) {
    codebookMap(qm); // duplicate codebook ids are an error before anything is written
    const { metadata: meta, order } = compactOrder(qm, metadata);
    const w = new ByteWriter(1 << 16);
    for (let i = 0; i < 4; i++) w.u8(CONTAINER_MAGIC.charCodeAt(i));
    // Range-coded heads (header flag 2) only where they are smaller than the string table.
    const plan = version === GROUPED_CONTAINER_VERSION ? planGroupedBody(qm) : { heads: planCompactHeads(qm) };
    w.u16(version)
      .u16(CODEBOOK_TABLE_FLAG | (plan.heads ? HEADS_FLAG : 0))
      .str(coder.id)
      .str(JSON.stringify(meta));
    const part = version === GROUPED_CONTAINER_VERSION ? writeGroupedBody(w, qm, coder.group!, order, plan) : writeCompactBody(w, qm, coder, order, plan.heads);
    const out = withCrc(w);
    // Grouped (v3) tensors carry fractional shares of their group's bytes; the shares add up to
    // whole bytes, so the float sum is rounded back (headerBytes 296, not 296.0000000000291).
    const streams = Math.round(part.tensors.reduce((a, t) => a + t.streamBytes, 0));
    return { bytes: out, size: { totalBytes: out.length, headerBytes: out.length - part.codebookBytes - streams - part.passthroughBytes, ...part } };
  }
  const cbs = codebookMap(qm);
  const w = new ByteWriter(1 << 16);
  for (let i = 0; i < 4; i++) w.u8(CONTAINER_MAGIC.charCodeAt(i));
  w.u16(CONTAINER_VERSION).u16(0).str(coder.id).str(JSON.stringify(metadata));
  w.varint(qm.codebooks.length);
  const cbBytes = new Map<string, number>();
  for (const cb of qm.codebooks) {
    const inner = new ByteWriter(64);
    writeCodebook(inner, cb);
    const b = inner.finish();
    w.varint(b.length).bytes(b);
    cbBytes.set(cb.id, b.length);
  }
  const users = new Map<string, number>();
  for (const t of qm.tensors) users.set(t.codebook, (users.get(t.codebook) ?? 0) + shapeSize(t.shape));
  w.varint(qm.tensors.length);
  const tensors: { name: string; count: number; streamBytes: number; bytes: number }[] = [];
  let streamTotal = 0;
  for (const t of qm.tensors) {
    const cb = cbs.get(t.codebook);
    if (!cb) throw new InvalidQuantizedError(`tensor "${t.name}" refers to a missing codebook "${t.codebook}". Every referenced codebook must be in the model.`);
    writeTagsV1(w, t);
    const s = coder.encode(t, cb);
    w.varint(s.length).ref(s);
    streamTotal += s.length;
    const count = shapeSize(t.shape);
    const share = (cbBytes.get(t.codebook) ?? 0) * (count / Math.max(1, users.get(t.codebook)!));
    tensors.push({ name: t.name, count, streamBytes: s.length, bytes: s.length + share });
  }
  const pt = qm.passthrough ?? [];
  w.varint(pt.length);
  const beforePt = w.length;
  for (const t of pt) {
    w.str(t.name).varint(t.shape.length);
    for (const d of t.shape) w.varint(d);
    writeTagsV1(w, t);
    w.f32array(t.data);
  }
  const passthroughBytes = w.length - beforePt;
  const out = withCrc(w);
  const codebookBytes = [...cbBytes.values()].reduce((a, b) => a + b, 0);
  return {
    bytes: out,
    size: {
      totalBytes: out.length,
      headerBytes: out.length - codebookBytes - streamTotal - passthroughBytes,
      codebookBytes,
      passthroughBytes,
      tensors,
    },
  };
}

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
  if (bytes.length < 12) throw new DecodeError(`not a quantforge container: only ${bytes.length} bytes. Re-create the file with "quantforge run --out".`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== CONTAINER_MAGIC.charCodeAt(i)) throw new DecodeError(`not a quantforge container (bad magic). Pass a .qf file written by "quantforge run --out".`);
  }
  const body = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + body, 4).getUint32(0, true);
  const version = bytes[4]! | (bytes[5]! << 8);
  if (version !== CONTAINER_VERSION && version !== COMPACT_CONTAINER_VERSION && version !== GROUPED_CONTAINER_VERSION)
    throw new DecodeError(`container version ${version} is not supported (this build reads versions ${CONTAINER_VERSION} to ${GROUPED_CONTAINER_VERSION}). Use a matching quantforge.`);
  if (trusted?.bytes !== bytes && crc32(bytes, 0, body) !== stored) throw new DecodeError(`container checksum mismatch: the file is corrupted or truncated. Re-create it.`);
  const flags = bytes[6]! | (bytes[7]! << 8);
  // Versions 2 and 3 define flag 1 (the shared codebook table) and flag 2 (range-coded heads, coded-heads.ts); version 1 defines none.
  const known = version === CONTAINER_VERSION ? 0 : CODEBOOK_TABLE_FLAG | HEADS_FLAG;
  if ((flags & ~known) !== 0)
    throw new DecodeError(`container has reserved header flags 0x${(flags & ~known).toString(16)} set (version ${version} defines ${known === 0 ? "none" : `0x${known.toString(16)}`}). The file is corrupted or from a newer quantforge.`);
  const shared = (flags & CODEBOOK_TABLE_FLAG) !== 0;
  const r = new ByteReader(bytes, 8, body, "container");
  const coderId = r.str();
  let metadata: unknown;
  try {
    metadata = JSON.parse(r.str());
  } catch (e) {
    throw new DecodeError("container metadata is not valid JSON. The file is corrupted.", e);
  }
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new DecodeError("container metadata is not a JSON object. The file is corrupted.");
  const coder = resolveCoder(coderId);
  let budget = containerElementBudget(bytes.length, options);
  if (version === GROUPED_CONTAINER_VERSION) {
    if (!coder.group) throw new DecodeError(`container version 3 needs group decoding, which coder "${printable(coderId)}" lacks. The file is corrupted or needs a newer coder.`);
    const left = { left: budget };
    const c = readGroupedBody(r, metadata as Record<string, unknown>, coder.group, left, shared, (flags & HEADS_FLAG) !== 0);
    if (r.remaining !== 0) throw new DecodeError(`container has ${r.remaining} unexpected trailing bytes. The file is corrupted.`);
    return checkedModel(coderId, c.metadata, c.model, trusted?.maxes);
  }
  if (version === COMPACT_CONTAINER_VERSION) {
    const left = { left: budget };
    const c = readCompactBody(r, metadata as Record<string, unknown>, (b, maxElements) => coder.decode(b, { maxElements }), left, shared, (flags & HEADS_FLAG) !== 0);
    if (r.remaining !== 0) throw new DecodeError(`container has ${r.remaining} unexpected trailing bytes. The file is corrupted.`);
    return checkedModel(coderId, c.metadata, c.model, trusted?.maxes);
  }
  const nCb = r.varint();
  if (nCb > r.remaining) throw new DecodeError("container codebook count exceeds the file. The file is corrupted.");
  const codebooks = [];
  for (let i = 0; i < nCb; i++) {
    const len = r.varint();
    r.need(len);
    const sub = new ByteReader(bytes, r.pos, r.pos + len, "codebook");
    codebooks.push(readCodebook(sub));
    if (sub.remaining !== 0) throw new DecodeError(`container codebook record ${i} has ${sub.remaining} unread bytes. The file is corrupted.`);
    r.pos += len;
  }
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
  return checkedModel(coderId, metadata as Record<string, unknown>, { codebooks, tensors, passthrough }, trusted?.maxes);
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
