import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { readCodebookTable, writeCodebookTable } from "./codebook-table.js";
import { DecodeError, InvalidQuantizedError } from "./errors.js";
import type { EncodedSize, GroupCoder } from "./plugin.js";
import { printable } from "./printable.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { shapeSize } from "./tensor.js";
import { codedHeadsBytes, codeHeads, readCodedPassthrough, readHeadsSection, writeCodedPassthrough, writeHeadsSection, type CodedHeads, type Head } from "./coded-heads.js";
import { codebookMap } from "./validate.js";
import { readStringTable, writeStringTable } from "./string-table.js";
import { readCodebookRecords, readPassthroughSection, tableStrings, writePassthroughSection } from "./container-v2.js";
import { elementsWithin, readTags, tagsByte } from "./container-tags.js";
import { layerCode, resolveLayer, type LayerCoding } from "./layer-ref.js";
import { readOrderSection, writeOrderSection } from "./order-table.js";

/**
 * The grouped `.qf` layout (container version 3), written for coders that code a whole codebook
 * group at once (`Coder.group`). After the common head ("QFRG" | u16 version | u16 flags | str
 * coder id | str metadata JSON) it holds, all little-endian:
 *
 *   strings:     the sorted names and layers (string-table.ts: front-coded or token-coded)
 *   codebooks:   as in version 2 (the shared codebook table when header flag 1 is set)
 *   tensors:     varint n, each: u8 tags (role | kind << 2) | varint layer (0 none, 1 the previous
 *                tensor's, [with the shared-tables flag: 2 the name's parent path,] else string
 *                index + 2, or + 3 with the flag; layer-ref.ts) | varint name | [varint codebook
 *                index, only when there are ≥ 2 codebooks]
 *   groups:      for each codebook with ≥ 1 tensor, in codebook order: varint length + the
 *                coder's group bytes for its tensors in tensor order (shapes, grouping, codes)
 *   passthrough: as in version 2
 *   order:       varint 0 (no `tensorOrder`), 1 (`tensorOrder` is the tensors then passthrough
 *                in container order) or 2 followed by one varint index per tensor (as in version 2)
 *                or, with the shared-tables flag, 3 and an interleaving bit mask (order-table.ts)
 *
 * With header flag 2 (coded-heads.ts) the strings and tensors sections are one range-coded heads
 * section before the codebooks, and the passthrough section holds only shapes and values.
 *
 * then the u32 CRC-32. Against version 2 a tensor saves its own stream's magic, version, CRC,
 * length and (for the rans coder) frequency table and state flush.
 */
export const GROUPED_CONTAINER_VERSION = 3;

/** How {@link writeGroupedBody} writes the heads: range-coded (`heads`, header flag 2) or as the string table and plain heads (null). */
export interface GroupedPlan {
  readonly heads: CodedHeads | null;
}

/**
 * Chooses the smaller head layout of `qm`: the range-coded heads (header flag 2, coded-heads.ts)
 * or the string table with varint heads; both are measured, so no file grows.
 */
export function planGroupedBody(qm: QuantizedModel): GroupedPlan {
  const pt = qm.passthrough ?? [];
  const heads = codeHeads(qm);
  if (!heads) return { heads: null };
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const lc: LayerCoding = { previous: true, derived: true };
  const strings = tableStrings([...qm.tensors, ...pt], lc);
  const index = new Map(strings.map((s, i) => [s, i]));
  const plain = new ByteWriter(1024);
  writeStringTable(plain, strings);
  let prevLayer: string | undefined;
  for (const t of qm.tensors) {
    plain
      .u8(0)
      .varint(layerCode(t.name, t.layer, prevLayer, index, lc))
      .varint(index.get(t.name)!);
    if (qm.codebooks.length > 1) plain.varint(cbIndex.get(t.codebook) ?? 0);
    prevLayer = t.layer;
  }
  for (const t of pt)
    plain
      .varint(index.get(t.name)!)
      .u8(0)
      .varint(layerCode(t.name, t.layer, undefined, index, { previous: false, derived: true }));
  return { heads: codedHeadsBytes(heads, pt.length) < plain.length ? heads : null };
}

