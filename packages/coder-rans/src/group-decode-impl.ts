import { DecodeError, type DecodeLimits, type Grouping, type QuantizedTensor } from "@quantforge/core";
import { ByteReader, MAX_DIMS, checkedShapeSize } from "@quantforge/core/format";
import { readGaps } from "./gaps-impl.js";
import { buildDecodeTable, type DecodeTable } from "./decode-impl.js";
import { closeSegments, decodeSegment, openSegments } from "./segments-impl.js";
import { readSection } from "./section-impl.js";
import { MAX_ELEMENTS } from "./stream-impl.js";
import { readTable } from "./table-impl.js";
import { readClasses, scatterSlice } from "./classes-impl.js";
import { CLASSED, MAX_TABLES, ONE, OWN, SECTION, SHARED } from "./choose-impl.js";
import { GROUP_VERSION } from "./group-impl.js";

// Decoding of a rANS group (the layout is described in group-impl.ts, which encodes it).

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
