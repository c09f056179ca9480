import { ByteReader, ByteWriter } from "./bytes.js";
import { elementsWithin, readTags, tagsByte } from "./container-tags.js";
import { compactStreamInput } from "./tensor-workers.js";
import { checkedShapeSize, MAX_DIMS } from "./budget.js";
import type { Codebook } from "./codebook.js";
import { readCodebook } from "./codebook-io.js";
import { readCodebookTable, writeCodebookTable } from "./codebook-table.js";
import { layerCode, layerNeedsString, resolveLayer, type LayerCoding } from "./layer-ref.js";
import { readOrderSection, readPermutation, writeOrderSection } from "./order-table.js";
export { compactOrder, compactOrderOf } from "./order-table.js";
import { readCodedPassthrough, readHeadsSection, writeCodedPassthrough, writeHeadsSection, type CodedHeads } from "./coded-heads.js";
import { DecodeError, InvalidQuantizedError } from "./errors.js";
import type { Coder, EncodedSize } from "./plugin.js";
import { printable } from "./printable.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { shapeSize, type WeightTensor } from "./tensor.js";
import { codebookMap } from "./validate.js";

/**
 * The compact `.qf` layout (container version 2). After the common head ("QFRG" | u16 version |
 * u16 flags | str coder id | str metadata JSON) it holds, all little-endian:
 *
 *   strings:     varint n, each: varint bytes shared with the previous string | varint suffix
 *                length | suffix (UTF-8; the names and layers of every tensor, sorted, front-coded)
 *   codebooks:   the shared codebook table when header flag 1 is set (codebook-table.ts), else
 *                varint n, each: varint length + codebook record
 *   tensors:     varint n, each: u8 tags (role | kind << 2) | varint name | varint layer + 1 (0: none;
 *                with the shared-tables flag a layer code, layer-ref.ts, and layers that are their
 *                name's parent path are not in the string table)
 *                | varint codebook index | varint length + coder stream (written with an empty
 *                name and codebook id, its codebook given with an empty id: the container holds them)
 *   passthrough: varint n, each: varint name | u8 tags | varint layer + 1 (or code, as above) | varint
 *                ndims | dims | f32 data
 *   order:       varint m — 0, or the tensors + passthrough count followed by m varints: the
 *                metadata's `tensorOrder` as indices into [tensors…, passthrough…] (the runner records
 *                the input order there; as names it would repeat every name once more); with the
 *                shared-tables flag the order section of version 3 (order-table.ts)
 *
 * With header flag 2 (coded-heads.ts) the strings section is a range-coded heads section (the
 * tags, names, layers and codebook indices), a tensor is only its varint length + coder stream and
 * a passthrough tensor only its shape and values.
 *
 * then the u32 CRC-32. A tensor costs a few bytes of header plus its share of the string table,
 * instead of its name three times over (stream, layer tag, tensorOrder) in version 1.
 */
export const COMPACT_CONTAINER_VERSION = 2;

const utf8 = new TextEncoder();

/**
 * The string table of version 2: each string front-coded against the one before it. Readers take
 * the strings in any order (the streaming encoder lists them as they come; `encodeContainer`
 * sorts them, which shares more).
 */
export function writeFrontCoded(w: ByteWriter, strings: readonly string[]): void {
  w.varint(strings.length);
  let prev = new Uint8Array(0);
  for (const s of strings) {
    const b = utf8.encode(s);
    let k = 0;
    while (k < b.length && k < prev.length && b[k] === prev[k]) k++;
    w.varint(k)
      .varint(b.length - k)
      .bytes(b.subarray(k));
    prev = b;
  }
}

/** Writes the body of a version-2 container after the common head; returns the sizes it measured. */
export function writeCompactBody(w: ByteWriter, qm: QuantizedModel, coder: Coder, order: readonly number[] | null, heads: CodedHeads | null = null): Omit<EncodedSize, "totalBytes" | "headerBytes"> {
  const cbs = codebookMap(qm);
  const pt = qm.passthrough ?? [];
  const lc: LayerCoding = { previous: false, derived: true };
  let index: Map<string, number>;
  if (heads) index = writeHeadsSection(w, qm, heads);
  else {
    const strings = tableStrings([...qm.tensors, ...pt], lc);
    index = new Map(strings.map((s, i) => [s, i]));
    writeFrontCoded(w, strings);
  }
  const table = writeCodebookTable(w, qm.codebooks, index);
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const cbBytes = new Map(qm.codebooks.map((cb, i) => [cb.id, table.each[i]!]));
  const users = new Map<string, number>();
  for (const t of qm.tensors) users.set(t.codebook, (users.get(t.codebook) ?? 0) + shapeSize(t.shape));
  if (!heads) w.varint(qm.tensors.length);
  const tensors: { name: string; count: number; streamBytes: number; bytes: number }[] = [];
  for (const t of qm.tensors) {
    const cb = cbs.get(t.codebook);
    if (!cb) throw new InvalidQuantizedError(`tensor "${t.name}" refers to a missing codebook "${t.codebook}". Every referenced codebook must be in the model.`);
    if (!heads)
      w.u8(tagsByte(t))
        .varint(index.get(t.name)!)
        .varint(layerCode(t.name, t.layer, undefined, index, lc))
        .varint(cbIndex.get(t.codebook)!);
    const s = coder.encode(...compactStreamInput(t, cb));
    w.varint(s.length).ref(s);
    const count = shapeSize(t.shape);
    const share = (cbBytes.get(t.codebook) ?? 0) * (count / Math.max(1, users.get(t.codebook)!));
    tensors.push({ name: t.name, count, streamBytes: s.length, bytes: s.length + share });
  }
  const passthroughBytes = heads ? writeCodedPassthrough(w, pt) : writePassthroughSection(w, pt, index);
  writeOrderSection(w, order, qm.tensors.length, true);
  return { codebookBytes: table.total, passthroughBytes, tensors };
}

