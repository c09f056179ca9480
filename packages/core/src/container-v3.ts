import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { readCodebook, writeCodebook } from "./codebook-io.js";
import { DecodeError, InvalidQuantizedError } from "./errors.js";
import type { EncodedSize, GroupCoder } from "./plugin.js";
import { printable } from "./printable.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { shapeSize } from "./tensor.js";
import { codebookMap } from "./validate.js";
import { readStringTable, writeStringTable } from "./string-table.js";
import { elementsWithin, readPassthroughSection, readTags, tagsByte } from "./container-v2.js";

/**
 * The grouped `.qf` layout (container version 3), written for coders that code a whole codebook
 * group at once (`Coder.group`). After the common head ("QFRG" | u16 version | u16 flags | str
 * coder id | str metadata JSON) it holds, all little-endian:
 *
 *   strings:     the sorted names and layers (string-table.ts: front-coded or token-coded)
 *   codebooks:   varint n, each: varint length + codebook record
 *   tensors:     varint n, each: u8 tags (role | kind << 2) | varint name | varint layer (0 none,
 *                1 the previous tensor's, else string index + 2) | [varint codebook index, only
 *                when there are ≥ 2 codebooks]
 *   groups:      for each codebook with ≥ 1 tensor, in codebook order: varint length + the
 *                coder's group bytes for its tensors in tensor order (shapes, grouping, codes)
 *   passthrough: as in version 2
 *   order:       varint 0 (no `tensorOrder`), 1 (`tensorOrder` is the tensors then passthrough
 *                in container order) or 2 followed by one varint index per tensor (as in version 2)
 *
 * then the u32 CRC-32. Against version 2 a tensor saves its own stream's magic, version, CRC,
 * length and (for the rans coder) frequency table and state flush.
 */
export const GROUPED_CONTAINER_VERSION = 3;

/** Writes the body of a version-3 container after the common head; returns the sizes it measured. */
export function writeGroupedBody(w: ByteWriter, qm: QuantizedModel, group: GroupCoder, order: readonly number[] | null): Omit<EncodedSize, "totalBytes" | "headerBytes"> {
  const cbs = codebookMap(qm);
  const pt = qm.passthrough ?? [];
  const strings = [...new Set([...qm.tensors, ...pt].flatMap((t) => [t.name, ...(t.layer ? [t.layer] : [])]))].sort();
  const index = new Map(strings.map((s, i) => [s, i]));
  writeStringTable(w, strings);
  w.varint(qm.codebooks.length);
  const cbBytes: number[] = [];
  for (const cb of qm.codebooks) {
    const inner = new ByteWriter(64);
    writeCodebook(inner, cb);
    const b = inner.finish();
    w.varint(b.length).bytes(b);
    cbBytes.push(b.length);
  }
  const cbIndex = new Map(qm.codebooks.map((cb, i) => [cb.id, i]));
  const members: number[][] = qm.codebooks.map(() => []);
  w.varint(qm.tensors.length);
  let prevLayer: string | undefined;
  for (const [i, t] of qm.tensors.entries()) {
    const ci = cbIndex.get(t.codebook);
    if (ci === undefined || !cbs.has(t.codebook)) throw new InvalidQuantizedError(`tensor "${t.name}" refers to a missing codebook "${t.codebook}". Every referenced codebook must be in the model.`);
    // A bias shares its weight's layer: one byte instead of the layer's index.
    w.u8(tagsByte(t)).varint(!t.layer ? 0 : t.layer === prevLayer ? 1 : index.get(t.layer)! + 2);
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
    const g = group.encodeGroup(list.map((i) => ({ ...qm.tensors[i]!, name: "", codebook: "" })), { ...cb, id: "" });
    const before = w.length;
    w.varint(g.bytes.length).bytes(g.bytes);
    const lengthBytes = w.length - before - g.bytes.length;
    const users = list.reduce((a, i) => a + shapeSize(qm.tensors[i]!.shape), 0);
    for (const [k, i] of list.entries()) {
      const count = shapeSize(qm.tensors[i]!.shape);
      // The group's length prefix is shared like the codebook: by element count.
      streamBytes[i] = g.tensorBytes[k]! + lengthBytes * (count / Math.max(1, users));
      bytesOf[i] = streamBytes[i]! + cbBytes[ci]! * (count / Math.max(1, users));
    }
  }
  w.varint(pt.length);
  const beforePt = w.length;
  for (const t of pt) {
    w.varint(index.get(t.name)!).u8(tagsByte(t)).varint(t.layer ? index.get(t.layer)! + 1 : 0).varint(t.shape.length);
    for (const d of t.shape) w.varint(d);
    w.f32array(t.data);
  }
  const passthroughBytes = w.length - beforePt;
  const identity = order !== null && order.every((v, i) => v === i);
  w.varint(!order ? 0 : identity ? 1 : 2);
  if (order && !identity) for (const i of order) w.varint(i);
  const tensors = qm.tensors.map((t, i) => ({ name: t.name, count: shapeSize(t.shape), streamBytes: streamBytes[i]!, bytes: bytesOf[i]! }));
  return { codebookBytes: cbBytes.reduce((a, b) => a + b, 0), passthroughBytes, tensors };
}