/** Writes the body of a version-3 container after the common head (its flags as `plan` says); returns the sizes it measured. */
export function writeGroupedBody(w: ByteWriter, qm: QuantizedModel, group: GroupCoder, order: readonly number[] | null, plan: GroupedPlan = { heads: null }): Omit<EncodedSize, "totalBytes" | "headerBytes"> {
  const cbs = codebookMap(qm);
  const pt = qm.passthrough ?? [];
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const members: number[][] = qm.codebooks.map(() => []);
  for (const [i, t] of qm.tensors.entries()) {
    const ci = cbIndex.get(t.codebook);
    if (ci === undefined || !cbs.has(t.codebook)) throw new InvalidQuantizedError(`tensor "${t.name}" refers to a missing codebook "${t.codebook}". Every referenced codebook must be in the model.`);
    members[ci]!.push(i);
  }
  if (plan.heads) {
    const table = writeCodebookTable(w, qm.codebooks, writeHeadsSection(w, qm, plan.heads));
    const tensors = writeGroups(w, qm, group, members, table.each);
    const passthroughBytes = writeCodedPassthrough(w, pt);
    writeOrderSection(w, order, qm.tensors.length, true);
    return { codebookBytes: table.total, passthroughBytes, tensors };
  }
  const lc: LayerCoding = { previous: true, derived: true };
  const strings = tableStrings([...qm.tensors, ...pt], lc);
  const index = new Map(strings.map((s, i) => [s, i]));
  writeStringTable(w, strings);
  const table = writeCodebookTable(w, qm.codebooks, index);
  w.varint(qm.tensors.length);
  let prevLayer: string | undefined;
  for (const t of qm.tensors) {
    // A bias shares its weight's layer: one byte instead of the layer's index.
    w.u8(tagsByte(t)).varint(layerCode(t.name, t.layer, prevLayer, index, lc));
    w.varint(index.get(t.name)!);
    prevLayer = t.layer;
    if (qm.codebooks.length > 1) w.varint(cbIndex.get(t.codebook)!);
  }
  const tensors = writeGroups(w, qm, group, members, table.each);
  const passthroughBytes = writePassthroughSection(w, pt, index);
  writeOrderSection(w, order, qm.tensors.length, true);
  return { codebookBytes: table.total, passthroughBytes, tensors };
}

/** The groups section: each codebook's tensors (`members`) coded as one group; returns each tensor's sizes. */
function writeGroups(w: ByteWriter, qm: QuantizedModel, group: GroupCoder, members: readonly number[][], cbBytes: readonly number[]): { name: string; count: number; streamBytes: number; bytes: number }[] {
  const streamBytes = new Float64Array(qm.tensors.length);
  const bytesOf = new Float64Array(qm.tensors.length);
  for (const [ci, list] of members.entries()) {
    if (list.length === 0) continue;
    const cb = qm.codebooks[ci]!;
    const g = group.encodeGroup(
      list.map((i) => ({ ...qm.tensors[i]!, name: "", codebook: "" })),
      { ...cb, id: "" },
    );
    const before = w.length;
    w.varint(g.bytes.length).ref(g.bytes);
    const lengthBytes = w.length - before - g.bytes.length;
    const users = list.reduce((a, i) => a + shapeSize(qm.tensors[i]!.shape), 0);
    for (const [k, i] of list.entries()) {
      const count = shapeSize(qm.tensors[i]!.shape);
      // The group's length prefix is shared like the codebook: by element count.
      streamBytes[i] = g.tensorBytes[k]! + lengthBytes * (count / Math.max(1, users));
      bytesOf[i] = streamBytes[i] + cbBytes[ci]! * (count / Math.max(1, users));
    }
  }
  return qm.tensors.map((t, i) => ({ name: t.name, count: shapeSize(t.shape), streamBytes: streamBytes[i]!, bytes: bytesOf[i]! }));
}

/**
 * Reads the body of a version-3 container (see {@link writeGroupedBody}). `budget.left` is the
 * element budget; every count and index is checked against the bytes present before allocating.
 * `shared`: the codebooks are a shared codebook table (header flag 1, codebook-table.ts);
 * `coded`: the heads are range-coded (header flag 2, heads-table.ts).
 */
