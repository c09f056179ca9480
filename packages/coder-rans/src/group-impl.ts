import { ByteReader, ByteWriter, DecodeError, MAX_DIMS, checkedShapeSize, type DecodeLimits, type Grouping, type QuantizedTensor } from "@quantforge/core";
import { readGaps, writeGaps } from "./gaps-impl.js";
import { buildDecodeTable, type DecodeTable } from "./rans-impl.js";
import { closeSegments, decodeSegment, openSegments, ransEncodeSegments, type EncodeSegment } from "./segments-impl.js";
import { histogram, lanesFor, readSection, varintBytes, writeSection, type SectionOptions } from "./section-impl.js";
import { checkTensor, MAX_ELEMENTS } from "./stream-impl.js";
import { planTable, readTable, tableBytes, writeTable, type Table } from "./table-impl.js";

/**
 * All tensors of one codebook as one byte string (container version 3):
 *
 *   u8 version (1) | u8 flags (bit 0: shared tables present, bits 1–2: lanes − 1)
 *   [varint #shared tables − 1 (≤ 16) | the tables]
 *   per tensor: u8 head (bits 0–1 grouping kind 0 tensor / 1 channel / 2 group, bit 2 sparse,
 *               bits 3–4 mode 0 shared table / 1 own table / 2 one symbol / 3 own section)
 *               | [mode 0 and ≥ 2 shared tables: varint table index]
 *               | varint shape: 0 a new shape (varint ndims | dims follow), j ≥ 1 the j-th most
 *                 recent distinct shape of this group | [kind ≠ 0: varint axis or group size]
 *               | [sparse: varint survivors | gap section]
 *               | mode 1: table; mode 2: varint symbol; mode 3: section (section-impl.ts)
 *   [any tensor in mode 0 or 1: varint payload bytes | one rANS payload over their codes, in
 *    tensor order, each with its table (segments-impl.ts)]
 *
 * Each tensor takes the shared table or its own, whichever codes it in fewer bits (its own table
 * counted); one table, one state flush and no stream header serve the whole group. There is no
 * CRC here: the container's covers the group.
 */
export const GROUP_VERSION = 1;

const SHARED = 0, OWN = 1, ONE = 2, SECTION = 3;

interface Item {
  readonly t: QuantizedTensor;
  readonly symbols: Uint32Array;
  readonly counts: Float64Array;
  mode: number;
  /** The tensor's own table, when it fits the precision. */
  own: { table: Table; bits: number } | null;
  /** What the tensor costs without the shared table: its own table (OWN) or its own section (SECTION). */
  alt: { mode: number; bits: number };
  /** Index of its shared table (mode SHARED). */
  table: number;
}

/** Bits of coding `counts` of `symbols` with table `t` (Infinity when a symbol is missing). */
function bitsWith(symbols: Uint32Array, counts: Float64Array, t: Table): number {
  let bits = 0, j = 0;
  const ts = t.symbols;
  for (let i = 0; i < symbols.length; i++) {
    while (j < ts.length && ts[j]! < symbols[i]!) j++;
    if (j === ts.length || ts[j] !== symbols[i]) return Infinity;
    bits += counts[i]! * (t.scaleBits - Math.log2(t.freq[j]!));
  }
  return bits;
}

/** The shared table fitted to `users`, covering every symbol of `all` (unused ones get half a count). */
function sharedTable(users: readonly Item[], all: readonly Item[], maxScaleBits: number): { table: Table; bits: number } | null {
  const c = new Map<number, number>();
  for (const it of all) for (const s of it.symbols) c.set(s, 0.5);
  for (const it of users) for (let i = 0; i < it.symbols.length; i++) c.set(it.symbols[i]!, (c.get(it.symbols[i]!) === 0.5 ? 0 : c.get(it.symbols[i]!)!) + it.counts[i]!);
  const symbols = Uint32Array.from([...c.keys()].sort((a, b) => a - b));
  if (symbols.length < 2) return null;
  const counts = Float64Array.from(symbols, (s) => c.get(s)!);
  return planTable(symbols, counts, maxScaleBits);
}