/**
 * Reads the body of a version-3 container (see {@link writeGroupedBody}). `budget.left` is the
 * element budget; every count and index is checked against the bytes present before allocating.
 */
export function readGroupedBody(r: ByteReader, metadata: Record<string, unknown>, group: GroupCoder, budget: { left: number }): { model: QuantizedModel; metadata: Record<string, unknown> } {
  const strings = readStringTable(r);
  const str = (i: number, what: string): string => {
    if (i >= strings.length) throw new DecodeError(`container ${what} refers to string ${i} of ${strings.length}. The file is corrupted.`);
    return strings[i]!;
  };
  const layerOf = (i: number): { layer?: string } => (i === 0 ? {} : { layer: str(i - 1, "layer") });
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
  const nT = r.varint();
  if (nT > r.remaining) throw new DecodeError("container tensor count exceeds the file. The file is corrupted.");
  if (nT > 0 && nCb === 0) throw new DecodeError(`container has ${nT} tensors but no codebook. The file is corrupted.`);
  const heads: { name: string; ci: number; tags: ReturnType<typeof readTags>; layer: { layer?: string } }[] = [];
  const members: number[][] = codebooks.map(() => []);
  let prevLayer: { layer?: string } = {};
  for (let i = 0; i < nT; i++) {
    const tags = readTags(r.u8());
    const code = r.varint();
    if (code === 1 && prevLayer.layer === undefined) throw new DecodeError(`container tensor ${i} repeats a layer no tensor before it has. The file is corrupted.`);
    const layer = code === 0 ? {} : code === 1 ? prevLayer : { layer: str(code - 2, "layer") };
    prevLayer = layer;
    const name = str(r.varint(), "tensor name");
    const ci = nCb > 1 ? r.varint() : 0;
    if (ci >= nCb) throw new DecodeError(`container tensor "${printable(name)}" refers to codebook ${ci} of ${nCb}. The file is corrupted.`);
    heads.push({ name, ci, tags, layer });
    members[ci]!.push(i);
  }
  const decoded: QuantizedTensor[] = new Array(nT);
  for (const [ci, list] of members.entries()) {
    if (list.length === 0) continue;
    const bytes = r.bytes(r.varint());
    const ts = group.decodeGroup(bytes, list.length, { ...codebooks[ci]!, id: "" }, { maxElements: budget.left });
    if (ts.length !== list.length) throw new DecodeError(`container group ${ci} decoded ${ts.length} tensors for ${list.length}. The file is corrupted.`);
    for (const [k, i] of list.entries()) {
      const t = ts[k]!, h = heads[i]!;
      if (t.name !== "" || t.codebook !== "") throw new DecodeError(`container tensor "${printable(h.name)}" has a group entry that names itself. The file is corrupted.`);
      budget.left -= elementsWithin(t.shape, `container tensor "${printable(h.name)}"`, budget.left);
      decoded[i] = { ...t, name: h.name, codebook: codebooks[ci]!.id, ...h.tags, ...h.layer };
    }
  }
  const passthrough = readPassthroughSection(r, str, layerOf, budget);
  const kind = r.varint();
  let meta = metadata;
  if (kind > 2) throw new DecodeError(`container tensor order has unknown kind ${kind}. The file is corrupted.`);
  if (kind === 1) meta = { ...metadata, tensorOrder: [...decoded, ...passthrough].map((t) => t.name) };
  if (kind === 2) {
    const all = [...decoded, ...passthrough];
    const m = all.length;
    const seen = new Uint8Array(m);
    const names: string[] = [];
    for (let k = 0; k < m; k++) {
      const i = r.varint();
      if (i >= m || seen[i]) throw new DecodeError("container tensor order is not a permutation. The file is corrupted.");
      seen[i] = 1;
      names.push(all[i]!.name);
    }
    meta = { ...metadata, tensorOrder: names };
  }
  return { model: { codebooks, tensors: decoded, passthrough }, metadata: meta };
}