/**
 * The sorted, distinct names and layers the string table of versions 2 and 3 holds: every name,
 * and the layers `lc` cannot derive from their tensor's name.
 */
export function tableStrings(ts: readonly { name: string; layer?: string }[], lc: LayerCoding): string[] {
  return [...new Set(ts.flatMap((t) => [t.name, ...(layerNeedsString(t.name, t.layer, lc) ? [t.layer!] : [])]))].sort();
}

/**
 * The passthrough section of versions 2 and 3 (with the shared-tables flag): varint n, each:
 * varint name | u8 tags | varint layer code (layer-ref.ts) | varint ndims | dims | f32 data.
 * Returns its bytes after the count.
 */
export function writePassthroughSection(w: ByteWriter, pt: readonly WeightTensor[], index: ReadonlyMap<string, number>): number {
  w.varint(pt.length);
  const before = w.length;
  for (const t of pt) {
    w.varint(index.get(t.name)!)
      .u8(tagsByte(t))
      .varint(layerCode(t.name, t.layer, undefined, index, { previous: false, derived: true }))
      .varint(t.shape.length);
    for (const d of t.shape) w.varint(d);
    w.f32array(t.data);
  }
  return w.length - before;
}

/**
 * Reads the body of a version-2 container (see {@link writeCompactBody}); `budget` is the element
 * budget, `decode` decodes one coder stream under the remaining budget and returns its tensor.
 * Every count and index is checked against the bytes present before anything is allocated.
 * `shared`: the codebooks are a shared codebook table (header flag, codebook-table.ts).
 */
export function readCompactBody(
  r: ByteReader,
  metadata: Record<string, unknown>,
  decode: (bytes: Uint8Array, budget: number) => QuantizedTensor,
  budget: { left: number },
  shared: boolean,
  coded = false,
): { model: QuantizedModel; metadata: Record<string, unknown> } {
  if (coded) return readCodedCompactBody(r, metadata, decode, budget, shared);
  const nS = r.varint();
  if (nS > r.remaining) throw new DecodeError("container string count exceeds the file. The file is corrupted.");
  const strings: string[] = [];
  const dec = new TextDecoder("utf-8", { fatal: true });
  let prev = new Uint8Array(0);
  for (let i = 0; i < nS; i++) {
    const k = r.varint();
    const len = r.varint();
    if (k > prev.length) throw new DecodeError(`container string ${i} shares ${k} bytes with a ${prev.length}-byte string. The file is corrupted.`);
    const suffix = r.bytes(len);
    const b = new Uint8Array(k + len);
    b.set(prev.subarray(0, k));
    b.set(suffix, k);
    try {
      strings.push(dec.decode(b));
    } catch (e) {
      throw new DecodeError("container has an invalid string. The file is corrupted.", e);
    }
    prev = b;
  }
  const str = (i: number, what: string): string => {
    if (i >= strings.length) throw new DecodeError(`container ${what} refers to string ${i} of ${strings.length}. The file is corrupted.`);
    return strings[i]!;
  };
  const lc: LayerCoding = { previous: false, derived: shared };
  const layerOf = (code: number, name: string): { layer?: string } => {
    const layer = resolveLayer(code, name, undefined, str, lc);
    return layer === undefined ? {} : { layer };
  };
  const codebooks = shared ? readCodebookTable(r, strings) : readCodebookRecords(r);
  const nT = r.varint();
  if (nT > r.remaining) throw new DecodeError("container tensor count exceeds the file. The file is corrupted.");
  const tensors: QuantizedTensor[] = [];
  for (let i = 0; i < nT; i++) {
    const tags = readTags(r.u8());
    const name = str(r.varint(), "tensor name");
    const layer = layerOf(r.varint(), name);
    const ci = r.varint();
    if (ci >= codebooks.length) throw new DecodeError(`container tensor "${printable(name)}" refers to codebook ${ci} of ${codebooks.length}. The file is corrupted.`);
    const t = decode(r.bytes(r.varint()), budget.left);
    if (t.name !== "" || t.codebook !== "") throw new DecodeError(`container tensor "${printable(name)}" has a stream that names itself; version 2 streams are nameless. The file is corrupted.`);
    budget.left -= elementsWithin(t.shape, `container tensor "${printable(name)}"`, budget.left);
    tensors.push({ ...t, name, codebook: codebooks[ci]!.id, ...tags, ...layer });
  }
  const passthrough = readPassthroughSection(r, str, layerOf, budget);
  const names = [...tensors, ...passthrough].map((t) => t.name);
  const order = shared ? readOrderSection(r, names, tensors.length, true) : readIndexOrder(r, names);
  const meta = order ? { ...metadata, tensorOrder: order } : metadata;
  return { model: { codebooks, tensors, passthrough }, metadata: meta };
}

