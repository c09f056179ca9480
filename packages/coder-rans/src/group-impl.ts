import { DecodeError, type DecodeLimits, type Grouping, type QuantizedTensor, type CodeArray } from "@quantforge/core";
import { ByteReader, ByteWriter, MAX_DIMS, checkedShapeSize } from "@quantforge/core/format";
import { readGaps, writeGaps } from "./gaps-impl.js";
import { buildDecodeTable, type DecodeTable } from "./decode-impl.js";
import { closeSegments, decodeSegment, openSegments, ransEncodeSegments, type EncodeSegment } from "./segments-impl.js";
import { lanesFor, readSection, writeSection, type SectionOptions } from "./section-impl.js";
import { checkTensor, MAX_ELEMENTS } from "./stream-impl.js";
import { planTable, readTable, writeTable, type Table } from "./table-impl.js";
import { gatherSlice, readClasses, scatterSlice, slicesOf, writeClasses } from "./classes-impl.js";
import { CLASSED, MAX_TABLES, ONE, OWN, SECTION, SHARED, bitsWith, choose, chooseClassed, type Item } from "./choose-impl.js";

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

function corrupt(what: string): never {
  throw new DecodeError(`rans group ${what}. The container is corrupted; re-encode it.`);
}

/** Decodes `count` tensors written by {@link encodeRansGroup}; anything malformed is a DecodeError. */
export function decodeRansGroup(bytes: Uint8Array, count: number, alphabetSize: number, limits: DecodeLimits = {}): QuantizedTensor[] {
  const r = new ByteReader(bytes, 0, bytes.length, "rans group");
  const version = r.u8();
  if (version !== 1 && version !== GROUP_VERSION) throw new DecodeError(`rans group version ${version} is not supported (this build reads versions 1 and ${GROUP_VERSION}). Use a matching quantforge.`);
  const flags = r.u8();
  if (flags > 7) corrupt(`has unknown flags ${flags}`);
  const lanes = ((flags >> 1) & 3) + 1;
  if (lanes === 3) corrupt("uses 3 states (1, 2 or 4 only)");
  if (alphabetSize < 1) corrupt("has an empty alphabet");
  // Each tensor's head is at least 2 bytes: bound the count by the bytes before allocating.
  if (count > r.remaining) corrupt(`declares ${count} tensors in ${r.remaining} bytes`);
  const shared: DecodeTable[] = [];
  if (flags & 1) {
    const nt = r.varint() + 1;
    if (nt > MAX_TABLES) corrupt(`declares ${nt} shared tables (at most ${MAX_TABLES})`);
    for (let k = 0; k < nt; k++) {
      const t = readTable(r, alphabetSize);
      shared.push(buildDecodeTable(t.symbols, t.freq, t.scaleBits));
    }
  }
  let budget = Math.min(MAX_ELEMENTS, limits.maxElements ?? MAX_ELEMENTS);
  const out: QuantizedTensor[] = [];
  const pending: { codes: Uint32Array; table: DecodeTable | null; classed?: { slices: { outer: number; count: number; inner: number }; classes: Uint8Array } }[] = [];
  const shapes: number[][] = [];
  try {
    for (let i = 0; i < count; i++) {
      const head = r.u8();
      // Mode 4 (CLASSED) exists from version 2 on.
      if (head > (version === 1 ? 31 : 39)) corrupt(`has an unknown tensor header ${head}`);
      const gk = head & 3,
        sparse = (head & 4) !== 0,
        mode = head >> 3;
      const tableIndex = mode === SHARED && shared.length > 1 ? r.varint() : 0;
      const ref = r.varint();
      let shape: number[];
      if (ref > shapes.length) corrupt(`refers to shape ${ref} back of ${shapes.length}`);
      if (ref > 0) shape = [...shapes[shapes.length - ref]!];
      else {
        const nd = r.varint();
        if (nd > MAX_DIMS) corrupt(`declares ${nd} dimensions (at most ${MAX_DIMS})`);
        shape = [];
        for (let d = 0; d < nd; d++) shape.push(r.varint());
        shapes.push(shape);
      }
      const nd = shape.length;
      // Checked against the remaining budget before any code is allocated: a one-symbol tensor
      // codes any count in a byte, so the bytes present cannot bound it.
      const total = checkedShapeSize(shape, `rans group tensor ${i}`, budget);
      budget -= total;
      let grouping: Grouping;
      if (gk === 0) grouping = { kind: "tensor" };
      else if (gk === 1) {
        const axis = r.varint();
        if (axis >= nd) corrupt(`has channel axis ${axis} for ${nd} dimensions`);
        grouping = { kind: "channel", axis };
      } else if (gk === 2) {
        const size = r.varint();
        if (size < 1) corrupt("has a group size of 0");
        grouping = { kind: "group", size };
      } else corrupt(`has unknown grouping kind ${gk}`);
      let n = total;
      let positions: Uint32Array | undefined;
      if (sparse) {
        n = r.varint();
        if (n > total) corrupt(`declares ${n} survivors for a tensor of ${total} elements`);
        positions = readGaps(r, n, total);
      }
      let codes: Uint32Array;
      if (mode === SECTION) codes = readSection(r, n, alphabetSize);
      else if (mode === ONE) {
        const s = r.varint();
        if (s >= alphabetSize) corrupt(`has symbol ${s} outside its ${alphabetSize}-symbol alphabet`);
        codes = new Uint32Array(n).fill(s);
      } else if (mode === OWN) {
        const t = readTable(r, alphabetSize);
        codes = new Uint32Array(n);
        pending.push({ codes, table: buildDecodeTable(t.symbols, t.freq, t.scaleBits) });
      } else if (mode === CLASSED) {
        if (sparse || shared.length < 2) corrupt(`has classed tensor ${i} ${sparse ? "with sparse positions" : `with ${shared.length} shared tables`}`);
        const axis = r.varint();
        if (axis >= nd) corrupt(`has classed tensor ${i} on axis ${axis} of ${nd}`);
        let outer = 1,
          inner = 1;
        for (let d = 0; d < axis; d++) outer *= shape[d]!;
        for (let d = axis + 1; d < nd; d++) inner *= shape[d]!;
        const slices = { outer, count: shape[axis]!, inner };
        // Bounded by the bytes present: each slice's class takes ≥ 1 bit.
        const classes = readClasses(r, slices.count, shared.length);
        codes = new Uint32Array(n);
        pending.push({ codes, table: null, classed: { slices, classes } });
      } else {
        if (tableIndex >= shared.length) corrupt(`has tensor ${i} on shared table ${tableIndex} of ${shared.length}`);
        codes = new Uint32Array(n);
        pending.push({ codes, table: shared[tableIndex]! });
      }
      out.push({ name: "", shape, codebook: "", grouping, codes, ...(positions ? { sparse: { positions } } : {}) });
    }
    if (pending.length > 0) {
      const len = r.varint();
      const from = r.pos;
      r.bytes(len);
      const s = openSegments(r.buf, from, from + len, lanes);
      if (!s) corrupt("has an inconsistent rANS payload");
      for (const p of pending) {
        if (p.classed) {
          const { slices, classes } = p.classed;
          const buf = new Uint32Array(slices.outer * slices.inner);
          for (let c = 0; c < slices.count; c++) {
            if (!decodeSegment(s, shared[classes[c]!]!, buf)) corrupt("has an inconsistent rANS payload");
            scatterSlice(p.codes, slices, c, buf);
          }
        } else if (!decodeSegment(s, p.table!, p.codes)) corrupt("has an inconsistent rANS payload");
      }
      if (!closeSegments(s)) corrupt("has an inconsistent rANS payload");
    }
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`rans group could not be decoded (${(e as Error).message}). The container is corrupted; re-encode it.`, e);
  }
  if (r.remaining !== 0) corrupt(`has ${r.remaining} bytes left over`);
  return out;
}
