// The protobuf wire format the corpus's ONNX walker reads and rewrites (onnx-wire.ts): fields,
// varints and length-delimited values, nothing ONNX-specific.

/** One protobuf field of a message: its number, wire type and byte ranges. */
export interface Field {
  no: number;
  wire: number;
  /** Whole field (key + value) byte range. */
  start: number;
  end: number;
  /** Value range for length-delimited fields. */
  valueStart: number;
  valueEnd: number;
  varint: bigint;
}

/** The varint at `pos` and the position after it. */
export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error("truncated varint");
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw new Error("varint too long");
  }
}

/** Every field of the message `buf`, in order. */
export function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    let valueStart = pos;
    let valueEnd = pos;
    let varint = 0n;
    if (wire === 0) [varint, pos] = readVarint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      valueStart = p2;
      valueEnd = p2 + Number(len);
      pos = valueEnd;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error("truncated field");
    out.push({ no, wire, start, end: pos, valueStart, valueEnd, varint });
  }
  return out;
}

const utf8 = new TextDecoder();

/** A length-delimited field's value as UTF-8. */
export function str(buf: Uint8Array, f: Field): string {
  return utf8.decode(buf.subarray(f.valueStart, f.valueEnd));
}

/** `v` as varint bytes. */
export function encodeVarint(v: number): number[] {
  const out: number[] = [];
  let x = BigInt(v);
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return out;
}

/** Field `f` of `buf` with its value replaced by `value` (key, new length, value). */
export function withValue(buf: Uint8Array, f: Field, value: Uint8Array): Uint8Array[] {
  return [buf.subarray(f.start, f.valueStart - encodeVarint(f.valueEnd - f.valueStart).length), new Uint8Array(encodeVarint(value.length)), value];
}

/** The parts in one array. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