/** {@link readCompactBody} with header flag 2: range-coded heads, then per tensor its stream, then passthrough shapes and values. */
function readCodedCompactBody(
  r: ByteReader,
  metadata: Record<string, unknown>,
  decode: (bytes: Uint8Array, budget: number) => QuantizedTensor,
  budget: { left: number },
  shared: boolean,
): { model: QuantizedModel; metadata: Record<string, unknown> } {
  const { heads, passthrough: ph, codebooks } = readHeadsSection(r, shared);
  const tensors = heads.map((h) => {
    const t = decode(r.bytes(r.varint()), budget.left);
    if (t.name !== "" || t.codebook !== "") throw new DecodeError(`container tensor "${printable(h.name)}" has a stream that names itself; version 2 streams are nameless. The file is corrupted.`);
    budget.left -= elementsWithin(t.shape, `container tensor "${printable(h.name)}"`, budget.left);
    return { ...t, name: h.name, codebook: codebooks[h.ci]!.id, ...h.tags, ...h.layer };
  });
  const passthrough = readCodedPassthrough(r, ph, budget);
  const order = readOrderSection(
    r,
    [...tensors, ...passthrough].map((t) => t.name),
    tensors.length,
    true,
  );
  return { model: { codebooks, tensors, passthrough }, metadata: order ? { ...metadata, tensorOrder: order } : metadata };
}

/** The order section of version 2 without the shared-tables flag: varint m (0 none), then m indices. */
function readIndexOrder(r: ByteReader, names: readonly string[]): string[] | null {
  const m = r.varint();
  if (m === 0) return null;
  if (m !== names.length) throw new DecodeError(`container tensor order has ${m} entries for ${names.length} tensors. The file is corrupted.`);
  return readPermutation(r, names);
}

/** The codebook section of versions 2 and 3 without the table flag: varint n, each: varint length + record. */
export function readCodebookRecords(r: ByteReader): Codebook[] {
  const nCb = r.varint();
  if (nCb > r.remaining) throw new DecodeError("container codebook count exceeds the file. The file is corrupted.");
  const codebooks: Codebook[] = [];
  for (let i = 0; i < nCb; i++) {
    const len = r.varint();
    r.need(len);
    const sub = new ByteReader(r.buf, r.pos, r.pos + len, "codebook");
    codebooks.push(readCodebook(sub));
    if (sub.remaining !== 0) throw new DecodeError(`container codebook record ${i} has ${sub.remaining} unread bytes. The file is corrupted.`);
    r.pos += len;
  }
  return codebooks;
}

/**
 * The passthrough section of versions 2 and 3: a count, then per tensor its name index, tags,
 * layer index, shape and raw float32 values.
 * @param str - Resolves a string-table index (checked).
 * @param layerOf - Resolves a layer code of the tensor named `name` (0 = none).
 * @param budget - Decoded elements still allowed; reduced in place.
 */
export function readPassthroughSection(r: ByteReader, str: (i: number, what: string) => string, layerOf: (code: number, name: string) => { layer?: string }, budget: { left: number }): WeightTensor[] {
  const nP = r.varint();
  if (nP > r.remaining) throw new DecodeError("container passthrough count exceeds the file. The file is corrupted.");
  const passthrough: WeightTensor[] = [];
  for (let i = 0; i < nP; i++) {
    const name = str(r.varint(), "passthrough name");
    const what = `passthrough tensor "${printable(name)}"`;
    const tags = readTags(r.u8());
    const layer = layerOf(r.varint(), name);
    const { shape, data } = readPassthroughValues(r, what, budget);
    passthrough.push({ name, shape, ...tags, ...layer, data });
  }
  return passthrough;
}

/**
 * Reads one passthrough tensor's shape and float32 values (the part every container version
 * shares), charging its elements to `budget` before they are allocated.
 */
export function readPassthroughValues(r: ByteReader, what: string, budget: { left: number }): { shape: number[]; data: Float32Array } {
  const nd = r.varint();
  if (nd > MAX_DIMS) throw new DecodeError(`${what} has ${nd} dimensions (at most ${MAX_DIMS}). The file is corrupted.`);
  const shape: number[] = [];
  for (let d = 0; d < nd; d++) shape.push(r.varint());
  const n = checkedShapeSize(shape, what);
  r.need(n * 4);
  budget.left -= elementsWithin(shape, what, budget.left);
  // Passthrough values are stored bit-exactly and never quantized: ±Inf (a Clip bound) and NaN
  // (a mask) are legitimate there, unlike in codebook parameters.
  return { shape, data: r.f32array(n) };
}