export function readGroupedBody(r: ByteReader, metadata: Record<string, unknown>, group: GroupCoder, budget: { left: number }, shared: boolean, coded = false): { model: QuantizedModel; metadata: Record<string, unknown> } {
  const body = coded ? readCodedHeads(r, group, budget, shared) : readPlainHeads(r, group, budget, shared);
  const names = [...body.tensors, ...body.passthrough].map((t) => t.name);
  const order = readOrderSection(r, names, body.tensors.length, shared || coded);
  const meta = order ? { ...metadata, tensorOrder: order } : metadata;
  return { model: body, metadata: meta };
}

/** The string table, codebooks, plain heads, groups and passthrough section (no header flag 2). */
function readPlainHeads(r: ByteReader, group: GroupCoder, budget: { left: number }, shared: boolean): Required<QuantizedModel> {
  const strings = readStringTable(r);
  const str = (i: number, what: string): string => {
    if (i >= strings.length) throw new DecodeError(`container ${what} refers to string ${i} of ${strings.length}. The file is corrupted.`);
    return strings[i]!;
  };
  const layerOf = (code: number, name: string): { layer?: string } => {
    const layer = resolveLayer(code, name, undefined, str, { previous: false, derived: shared });
    return layer === undefined ? {} : { layer };
  };
  const codebooks: Codebook[] = shared ? readCodebookTable(r, strings) : readCodebookRecords(r);
  const nCb = codebooks.length;
  const nT = r.varint();
  if (nT > r.remaining) throw new DecodeError("container tensor count exceeds the file. The file is corrupted.");
  if (nT > 0 && nCb === 0) throw new DecodeError(`container has ${nT} tensors but no codebook. The file is corrupted.`);
  const heads: Head[] = [];
  const lc: LayerCoding = { previous: true, derived: shared };
  let prevLayer: string | undefined;
  for (let i = 0; i < nT; i++) {
    const tags = readTags(r.u8());
    const code = r.varint();
    const name = str(r.varint(), "tensor name");
    prevLayer = resolveLayer(code, name, prevLayer, str, lc);
    const layer = prevLayer === undefined ? {} : { layer: prevLayer };
    const ci = nCb > 1 ? r.varint() : 0;
    if (ci >= nCb) throw new DecodeError(`container tensor "${printable(name)}" refers to codebook ${ci} of ${nCb}. The file is corrupted.`);
    heads.push({ name, ci, tags, layer });
  }
  const tensors = readGroups(r, group, codebooks, heads, budget);
  const passthrough = readPassthroughSection(r, str, layerOf, budget);
  return { codebooks, tensors, passthrough };
}

/** The range-coded heads, codebooks, groups and passthrough shapes and values (header flag 2). */
function readCodedHeads(r: ByteReader, group: GroupCoder, budget: { left: number }, shared: boolean): Required<QuantizedModel> {
  const { heads, passthrough, codebooks } = readHeadsSection(r, shared);
  const tensors = readGroups(r, group, codebooks, heads, budget);
  return { codebooks, tensors, passthrough: readCodedPassthrough(r, passthrough, budget) };
}

/** The groups section: each codebook's tensors decoded as one group and given their heads. */
function readGroups(r: ByteReader, group: GroupCoder, codebooks: readonly Codebook[], heads: readonly Head[], budget: { left: number }): QuantizedTensor[] {
  const members: number[][] = codebooks.map(() => []);
  for (const [i, h] of heads.entries()) members[h.ci]!.push(i);
  const decoded: QuantizedTensor[] = new Array<QuantizedTensor>(heads.length);
  for (const [ci, list] of members.entries()) {
    if (list.length === 0) continue;
    const bytes = r.bytes(r.varint());
    const ts = group.decodeGroup(bytes, list.length, { ...codebooks[ci]!, id: "" }, { maxElements: budget.left });
    if (ts.length !== list.length) throw new DecodeError(`container group ${ci} decoded ${ts.length} tensors for ${list.length}. The file is corrupted.`);
    for (const [k, i] of list.entries()) {
      const t = ts[k]!,
        h = heads[i]!;
      if (t.name !== "" || t.codebook !== "") throw new DecodeError(`container tensor "${printable(h.name)}" has a group entry that names itself. The file is corrupted.`);
      budget.left -= elementsWithin(t.shape, `container tensor "${printable(h.name)}"`, budget.left);
      decoded[i] = { ...t, name: h.name, codebook: codebooks[ci]!.id, ...h.tags, ...h.layer };
    }
  }
  return decoded;
}
