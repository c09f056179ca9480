import protobuf from "protobufjs";
import { FormatError } from "@quantforge/core";
import { concatBytes } from "@quantforge/core/format";

/** One protobuf field occurrence on the wire: its number and byte ranges. */
export interface WireField {
  readonly field: number;
  readonly wire: number;
  /** Offset of the tag. */
  readonly start: number;
  /** Offset of the value (after the length prefix for length-delimited fields). */
  readonly valueStart: number;
  /** Offset one past the field. */
  readonly end: number;
}

/** The error for a file that is not an ONNX model. */
export function malformed(where: string, what: string, cause?: unknown): FormatError {
  return new FormatError(`${where} is not a valid ONNX model: ${what}. Re-export it (e.g. torch.onnx.export or onnx.save).`, cause);
}

/** Lists the fields of one protobuf message on the wire; malformed input is a FormatError. */
export function scanFields(buf: Uint8Array, start: number, end: number, where: string): WireField[] {
  const r = protobuf.Reader.create(buf.subarray(start, end));
  const out: WireField[] = [];
  try {
    while (r.pos < r.len) {
      const tagStart = r.pos;
      const tag = r.uint32();
      const field = tag >>> 3,
        wire = tag & 7;
      if (field === 0) throw new Error(`field number 0 at byte ${start + tagStart}`);
      let valueStart = r.pos;
      if (wire === 2) {
        const len = r.uint32();
        valueStart = r.pos;
        if (len > r.len - r.pos) throw new Error(`a length of ${len} runs past the end at byte ${start + valueStart}`);
        r.skip(len);
      } else if (wire === 0 || wire === 1 || wire === 5) {
        r.skipType(wire);
      } else {
        throw new Error(`unsupported wire type ${wire} at byte ${start + tagStart}`);
      }
      out.push({ field, wire, start: start + tagStart, valueStart: start + valueStart, end: start + r.pos });
    }
  } catch (e) {
    throw malformed(where, `the protobuf encoding is broken (${(e as Error).message})`, e);
  }
  return out;
}

/** Reads a length-delimited field's value as UTF-8 text. */
export function wireString(buf: Uint8Array, f: WireField): string {
  return new TextDecoder().decode(buf.subarray(f.valueStart, f.end));
}

/** Tag and length prefix of a length-delimited field. */
export function lenHeader(field: number, len: number): Uint8Array {
  const out: number[] = [];
  for (let v = ((field << 3) | 2) >>> 0; ; v >>>= 7) {
    if (v < 0x80) {
      out.push(v);
      break;
    }
    out.push((v & 0x7f) | 0x80);
  }
  for (let v = len; ; v = Math.floor(v / 128)) {
    if (v < 0x80) {
      out.push(v);
      break;
    }
    out.push((v % 128) | 0x80);
  }
  return Uint8Array.from(out);
}

/** A whole length-delimited field: header + body. */
export function lenField(field: number, body: Uint8Array): Uint8Array {
  return concatBytes([lenHeader(field, body.length), body]);
}

/** Concatenates byte arrays (core's, exported here as before). */
export { concatBytes };

/**
 * One change to a protobuf file: the bytes `[start, end)` become `bytes` (an insertion when
 * `start === end`, a removal when `bytes` is empty). `containers` are the length-delimited fields
 * that enclose the range, outermost first; their length prefixes are rewritten.
 */
export interface WireEdit {
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
  readonly containers: readonly WireField[];
}

/**
 * Applies non-overlapping edits anywhere in a nested protobuf message and re-encodes the length
 * prefix of every enclosing field, so one TensorProto deep inside an `If` branch can change
 * size while every other byte of the file is copied as it is.
 *
 * Iterative by design (a hostile file can nest subgraphs arbitrarily deep): each container's
 * new length is its old length plus the size changes of the edits inside it and of the headers
 * of the containers nested in it, computed deepest first by walking parent links.
 */
export function spliceWire(buf: Uint8Array, edits: readonly WireEdit[]): Uint8Array {
  interface Box {
    readonly f: WireField;
    readonly parent: number;
    readonly depth: number;
    delta: number;
    header?: Uint8Array;
  }
  const boxes = new Map<number, Box>();
  for (const e of edits) {
    let parent = -1;
    e.containers.forEach((f, depth) => {
      if (!boxes.has(f.start)) boxes.set(f.start, { f, parent, depth, delta: 0 });
      parent = f.start;
    });
    const d = e.bytes.length - (e.end - e.start);
    for (const f of e.containers) boxes.get(f.start)!.delta += d;
  }
  const order = [...boxes.values()].sort((a, b) => b.depth - a.depth || a.f.start - b.f.start);
  for (const b of order) {
    const h = lenHeader(b.f.field, b.f.end - b.f.valueStart + b.delta);
    b.header = h;
    const hd = h.length - (b.f.valueStart - b.f.start);
    if (hd === 0) continue;
    for (let p = b.parent; p !== -1; p = boxes.get(p)!.parent) boxes.get(p)!.delta += hd;
  }
  const all: { start: number; end: number; bytes: Uint8Array; seq: number }[] = [];
  edits.forEach((e, seq) => all.push({ start: e.start, end: e.end, bytes: e.bytes, seq }));
  for (const b of boxes.values()) all.push({ start: b.f.start, end: b.f.valueStart, bytes: b.header!, seq: -1 });
  // Insertions at a position come before the header or edit that starts there; equal insertions keep their order.
  all.sort((a, b) => a.start - b.start || a.end - a.start - (b.end - b.start) || a.seq - b.seq);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const e of all) {
    if (e.start < at) throw new Error(`overlapping wire edits at byte ${e.start}`);
    parts.push(buf.subarray(at, e.start), e.bytes);
    at = e.end;
  }
  parts.push(buf.subarray(at));
  return concatBytes(parts);
}
