import type { QuantizedTensor, CodeArray } from "@quantforge/core";
import { ByteWriter } from "@quantforge/core/format";
import { writeGaps } from "./gaps-impl.js";
import { ransEncodeSegments, type EncodeSegment } from "./segments-impl.js";
import { lanesFor, writeSection, type SectionOptions } from "./section-impl.js";
import { checkTensor } from "./stream-impl.js";
import { planTable, writeTable, type Table } from "./table-impl.js";
import { gatherSlice, slicesOf, writeClasses } from "./classes-impl.js";
import { CLASSED, ONE, OWN, SECTION, SHARED, bitsWith, choose, chooseClassed, type Item } from "./choose-impl.js";

/**
 * All tensors of one codebook as one byte string (container version 3):
 *
 *   u8 version (1, or 2 when a tensor is CLASSED) | u8 flags (bit 0: shared tables present,
 *   bits 1–2: lanes − 1)
 *   [varint #shared tables − 1 (≤ 16) | the tables]
 *   per tensor: u8 head (bits 0–1 grouping kind 0 tensor / 1 channel / 2 group, bit 2 sparse,
 *               bits 3–5 mode 0 shared table / 1 own table / 2 one symbol / 3 own section /
 *               4 classed, version 2 only)
 *               | [mode 0 and ≥ 2 shared tables: varint table index]
 *               | varint shape: 0 a new shape (varint ndims | dims follow), j ≥ 1 the j-th most
 *                 recent distinct shape of this group | [kind ≠ 0: varint axis or group size]
 *               | [sparse: varint survivors | gap section]
 *               | mode 1: table; mode 2: varint symbol; mode 3: section (section-impl.ts);
 *                 mode 4 (dense, ≥ 2 shared tables): varint axis | the class (shared table) of
 *                 each slice along it, ⌈log2 #tables⌉ bits each, LSB first (classes-impl.ts)
 *   [any tensor in mode 0 or 1: varint payload bytes | one rANS payload over their codes, in
 *    tensor order, each with its table; a classed tensor slice by slice, each slice's codes in
 *    index order with its class's table (segments-impl.ts)]
 *
 * Each tensor takes the shared table or its own, whichever codes it in fewer bits (its own table
 * counted); one table, one state flush and no stream header serve the whole group. There is no
 * CRC here: the container's covers the group.
 */
export const GROUP_VERSION = 2;

function segmentOf(values: CodeArray, t: Table): EncodeSegment {
  const { symbols, freq, scaleBits } = t;
  const k = symbols.length,
    maxV = symbols[k - 1]!;
  const start = new Uint32Array(k);
  for (let i = 1; i < k; i++) start[i] = start[i - 1]! + freq[i - 1]!;
  if (maxV < 1 << 20) {
    const f = new Uint32Array(maxV + 1),
      c = new Uint32Array(maxV + 1);
    for (let i = 0; i < k; i++) {
      f[symbols[i]!] = freq[i]!;
      c[symbols[i]!] = start[i]!;
    }
    return { values, freq: f, start: c, scaleBits };
  }
  const rank = new Map<number, number>();
  for (let i = 0; i < k; i++) rank.set(symbols[i]!, i);
  return { values: Uint32Array.from(values, (v) => rank.get(v)!), freq, start, scaleBits };
}

