import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { readCodebookTable, writeCodebookTable } from "./codebook-table.js";
import { DecodeError, InvalidQuantizedError } from "./errors.js";
import type { EncodedSize, GroupCoder } from "./plugin.js";
import { printable } from "./printable.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { shapeSize } from "./tensor.js";
import { codebookMap } from "./validate.js";
import { readStringTable, writeStringTable } from "./string-table.js";
import { elementsWithin, readCodebookRecords, readPassthroughSection, readTags, tableStrings, tagsByte, writePassthroughSection } from "./container-v2.js";
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
 * then the u32 CRC-32. Against version 2 a tensor saves its own stream's magic, version, CRC,
 * length and (for the rans coder) frequency table and state flush.
 */
export const GROUPED_CONTAINER_VERSION = 3;

/** Writes the body of a version-3 container after the common head; returns the sizes it measured. */
export function writeGroupedBody(w: ByteWriter, qm: QuantizedModel, group: GroupCoder, order: readonly number[] | null): Omit<EncodedSize, "totalBytes" | "headerBytes"> {
  const cbs = codebookMap(qm);
  const pt = qm.passthrough ?? [];
  const lc: LayerCoding = { previous: true, derived: true };
  const strings = tableStrings([...qm.tensors, ...pt], lc);
  const index = new Map(strings.map((s, i) => [s, i]));
  writeStringTable(w, strings);
  const table = writeCodebookTable(w, qm.codebooks, index);
  const cbBytes = table.each;
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const members: number[][] = qm.codebooks.map(() => []);
  w.varint(qm.tensors.length);
  let prevLayer: string | undefined;
  for (const [i, t] of qm.tensors.entries()) {
    const ci = cbIndex.get(t.codebook);
    if (ci === undefined || !cbs.has(t.codebook)) throw new InvalidQuantizedError(`tensor "${t.name}" refers to a missing codebook "${t.codebook}". Every referenced codebook must be in the model.`);
    // A bias shares its weight's layer: one byte instead of the layer's index.
    w.u8(tagsByte(t)).varint(layerCode(t.name, t.layer, prevLayer, index, lc));
    w.varint(index.get(t.name)!);
    prevLayer = t.layer;
    if (qm.codebooks.length > 1) w.varint(ci);
    members[ci]!.push(i);
  }
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
  const passthroughBytes = writePassthroughSection(w, pt, index);
  writeOrderSection(w, order, qm.tensors.length, true);
  const tensors = qm.tensors.map((t, i) => ({ name: t.name, count: shapeSize(t.shape), streamBytes: streamBytes[i]!, bytes: bytesOf[i]! }));
  return { codebookBytes: table.total, passthroughBytes, tensors };
}

/**
 * Reads the body of a version-3 container (see {@link writeGroupedBody}). `budget.left` is the
 * element budget; every count and index is checked against the bytes present before allocating.
 * `shared`: the codebooks are a shared codebook table (header flag, codebook-table.ts).
 */
export function readGroupedBody(r: ByteReader, metadata: Record<string, unknown>, group: GroupCoder, budget: { left: number }, shared: boolean): { model: QuantizedModel; metadata: Record<string, unknown> } {
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
  const heads: { name: string; ci: number; tags: ReturnType<typeof readTags>; layer: { layer?: string } }[] = [];
  const members: number[][] = codebooks.map(() => []);
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
    members[ci]!.push(i);
  }
  const decoded: QuantizedTensor[] = new Array<QuantizedTensor>(nT);
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
  const passthrough = readPassthroughSection(r, str, layerOf, budget);
  const names = [...decoded, ...passthrough].map((t) => t.name);
  const order = readOrderSection(r, names, decoded.length, shared);
  const meta = order ? { ...metadata, tensorOrder: order } : metadata;
  return { model: { codebooks, tensors: decoded, passthrough }, metadata: meta };
}
