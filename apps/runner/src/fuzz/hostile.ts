/**
 * Builders of hostile but checksum-valid inputs (issue 16): `.qf` containers, coder streams and
 * safetensors files whose counts, dims, flags and values are chosen by the caller. Shared by the
 * fuzz suite, the named regression tests and `bench/hostile-cases.ts`. Test-only (excluded from
 * the build).
 */
import type { Codebook, QuantizedTensor } from "@quantforge/core";
import { ByteReader, ByteWriter, CONTAINER_MAGIC, crc32, writeCodebook } from "@quantforge/core/format";
import { encodeFixed } from "@quantforge/coder-fixed";
import { encodeHuffmanStream } from "@quantforge/coder-huffman";

/** Appends the CRC-32 of `body`. */
export function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

/** One passthrough record of a container. */
export interface RawPassthrough {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Parts of a `.qf` container, serialised as they are (no validation). */
export interface RawContainer {
  readonly coder?: string;
  /** The metadata text (not necessarily a JSON object). */
  readonly metadata?: string;
  readonly flags?: number;
  readonly codebooks?: readonly Uint8Array[];
  readonly streams?: readonly Uint8Array[];
  readonly passthrough?: readonly RawPassthrough[];
}

/** Serialises a container with a valid CRC from raw parts. */
export function rawContainer(c: RawContainer): Uint8Array {
  const w = new ByteWriter(256);
  for (let i = 0; i < 4; i++) w.u8(CONTAINER_MAGIC.charCodeAt(i));
  w.u16(1)
    .u16(c.flags ?? 0)
    .str(c.coder ?? "fixed")
    .str(c.metadata ?? "{}");
  w.varint(c.codebooks?.length ?? 0);
  for (const cb of c.codebooks ?? []) w.varint(cb.length).bytes(cb);
  w.varint(c.streams?.length ?? 0);
  for (const s of c.streams ?? []) w.u8(0).str("").u8(0).varint(s.length).bytes(s);
  w.varint(c.passthrough?.length ?? 0);
  for (const p of c.passthrough ?? []) {
    w.str(p.name).varint(p.shape.length);
    for (const d of p.shape) w.varint(d);
    w.u8(0).str("").u8(0).f32array(p.data);
  }
  return withCrc(w.finish());
}

/** A codebook record. */
export function codebookBytes(cb: Codebook): Uint8Array {
  const w = new ByteWriter(64);
  writeCodebook(w, cb);
  return w.finish();
}

/** A one-level codebook `c` (every code 0 means 0.0). */
export const ONE_LEVEL: Codebook = { kind: "levels", id: "c", levels: Float32Array.of(0) };

/**
 * A Huffman stream whose one-symbol table codes `count` zero codes in zero bits: a valid stream of
 * a few dozen bytes that declares a tensor of `count` elements.
 */
export function huffmanBombStream(count: number, name = "w"): Uint8Array {
  const small: QuantizedTensor = { name, shape: [4], codebook: "c", grouping: { kind: "tensor" }, codes: new Uint32Array(4) };
  const s = encodeHuffmanStream(small, 1, 20);
  // Re-emit the header with the new shape and count; the body (the table alone) is unchanged.
  const r = new ByteReader(s, 6, s.length - 4);
  const nm = r.str(),
    cb = r.str(),
    alphabet = r.varint(),
    nd = r.varint();
  for (let i = 0; i < nd; i++) r.varint();
  const gk = r.u8(),
    gp = r.varint();
  r.varint(); // count
  const bodyBits = r.varint();
  const body = s.subarray(r.pos, s.length - 4);
  const w = new ByteWriter(64);
  for (const b of s.subarray(0, 6)) w.u8(b);
  w.str(nm).str(cb).varint(alphabet).varint(1).varint(count).u8(gk).varint(gp).varint(count).varint(bodyBits).bytes(body);
  return withCrc(w.finish());
}

/** A sparse fixed-coder stream of shape `[n]` with 0 survivors: no payload at all. */
export function sparseFixedBombStream(n: number, name = "w"): Uint8Array {
  const w = new ByteWriter(64);
  for (const ch of "QFFX") w.u8(ch.charCodeAt(0));
  w.u8(1).u8(1).str(name).str("c").varint(1).varint(n).u8(0).u8(1).varint(0).u8(0);
  return withCrc(w.finish());
}

/** A valid fixed-coder stream of a small tensor (`codes.length` elements, one-level codebook). */
export function smallFixedStream(name = "w", shape: readonly number[] = [4]): Uint8Array {
  let n = 1;
  for (const d of shape) n *= d;
  return encodeFixed({ name, shape, codebook: "c", grouping: { kind: "tensor" }, codes: new Uint32Array(n) }, ONE_LEVEL);
}

/** A safetensors file from a header object and a data section (no validation). */
export function rawSafetensors(header: Record<string, unknown>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8 !== 0) json += " ";
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A safetensors file of `count` one-element F32 tensors `t0`, `t1`, … with distinct values. */
export function manyTensorsSafetensors(count: number): Uint8Array {
  const header: Record<string, unknown> = {};
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    header[`t${i}`] = { dtype: "F32", shape: [1], data_offsets: [i * 4, i * 4 + 4] };
    data[i] = ((i % 97) - 48) / 64;
  }
  return rawSafetensors(header, new Uint8Array(data.buffer));
}

/** Appends `b` to `out` (a loop: an argument spread overflows the stack on large payloads). */
function append(out: number[], b: ArrayLike<number>): void {
  for (let i = 0; i < b.length; i++) out.push(b[i]!);
}

/** Protobuf wire helpers for hand-assembled ONNX models. */
function pbVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}
function pbLen(field: number, body: Uint8Array | number[]): number[] {
  const out: number[] = [];
  pbVarint(out, (field << 3) | 2);
  pbVarint(out, body.length);
  for (const b of body) out.push(b);
  return out;
}
function pbInt(field: number, v: number): number[] {
  const out: number[] = [];
  pbVarint(out, field << 3);
  pbVarint(out, v);
  return out;
}
const utf8 = (s: string) => new TextEncoder().encode(s);

/** One initializer of {@link onnxModel}. */
export interface OnnxInit {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType?: number;
  readonly raw?: Uint8Array;
  /** Stored externally at this `location` (offset, length). */
  readonly external?: { readonly location: string; readonly offset?: number; readonly length?: number };
}

/** A minimal ONNX ModelProto (IR 7, opset 13) holding only `inits` as graph initializers. */
export function onnxModel(inits: readonly OnnxInit[]): Uint8Array {
  const graph: number[] = [];
  for (const i of inits) {
    const t: number[] = [];
    for (const d of i.dims) append(t, pbInt(1, d));
    append(t, pbInt(2, i.dataType ?? 1));
    append(t, pbLen(8, utf8(i.name)));
    if (i.raw) append(t, pbLen(9, i.raw));
    if (i.external) {
      const kv = (k: string, v: string) => pbLen(13, [...pbLen(1, utf8(k)), ...pbLen(2, utf8(v))]);
      append(t, kv("location", i.external.location));
      if (i.external.offset !== undefined) append(t, kv("offset", String(i.external.offset)));
      if (i.external.length !== undefined) append(t, kv("length", String(i.external.length)));
      append(t, pbInt(14, 1));
    }
    append(graph, pbLen(5, t));
  }
  append(graph, pbLen(2, utf8("g")));
  return Uint8Array.from([...pbInt(1, 7), ...pbLen(7, graph), ...pbLen(8, pbInt(2, 13))]);
}