/** Most shared tables per group. */
const MAX_TABLES = 16;

interface Choice { cost: number; tables: Table[]; modes: number[]; which: number[] }

/** Each candidate's cheapest option among `tables` (index byte counted) and its own. */
function assign(cands: readonly Item[], tables: Table[]): Choice {
  const idxBits = tables.length > 1 ? 8 * varintBytes(tables.length - 1) : 0;
  let cost = 0;
  for (const t of tables) cost += 8 * tableBytes(t.symbols, t.freq);
  const modes: number[] = [], which: number[] = [];
  for (const it of cands) {
    let m = it.alt.mode, c = it.alt.bits, j = -1;
    for (let k = 0; k < tables.length; k++) {
      const b = bitsWith(it.symbols, it.counts, tables[k]!) + idxBits;
      if (b < c) { c = b; m = SHARED; j = k; }
    }
    modes.push(m); which.push(j); cost += c;
  }
  return { cost, tables, modes, which };
}

/** Refits every used table to its users (unused ones are dropped) and reassigns. */
function refit(cands: readonly Item[], ch: Choice, maxScaleBits: number): Choice {
  const tables: Table[] = [];
  for (let k = 0; k < ch.tables.length; k++) {
    const users = cands.filter((_, i) => ch.which[i] === k);
    const t = users.length > 0 ? sharedTable(users, cands, maxScaleBits) : null;
    if (t) tables.push(t.table);
  }
  return assign(cands, tables);
}

/**
 * Picks the shared tables and each tensor's mode (it.mode, it.table): tables are added one at a
 * time, each fitted to the tensors that no table serves yet, then refitted to their users
 * (Lloyd-style); a table stays only while it lowers the group's total bits. Deterministic.
 */
function choose(items: Item[], opts: SectionOptions): Table[] {
  const cands = items.filter((it) => it.mode === OWN || it.mode === SECTION);
  let best = assign(cands, []);
  for (let add = 0; add < MAX_TABLES; add++) {
    const unserved = cands.filter((_, i) => best.modes[i] !== SHARED);
    if (unserved.length === 0) break;
    const fresh = sharedTable(unserved, cands, opts.maxScaleBits);
    if (!fresh) break;
    let cur = assign(cands, [...best.tables, fresh.table]);
    for (let round = 0; round < 3; round++) {
      const next = refit(cands, cur, opts.maxScaleBits);
      if (next.cost >= cur.cost) break;
      cur = next;
    }
    if (cur.cost >= best.cost) break;
    best = cur;
  }
  cands.forEach((it, i) => { it.mode = best.modes[i]!; it.table = best.which[i]!; });
  return best.tables;
}

function segmentOf(values: Uint32Array, t: Table): EncodeSegment {
  const { symbols, freq, scaleBits } = t;
  const k = symbols.length, maxV = symbols[k - 1]!;
  const start = new Uint32Array(k);
  for (let i = 1; i < k; i++) start[i] = start[i - 1]! + freq[i - 1]!;
  if (maxV < 1 << 20) {
    const f = new Uint32Array(maxV + 1), c = new Uint32Array(maxV + 1);
    for (let i = 0; i < k; i++) { f[symbols[i]!] = freq[i]!; c[symbols[i]!] = start[i]!; }
    return { values, freq: f, start: c, scaleBits };
  }
  const rank = new Map<number, number>();
  for (let i = 0; i < k; i++) rank.set(symbols[i]!, i);
  return { values: Uint32Array.from(values, (v) => rank.get(v)!), freq, start, scaleBits };
}

