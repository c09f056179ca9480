import type { QuantizedTensor } from "@quantforge/core";
import { planTable, tableBytes, type Table } from "./table-impl.js";
import { varintBytes, type SectionOptions } from "./section-impl.js";
import { classWidth, type Slices } from "./classes-impl.js";

/*
 * How a group's tensors are coded (group-impl.ts): which shared tables exist and which mode each
 * tensor takes. Pure and deterministic.
 */

/** Tensor modes of a group (the head's mode field). */
export const SHARED = 0,
  OWN = 1,
  ONE = 2,
  SECTION = 3,
  CLASSED = 4;

/** One tensor of a group, with what the chooser decided for it. */
export interface Item {
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
  /** Its slices along one axis (dense tensors of rank ≥ 2 only), for mode CLASSED. */
  readonly slices: Slices | null;
  /** Mode CLASSED: the shared table of each slice. */
  classes: Uint8Array | null;
}

/** Bits of coding `counts` of `symbols` with table `t` (Infinity when a symbol is missing). */
export function bitsWith(symbols: Uint32Array, counts: Float64Array, t: Table): number {
  let bits = 0,
    j = 0;
  const ts = t.symbols;
  for (let i = 0; i < symbols.length; i++) {
    while (j < ts.length && ts[j]! < symbols[i]!) j++;
    if (j === ts.length || ts[j] !== symbols[i]) return Infinity;
    bits += counts[i]! * (t.scaleBits - Math.log2(t.freq[j]!));
  }
  return bits;
}

/** The shared table fitted to `users`, covering every symbol of `all` (unused ones get half a count). */
export function sharedTable(users: readonly { readonly symbols: Uint32Array; readonly counts: ArrayLike<number> }[], all: readonly Item[], maxScaleBits: number): { table: Table; bits: number } | null {
  const c = new Map<number, number>();
  for (const it of all) for (const s of it.symbols) c.set(s, 0.5);
  for (const it of users) for (let i = 0; i < it.symbols.length; i++) c.set(it.symbols[i]!, (c.get(it.symbols[i]!) === 0.5 ? 0 : c.get(it.symbols[i]!)!) + it.counts[i]!);
  const symbols = Uint32Array.from([...c.keys()].sort((a, b) => a - b));
  if (symbols.length < 2) return null;
  const counts = Float64Array.from(symbols, (s) => c.get(s)!);
  return planTable(symbols, counts, maxScaleBits);
}

/** Most shared tables per group. */
export const MAX_TABLES = 16;

interface Choice {
  cost: number;
  tables: Table[];
  modes: number[];
  which: number[];
}

