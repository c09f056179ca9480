import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { readCodebookRecords, readPassthroughValues, tableStrings, writeFrontCoded } from "./container-v2.js";
import { readTags, tagsByte } from "./container-tags.js";
import { layerCode, type LayerCoding } from "./layer-ref.js";
import { readCodebookTable } from "./codebook-table.js";
import { DecodeError } from "./errors.js";
import { headsCharCap, readHeads, writeHeads } from "./heads-table.js";
import { printable } from "./printable.js";
import type { QuantizedModel } from "./quantized.js";
import type { WeightTensor } from "./tensor.js";

/**
 * Header flag of container versions 2 and 3 (bit 1): the tags, codebook indices, names and layers
 * of the tensors are one range-coded head stream (heads-table.ts) instead of the string table and
 * varint heads. The sections that change, in both versions:
 *
 *   heads:       varint tensors | varint passthrough | varint length + the head stream; it comes
 *                first, and codebook ids refer to its distinct names and layers in order of first
 *                appearance
 *   tensors:     version 2: per tensor only varint length + coder stream; version 3: no head list
 *   passthrough: per passthrough tensor only varint ndims | dims | f32 data (its count is in heads)
 *
 * The writer sets the flag only when it is smaller than the plain layout.
 */
export const HEADS_FLAG = 2;

/** The coded heads of a model, as written. */
export interface CodedHeads {
  readonly bytes: Uint8Array;
  readonly strings: readonly string[];
}

/**
 * The range-coded heads of `qm`, or null when its strings would exceed what a reader accepts
 * from a stream of that length (the plain layout is kept then).
 */
export function codeHeads(qm: QuantizedModel): CodedHeads | null {
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const h = writeHeads(
    qm.tensors.map((t) => ({ tags: tagsByte(t), name: t.name, ...(t.layer ? { layer: t.layer } : {}), ci: cbIndex.get(t.codebook) ?? 0 })),
    (qm.passthrough ?? []).map((t) => ({ tags: tagsByte(t), name: t.name, ...(t.layer ? { layer: t.layer } : {}) })),
  );
  return h.chars > headsCharCap(h.bytes.length) ? null : h;
}

/** Bytes the heads section of `heads` takes (the tensor count, which both layouts write, left out). */
export function codedHeadsBytes(heads: CodedHeads, nP: number): number {
  return new ByteWriter(16).varint(nP).varint(heads.bytes.length).length + heads.bytes.length;
}

/**
 * The coded heads of `qm` for version 2 when they are smaller than its front-coded string table
 * and varint heads (measured), else null.
 */
export function planCompactHeads(qm: QuantizedModel): CodedHeads | null {
  const heads = codeHeads(qm);
  if (!heads) return null;
  const pt = qm.passthrough ?? [];
  const lc: LayerCoding = { previous: false, derived: true };
  const strings = tableStrings([...qm.tensors, ...pt], lc);
  const index = new Map(strings.map((s, i) => [s, i]));
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const plain = new ByteWriter(1024);
  writeFrontCoded(plain, strings);
  for (const t of qm.tensors)
    plain
      .u8(0)
      .varint(index.get(t.name)!)
      .varint(layerCode(t.name, t.layer, undefined, index, lc))
      .varint(cbIndex.get(t.codebook) ?? 0);
  for (const t of pt)
    plain
      .varint(index.get(t.name)!)
      .u8(0)
      .varint(layerCode(t.name, t.layer, undefined, index, lc));
  return codedHeadsBytes(heads, pt.length) < plain.length ? heads : null;
}

/** Writes the heads section; returns the string index codebook ids refer to. */
export function writeHeadsSection(w: ByteWriter, qm: QuantizedModel, heads: CodedHeads): Map<string, number> {
  w.varint(qm.tensors.length)
    .varint((qm.passthrough ?? []).length)
    .varint(heads.bytes.length)
    .ref(heads.bytes);
  return new Map(heads.strings.map((s, i) => [s, i]));
}

/** A decoded head: what a nameless tensor stream is given. */
export interface Head {
  readonly name: string;
  readonly ci: number;
  readonly tags: ReturnType<typeof readTags>;
  readonly layer: { layer?: string };
}

/**
 * Reads the heads section and the codebooks after it (`shared`: the shared codebook table);
 * every codebook index is checked against the codebooks.
 */
export function readHeadsSection(r: ByteReader, shared: boolean): { heads: Head[]; passthrough: Head[]; codebooks: Codebook[] } {
  const nT = r.varint();
  if (nT > r.remaining) throw new DecodeError("container tensor count exceeds the file. The file is corrupted.");
  const nP = r.varint();
  if (nP > r.remaining) throw new DecodeError("container passthrough count exceeds the file. The file is corrupted.");
  const len = r.varint();
  r.need(len);
  const coded = readHeads(r.buf, r.pos, r.pos + len, nT, nP);
  r.pos += len;
  const codebooks = shared ? readCodebookTable(r, coded.strings) : readCodebookRecords(r);
  const nCb = codebooks.length;
  if (nT > 0 && nCb === 0) throw new DecodeError(`container has ${nT} tensors but no codebook. The file is corrupted.`);
  const head = (h: { name: string; tags: number; layer?: string; ci?: number }): Head => {
    if ((h.ci ?? 0) >= Math.max(1, nCb)) throw new DecodeError(`container tensor "${printable(h.name)}" refers to codebook ${h.ci} of ${nCb}. The file is corrupted.`);
    return { name: h.name, ci: h.ci ?? 0, tags: readTags(h.tags), layer: h.layer === undefined ? {} : { layer: h.layer } };
  };
  return { heads: coded.tensors.map(head), passthrough: coded.passthrough.map(head), codebooks };
}

/** Writes the passthrough tensors' shapes and values (their heads are coded); returns the bytes. */
export function writeCodedPassthrough(w: ByteWriter, pt: readonly WeightTensor[]): number {
  const before = w.length;
  for (const t of pt) {
    w.varint(t.shape.length);
    for (const d of t.shape) w.varint(d);
    w.f32array(t.data);
  }
  return w.length - before;
}

/** Reads what {@link writeCodedPassthrough} wrote for the passthrough `heads`; `budget` as in readPassthroughSection. */
export function readCodedPassthrough(r: ByteReader, heads: readonly Head[], budget: { left: number }): WeightTensor[] {
  return heads.map((h) => {
    const { shape, data } = readPassthroughValues(r, `passthrough tensor "${printable(h.name)}"`, budget);
    return { name: h.name, shape, ...h.tags, ...h.layer, data };
  });
}