/** Codes `tensors` (all below `alphabetSize`) as one group; see the layout above. */
export function encodeRansGroup(tensors: readonly QuantizedTensor[], alphabetSize: number, opts: SectionOptions): { bytes: Uint8Array; tensorBytes: number[] } {
  const items: Item[] = tensors.map((t) => {
    checkTensor(t, alphabetSize);
    const { symbols, counts } = histogram(t.codes);
    const k = symbols.length;
    const item: Item = { t, symbols, counts, mode: SECTION, own: null, alt: { mode: SECTION, bits: Infinity }, table: -1 };
    if (k === 1) { item.mode = ONE; return item; }
    if (k === 0) return item;
    const own = k <= 2 ** opts.maxScaleBits ? planTable(symbols, counts, opts.maxScaleBits) : null;
    // Raw values may beat a table on short streams of many symbols: then the tensor's own section
    // (measured exactly; only written when its raw bits could win).
    const raw = t.codes.length * (32 - Math.clz32(alphabetSize - 1));
    if (own && own.bits <= raw) { item.own = own; item.mode = OWN; item.alt = { mode: OWN, bits: own.bits }; return item; }
    const sw = new ByteWriter(16 + (raw >> 3));
    writeSection(sw, t.codes, alphabetSize, opts);
    item.alt = { mode: SECTION, bits: 8 * sw.length };
    if (own && own.bits < item.alt.bits) { item.own = own; item.mode = OWN; item.alt = { mode: OWN, bits: own.bits }; }
    return item;
  });
  const shared = choose(items, opts);
  const coded = items.filter((it) => it.mode === SHARED || it.mode === OWN);
  let symbolsCoded = 0;
  for (const it of coded) symbolsCoded += it.t.codes.length;
  const lanes = symbolsCoded > 0 ? lanesFor(symbolsCoded, opts.maxLanes) : 1;
  const w = new ByteWriter(256);
  w.u8(GROUP_VERSION).u8((shared.length > 0 ? 1 : 0) | ((lanes - 1) << 1));
  if (shared.length > 0) w.varint(shared.length - 1);
  for (const t of shared) writeTable(w, t);
  const shares = new Float64Array(items.length);
  const segs: EncodeSegment[] = [];
  // Layers repeat shapes (every block's bias, every 3×3 depthwise kernel): a repeated shape is
  // one back-reference instead of its dimensions.
  const shapes: string[] = [];
  for (const [i, it] of items.entries()) {
    const before = w.length;
    const t = it.t, gk = t.grouping.kind;
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
    if (t.sparse) { w.varint(t.codes.length); writeGaps(w, t.sparse.positions, opts); }
    if (it.mode === OWN) writeTable(w, it.own!.table);
    else if (it.mode === ONE) w.varint(it.symbols[0]!);
    else if (it.mode === SECTION) writeSection(w, t.codes, alphabetSize, opts);
    shares[i] = w.length - before;
    if (it.mode === SHARED || it.mode === OWN) {
      const table = it.mode === SHARED ? shared[it.table]! : it.own!.table;
      shares[i]! += bitsWith(it.symbols, it.counts, table) / 8;
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
  let sum = 0, elems = 0;
  for (let i = 0; i < items.length; i++) { sum += shares[i]!; elems += items[i]!.t.codes.length; }
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
  if (version !== GROUP_VERSION) throw new DecodeError(`rans group version ${version} is not supported (this build reads version ${GROUP_VERSION}). Use a matching quantforge.`);
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
  const pending: { codes: Uint32Array; table: DecodeTable }[] = [];
  const shapes: number[][] = [];
  try {
    for (let i = 0; i < count; i++) {
      const head = r.u8();
      if (head > 31) corrupt(`has an unknown tensor header ${head}`);
      const gk = head & 3, sparse = (head & 4) !== 0, mode = head >> 3;
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
      for (const p of pending) if (!decodeSegment(s, p.table, p.codes)) corrupt("has an inconsistent rANS payload");
      if (!closeSegments(s)) corrupt("has an inconsistent rANS payload");
    }
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`rans group could not be decoded (${(e as Error).message}). The container is corrupted; re-encode it.`, e);
  }
  if (r.remaining !== 0) corrupt(`has ${r.remaining} bytes left over`);
  return out;
}