/** Codes `tensors` (all below `alphabetSize`) as one group; see the layout above. */
export function encodeRansGroup(tensors: readonly QuantizedTensor[], alphabetSize: number, opts: SectionOptions): { bytes: Uint8Array; tensorBytes: number[] } {
  const items: Item[] = tensors.map((t) => {
    const { symbols, counts } = checkTensor(t, alphabetSize);
    const k = symbols.length;
    const item: Item = { t, symbols, counts, mode: SECTION, own: null, alt: { mode: SECTION, bits: Infinity }, table: -1, slices: k > 1 ? slicesOf(t, alphabetSize) : null, classes: null };
    if (k === 1) {
      item.mode = ONE;
      return item;
    }
    if (k === 0) return item;
    const own = k <= 2 ** opts.maxScaleBits ? planTable(symbols, counts, opts.maxScaleBits) : null;
    // Raw values may beat a table on short streams of many symbols: then the tensor's own section
    // (measured exactly; only written when its raw bits could win).
    const raw = t.codes.length * (32 - Math.clz32(alphabetSize - 1));
    if (own && own.bits <= raw) {
      item.own = own;
      item.mode = OWN;
      item.alt = { mode: OWN, bits: own.bits };
      return item;
    }
    const sw = new ByteWriter(16 + (raw >> 3));
    writeSection(sw, t.codes, alphabetSize, opts);
    item.alt = { mode: SECTION, bits: 8 * sw.length };
    if (own && own.bits < item.alt.bits) {
      item.own = own;
      item.mode = OWN;
      item.alt = { mode: OWN, bits: own.bits };
    }
    return item;
  });
  const cands = items.filter((it) => it.mode === OWN || it.mode === SECTION);
  const plain = choose(items, opts);
  // Version 1 (no CLASSED tensor) stays byte-identical to what earlier builds wrote.
  const shared = chooseClassed(cands, plain, opts, alphabetSize) ?? plain;
  const classed = items.some((it) => it.mode === CLASSED);
  const coded = items.filter((it) => it.mode === SHARED || it.mode === OWN || it.mode === CLASSED);
  let symbolsCoded = 0;
  for (const it of coded) symbolsCoded += it.t.codes.length;
  const lanes = symbolsCoded > 0 ? lanesFor(symbolsCoded, opts.maxLanes === 3 ? 2 : opts.maxLanes) : 1; // segments take 1, 2 or 4 states
  const w = new ByteWriter(256);
  w.u8(classed ? GROUP_VERSION : 1).u8((shared.length > 0 ? 1 : 0) | ((lanes - 1) << 1));
  if (shared.length > 0) w.varint(shared.length - 1);
  for (const t of shared) writeTable(w, t);
  const shares = new Float64Array(items.length);
  // One segment table per shared table, reused by every slice on it.
  const bases = new Map<number, EncodeSegment>();
  const segmentBase = (k: number): EncodeSegment => {
    let b = bases.get(k);
    if (!b) bases.set(k, (b = segmentOf(new Uint32Array(0), shared[k]!)));
    return b;
  };
  const segs: EncodeSegment[] = [];
  // Layers repeat shapes (every block's bias, every 3×3 depthwise kernel): a repeated shape is
  // one back-reference instead of its dimensions.
  const shapes: string[] = [];
  for (const [i, it] of items.entries()) {
    const before = w.length;
    const t = it.t,
      gk = t.grouping.kind;
    w.u8((gk === "tensor" ? 0 : gk === "channel" ? 1 : 2) | (t.sparse ? 4 : 0) | (it.mode << 3));
    if (it.mode === SHARED && shared.length > 1) w.varint(it.table);
    const key = t.shape.join(",");
    const seen = shapes.lastIndexOf(key);
    if (seen >= 0) w.varint(shapes.length - seen);
    else {
      shapes.push(key);
      w.varint(0).varint(t.shape.length);
      for (const d of t.shape) w.varint(d);
    }
    if (gk === "channel") w.varint(t.grouping.axis);
    else if (gk === "group") w.varint(t.grouping.size);
    if (t.sparse) {
      w.varint(t.codes.length);
      writeGaps(w, t.sparse.positions, opts);
    }
    if (it.mode === OWN) writeTable(w, it.own!.table);
    else if (it.mode === ONE) w.varint(it.symbols[0]!);
    else if (it.mode === SECTION) writeSection(w, t.codes, alphabetSize, opts);
    else if (it.mode === CLASSED) {
      w.varint(it.slices!.axis);
      writeClasses(w, it.classes!, shared.length);
    }
    shares[i] = w.length - before;
    if (it.mode === CLASSED) {
      const s = it.slices!;
      for (let c = 0; c < s.count; c++) {
        const table = shared[it.classes![c]!]!;
        shares[i] += bitsWith(s.hist[c]!.symbols, s.hist[c]!.counts, table) / 8;
        const values = new Uint32Array(s.outer * s.inner);
        gatherSlice(t.codes, s, c, values);
        segs.push({ ...segmentBase(it.classes![c]!), values });
      }
    }
    if (it.mode === SHARED || it.mode === OWN) {
      const table = it.mode === SHARED ? shared[it.table]! : it.own!.table;
      shares[i] += bitsWith(it.symbols, it.counts, table) / 8;
      segs.push(segmentOf(t.codes, table));
    }
  }
  if (segs.length > 0) {
    const payload = ransEncodeSegments(segs, lanes);
    w.varint(payload.length).bytes(payload);
  }
  const bytes = w.finish();
  // Each tensor's share: its own bytes and estimated payload, plus the common bytes (version,
  // flags, shared table, flush, rounding) spread by element count.
  let sum = 0,
    elems = 0;
  for (let i = 0; i < items.length; i++) {
    sum += shares[i]!;
    elems += items[i]!.t.codes.length;
  }
  const rest = bytes.length - sum;
  const tensorBytes = items.map((it, i) => shares[i]! + (elems > 0 ? rest * (it.t.codes.length / elems) : rest / items.length));
  return { bytes, tensorBytes };
}