/** Each candidate's cheapest option among `tables` (index byte counted) and its own. */
function assign(cands: readonly Item[], tables: Table[]): Choice {
  const idxBits = tables.length > 1 ? 8 * varintBytes(tables.length - 1) : 0;
  let cost = 0;
  for (const t of tables) cost += 8 * tableBytes(t.symbols, t.freq);
  const modes: number[] = [],
    which: number[] = [];
  for (const it of cands) {
    let m = it.alt.mode,
      c = it.alt.bits,
      j = -1;
    for (let k = 0; k < tables.length; k++) {
      const b = bitsWith(it.symbols, it.counts, tables[k]!) + idxBits;
      if (b < c) {
        c = b;
        m = SHARED;
        j = k;
      }
    }
    modes.push(m);
    which.push(j);
    cost += c;
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
export function choose(items: Item[], opts: SectionOptions): Table[] {
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
  cands.forEach((it, i) => {
    it.mode = best.modes[i]!;
    it.table = best.which[i]!;
  });
  return best.tables;
}

/** Dense code lengths in bits of every symbol below `alphabetSize` under `t` (Infinity when absent). */
function lengths(t: Table, alphabetSize: number): Float64Array {
  const out = new Float64Array(alphabetSize).fill(Infinity);
  for (let i = 0; i < t.symbols.length; i++) out[t.symbols[i]!] = t.scaleBits - Math.log2(t.freq[i]!);
  return out;
}

interface Decision extends Choice {
  classes: (Uint8Array | null)[];
}

/** Like {@link assign}, with mode CLASSED (each slice on its cheapest table) as one more option. */
function assignClassed(cands: readonly Item[], tables: Table[], alphabetSize: number): Decision {
  const base = assign(cands, tables);
  const T = tables.length;
  const classes: (Uint8Array | null)[] = cands.map(() => null);
  if (T < 2) return { ...base, classes };
  const lens = tables.map((t) => lengths(t, alphabetSize));
  const width = classWidth(T);
  let cost = base.cost;
  for (const [i, it] of cands.entries()) {
    const s = it.slices;
    if (!s) continue;
    const current = base.modes[i] === SHARED ? bitsWith(it.symbols, it.counts, tables[base.which[i]!]!) + 8 * varintBytes(T - 1) : it.alt.bits;
    let bits = 8 * varintBytes(s.axis) + s.count * width;
    const cl = new Uint8Array(s.count);
    for (let c = 0; c < s.count && bits < current; c++) {
      const { symbols, counts } = s.hist[c]!;
      let best = Infinity,
        bk = 0;
      for (let k = 0; k < T; k++) {
        const len = lens[k]!;
        let b = 0;
        for (let j = 0; j < symbols.length; j++) b += counts[j]! * len[symbols[j]!]!;
        if (b < best) {
          best = b;
          bk = k;
        }
      }
      cl[c] = bk;
      bits += best;
    }
    if (bits < current) {
      cost += bits - current;
      base.modes[i] = CLASSED;
      base.which[i] = -1;
      classes[i] = cl;
    }
  }
  return { ...base, cost, classes };
}

/** Refits every table to what uses it (whole tensors and slices) and reassigns; unused tables are dropped. */
function refitClassed(cands: readonly Item[], d: Decision, maxScaleBits: number, alphabetSize: number): Decision {
  const users: { symbols: Uint32Array; counts: Float64Array }[][] = d.tables.map(() => []);
  for (const [i, it] of cands.entries()) {
    if (d.modes[i] === SHARED) users[d.which[i]!]!.push(it);
    else if (d.modes[i] === CLASSED) d.classes[i]!.forEach((k, c) => users[k]!.push(it.slices!.hist[c]!));
  }
  const tables: Table[] = [];
  for (const u of users) {
    const t = u.length > 0 ? sharedTable(u, cands, maxScaleBits) : null;
    if (t) tables.push(t.table);
  }
  return assignClassed(cands, tables, alphabetSize);
}

/**
 * Tries mode CLASSED: for 2, 3, … tables (up to 16, until two counts in a row gain nothing), initialised on quantiles of the per-code entropy of every
 * slice (and of every tensor without slices), refitted Lloyd-style; keeps the cheapest in bits,
 * counting tables, class indices and heads. Returns the tables and sets each candidate's mode,
 * table and classes when that beats `tables` (the plain choice) and some tensor is CLASSED;
 * else null and nothing changes. Deterministic.
 */
export function chooseClassed(cands: readonly Item[], plain: Table[], opts: SectionOptions, alphabetSize: number): Table[] | null {
  if (!cands.some((it) => it.slices)) return null;
  let best = assignClassed(cands, plain, alphabetSize);
  const units: { symbols: Uint32Array; counts: Float64Array; n: number; h: number }[] = [];
  for (const it of cands) {
    for (const u of it.slices ? it.slices.hist : [it]) {
      let n = 0,
        h = 0;
      for (const c of u.counts) n += c;
      for (const c of u.counts) h -= c * Math.log2(c / n);
      if (n > 0) units.push({ symbols: u.symbols, counts: u.counts, n, h: h / n });
    }
  }
  units.sort((a, b) => a.h - b.h);
  const total = units.reduce((a, u) => a + u.n, 0);
  // More tables rarely pay once two table counts in a row did not: stop there (encode time grows
  // with tables × slices).
  let misses = 0;
  for (let T = 2; T <= MAX_TABLES && misses < 2; T++) {
    const groups: (typeof units)[] = Array.from({ length: T }, () => []);
    let seen = 0;
    for (const u of units) {
      groups[Math.min(T - 1, Math.floor((seen / total) * T))]!.push(u);
      seen += u.n;
    }
    const tables = groups.map((g) => (g.length > 0 ? sharedTable(g, cands, opts.maxScaleBits)?.table : undefined)).filter((t): t is Table => !!t);
    let cur = assignClassed(cands, tables, alphabetSize);
    for (let round = 0; round < 4; round++) {
      const next = refitClassed(cands, cur, opts.maxScaleBits, alphabetSize);
      if (next.cost >= cur.cost) break;
      cur = next;
    }
    if (cur.cost < best.cost) {
      best = cur;
      misses = 0;
    } else misses++;
  }
  if (!best.modes.includes(CLASSED)) return null;
  cands.forEach((it, i) => {
    it.mode = best.modes[i]!;
    it.table = best.which[i]!;
    it.classes = best.classes[i]!;
  });
  return best.tables;
}
