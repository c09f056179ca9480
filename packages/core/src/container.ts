import { ByteWriter, concatBytes } from "./bytes.js";
import { writeTagsV1 } from "./container-tags.js";
import { writeCodebook } from "./codebook-io.js";
import { crc32 } from "./crc32.js";
import { crc32Combine } from "./crc32-combine.js";
import { InvalidQuantizedError } from "./errors.js";
import type { Coder, EncodedSize } from "./plugin.js";
import type { QuantizedModel } from "./quantized.js";
import { shapeSize } from "./tensor.js";
import { codebookMap } from "./validate.js";
import { COMPACT_CONTAINER_VERSION, compactOrder, writeCompactBody } from "./container-v2.js";
import { GROUPED_CONTAINER_VERSION, planGroupedBody, writeGroupedBody } from "./container-v3.js";
import { HEADS_FLAG, planCompactHeads } from "./coded-heads.js";
import { CODEBOOK_TABLE_FLAG } from "./codebook-table.js";
import { CONTAINER_MAGIC, CONTAINER_VERSION } from "./container-read.js";

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
export { CONTAINER_MAGIC, CONTAINER_VERSION, decodeContainer, decodeContainerWith, decodeEncodedContainer, type DecodedContainer, type KnownContainer } from "./container-read.js";
export { COMPACT_CONTAINER_VERSION, GROUPED_CONTAINER_VERSION };

/** A coded model and its exact sizes. */
export interface EncodedModel {
  /** The container in one array (made from `parts` when first read, for a container coded in parts). */
  readonly bytes: Uint8Array;
  /**
   * The container as coded, in order (the coded streams themselves and the bytes between them):
   * their concatenation is `bytes`. A writer writes these, so a 50 MB container is never copied
   * into one array (issue 18). `encodeContainer` always gives them; an `EncodedModel` made
   * another way may have only `bytes`.
   */
  readonly parts?: readonly Uint8Array[];
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
  /**
   * The CRC-32 of coded streams or groups the caller already has, by their bytes (computed where
   * they were coded): the container's checksum combines them (`crc32Combine`) instead of reading
   * those bytes again. They must be the CRCs of exactly those bytes.
   */
  readonly knownCrc32?: ReadonlyMap<Uint8Array, number>;
}

/** The written body's parts (the streams not copied) and its CRC-32 as a last part (combined from `known` CRCs of parts where given). */
function partsWithCrc(w: ByteWriter, known: ReadonlyMap<Uint8Array, number> | undefined): Uint8Array[] {
  const parts = w.finishParts();
  let crc = 0;
  for (const p of parts) {
    const k = known?.get(p);
    crc = k === undefined ? crc32(p, 0, p.length, crc) : crc32Combine(crc, k, p.length);
  }
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  parts.push(trailer);
  return parts;
}

/** An {@link EncodedModel} coded in `parts`; `bytes` concatenates them once, when first read. */
function inParts(parts: readonly Uint8Array[], size: EncodedSize): EncodedModel {
  let bytes: Uint8Array | undefined;
  return {
    parts,
    size,
    get bytes() {
      return (bytes ??= concatBytes(parts));
    },
  };
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
    const total = w.length + 4;
    const parts = partsWithCrc(w, options.knownCrc32);
    // Grouped (v3) tensors carry fractional shares of their group's bytes; the shares add up to
    // whole bytes, so the float sum is rounded back (headerBytes 296, not 296.0000000000291).
    const streams = Math.round(part.tensors.reduce((a, t) => a + t.streamBytes, 0));
    return inParts(parts, { totalBytes: total, headerBytes: total - part.codebookBytes - streams - part.passthroughBytes, ...part });
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
  const total = w.length + 4;
  const codebookBytes = [...cbBytes.values()].reduce((a, b) => a + b, 0);
  return inParts(partsWithCrc(w, options.knownCrc32), { totalBytes: total, headerBytes: total - codebookBytes - streamTotal - passthroughBytes, codebookBytes, passthroughBytes, tensors });
}
