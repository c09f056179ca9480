import { ByteWriter } from "./bytes.js";
import { writeCodebook } from "./codebook-io.js";
import type { Codebook } from "./codebook.js";
import { CONTAINER_MAGIC, CONTAINER_VERSION } from "./container-read.js";
import { COMPACT_CONTAINER_VERSION, compactOrderOf, writeFrontCoded } from "./container-v2.js";
import { tagsByte, writeTagsV1 } from "./container-tags.js";
import { crc32 } from "./crc32.js";
import { InvalidQuantizedError } from "./errors.js";
import type { Coder, EncodedSize } from "./plugin.js";
import type { QuantizedTensor } from "./quantized.js";
import { shapeSize, type WeightTensor } from "./tensor.js";
import { assertQuantizedTensor } from "./validate.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Options of {@link ContainerEncoder}. */
export interface ContainerEncoderOptions {
  /**
   * 2 (default): the compact layout, its string table in order of first appearance (a record
   * must know its name's index before the other names are seen), nameless coder streams and
   * `tensorOrder` as indices. 1: the classic layout, byte-identical to `encodeContainer(…, { version: 1 })`.
   * Version 3 (grouped) needs every tensor of a codebook at once, which a streaming writer does
   * not have.
   */
  readonly version?: 1 | 2;
}

/**
 * Builds a `.qf` container (format version 2 by default, or 1) one tensor at a time, so a model
 * larger than memory can be coded.
 *
 * The format puts every codebook (and, in version 2, the string table) before the first tensor,
 * so the container cannot be written front to back while tensors are still being quantized.
 * Instead each `tensorRecord` / `passthroughRecord` call returns that record's bytes for the
 * caller to append to a spool (a temp file), and at the end the file is assembled as
 *
 *   head() ‖ tensor records ‖ middle() ‖ passthrough records ‖ tail() ‖ CRC-32 of all of that
 *
 * Memory stays at the codebooks (small parameter arrays) plus the record being coded.
 *
 * @example
 * ```ts
 * const enc = new ContainerEncoder(coder, { quantizer: "rtn" });
 * for (const t of tensors) spoolA.push(enc.tensorRecord(t, codebookOf(t)));
 * const bytes = assembleContainer([enc.head(), ...spoolA, enc.middle(), ...spoolB, enc.tail()]);
 * ```
 */
export class ContainerEncoder {
  private readonly codebooks = new Map<string, { bytes: Uint8Array; users: number }>();
  private readonly tensorRows: { name: string; count: number; streamBytes: number; codebook: string }[] = [];
  private tensorRecordBytes = 0;
  private passthroughCount = 0;
  private passthroughBytes = 0;
  private finished = false;
  private readonly version: 1 | 2;
  /** Version 2: strings in order of first appearance, and the stored names in record order. */
  private readonly strings = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly ptNames: string[] = [];
  private compact: { head: Uint8Array; tail: Uint8Array } | null = null;

  /**
   * @param coder - Codes each tensor's stream; its id is stored in the header.
   * @param metadata - JSON metadata stored in the header (must be deterministic).
   * @param options - Container version (2 unless asked for 1).
   */
  constructor(
    private readonly coder: Coder,
    private readonly metadata: Record<string, unknown> = {},
    options: ContainerEncoderOptions = {},
  ) {
    this.version = options.version ?? COMPACT_CONTAINER_VERSION;
  }

  private stringIndex(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.strings.size;
      this.strings.set(s, i);
    }
    return i;
  }

  /**
   * Codes one quantized tensor and registers its codebook (a codebook id seen before must come
   * with an identical codebook).
   *
   * @param stream - The coder's stream for `t`, when the caller already coded it (e.g. to verify
   *   the round trip); it must be exactly what this encoder's coder produces for `t`. Version 2
   *   stores nameless streams: it renames this one when the coder has `renameStream`, else it
   *   codes `t` again without its name.
   * @returns The tensor's record (tags, length, coder stream), to be spooled in call order.
   * @throws {InvalidQuantizedError} When the tensor does not fit its codebook, or a codebook id
   *   is reused for a different codebook.
   */
  tensorRecord(t: QuantizedTensor, cb: Codebook, stream?: Uint8Array): Uint8Array {
    this.open();
    if (cb.id !== t.codebook) throw new InvalidQuantizedError(`tensor "${t.name}" refers to codebook "${t.codebook}" but "${cb.id}" was given.`);
    assertQuantizedTensor(t, cb);
    const w = new ByteWriter(64);
    writeCodebook(w, cb);
    const cbBytes = w.finish();
    const seen = this.codebooks.get(cb.id);
    if (seen && !sameBytes(seen.bytes, cbBytes)) throw new InvalidQuantizedError(`two different codebooks share the id "${cb.id}". Codebook ids must be unique.`);
    const count = shapeSize(t.shape);
    if (seen) seen.users += count;
    else this.codebooks.set(cb.id, { bytes: cbBytes, users: count });
    let r: ByteWriter;
    if (this.version === COMPACT_CONTAINER_VERSION) {
      // A stream coded by name (the caller's) only needs renaming, when the coder can.
      stream = stream && this.coder.renameStream ? this.coder.renameStream(stream, "", "") : this.coder.encode({ ...t, name: "", codebook: "" }, { ...cb, id: "" });
      r = new ByteWriter(stream.length + 32);
      const ci = [...this.codebooks.keys()].indexOf(cb.id);
      r.u8(tagsByte(t))
        .varint(this.stringIndex(t.name))
        .varint(t.layer ? this.stringIndex(t.layer) + 1 : 0)
        .varint(ci);
      this.names.push(t.name);
    } else {
      stream ??= this.coder.encode(t, cb);
      r = new ByteWriter(stream.length + 32);
      writeTagsV1(r, t);
    }
    r.varint(stream.length).bytes(stream);
    const rec = r.finish();
    this.tensorRows.push({ name: t.name, count, streamBytes: stream.length, codebook: cb.id });
    this.tensorRecordBytes += rec.length;
    return rec;
  }

  /**
   * Serialises one float32 tensor kept as it is.
   *
   * @returns The record, to be spooled (after every tensor record) in call order.
   */
  passthroughRecord(t: WeightTensor): Uint8Array {
    this.open();
    if (t.data.length !== shapeSize(t.shape)) throw new InvalidQuantizedError(`passthrough tensor "${t.name}" has the wrong length.`);
    const w = new ByteWriter(t.data.length * 4 + 64);
    if (this.version === COMPACT_CONTAINER_VERSION) {
      w.varint(this.stringIndex(t.name))
        .u8(tagsByte(t))
        .varint(t.layer ? this.stringIndex(t.layer) + 1 : 0)
        .varint(t.shape.length);
      for (const d of t.shape) w.varint(d);
      this.ptNames.push(t.name);
    } else {
      w.str(t.name).varint(t.shape.length);
      for (const d of t.shape) w.varint(d);
      writeTagsV1(w, t);
    }
    w.f32array(t.data);
    const rec = w.finish();
    this.passthroughCount++;
    this.passthroughBytes += rec.length;
    return rec;
  }

  /**
   * Magic, version, coder id, metadata, (version 2: the string table,) every codebook and the
   * tensor count. Ends the recording.
   */
  head(): Uint8Array {
    this.finished = true;
    if (this.version === COMPACT_CONTAINER_VERSION) return this.compactParts().head;
    const w = new ByteWriter(1 << 12);
    for (let i = 0; i < 4; i++) w.u8(CONTAINER_MAGIC.charCodeAt(i));
    w.u16(CONTAINER_VERSION).u16(0).str(this.coder.id).str(JSON.stringify(this.metadata));
    w.varint(this.codebooks.size);
    for (const { bytes } of this.codebooks.values()) w.varint(bytes.length).bytes(bytes);
    w.varint(this.tensorRows.length);
    return w.finish();
  }

  /** The passthrough count that separates the tensor records from the passthrough records. */
  middle(): Uint8Array {
    this.finished = true;
    return new ByteWriter(16).varint(this.passthroughCount).finish();
  }

  /** What follows the passthrough records: version 2's tensor order table; nothing in version 1. */
  tail(): Uint8Array {
    this.finished = true;
    return this.version === COMPACT_CONTAINER_VERSION ? this.compactParts().tail : new Uint8Array(0);
  }

  private compactParts(): { head: Uint8Array; tail: Uint8Array } {
    if (this.compact) return this.compact;
    const { metadata, order } = compactOrderOf([...this.names, ...this.ptNames], this.metadata);
    const w = new ByteWriter(1 << 12);
    for (let i = 0; i < 4; i++) w.u8(CONTAINER_MAGIC.charCodeAt(i));
    w.u16(COMPACT_CONTAINER_VERSION).u16(0).str(this.coder.id).str(JSON.stringify(metadata));
    writeFrontCoded(w, [...this.strings.keys()]);
    w.varint(this.codebooks.size);
    for (const { bytes } of this.codebooks.values()) w.varint(bytes.length).bytes(bytes);
    w.varint(this.tensorRows.length);
    const t = new ByteWriter(16);
    t.varint(order ? order.length : 0);
    for (const i of order ?? []) t.varint(i);
    this.compact = { head: w.finish(), tail: t.finish() };
    return this.compact;
  }

  /** Exact sizes of the assembled container (same accounting as `encodeContainer`). */
  size(): EncodedSize {
    const head = this.head().length,
      middle = this.middle().length,
      tail = this.tail().length;
    const totalBytes = head + this.tensorRecordBytes + middle + this.passthroughBytes + tail + 4;
    let codebookBytes = 0;
    for (const { bytes } of this.codebooks.values()) codebookBytes += bytes.length;
    let streamTotal = 0;
    const tensors = this.tensorRows.map((r) => {
      streamTotal += r.streamBytes;
      const cb = this.codebooks.get(r.codebook)!;
      const share = cb.bytes.length * (r.count / Math.max(1, cb.users));
      return { name: r.name, count: r.count, streamBytes: r.streamBytes, bytes: r.streamBytes + share };
    });
    return {
      totalBytes,
      headerBytes: totalBytes - codebookBytes - streamTotal - this.passthroughBytes,
      codebookBytes,
      passthroughBytes: this.passthroughBytes,
      tensors,
    };
  }

  private open(): void {
    if (this.finished) throw new InvalidQuantizedError("the container head was already produced; add every tensor and passthrough record before calling head() or middle().");
  }
}

/**
 * Concatenates container parts (head, records, middle, records, tail) and appends the CRC-32, for
 * containers small enough to assemble in memory (tests, small models). Large ones are assembled
 * on disk by streaming the same parts through `crc32(…, crc)`.
 */
export function assembleContainer(parts: readonly Uint8Array[]): Uint8Array {
  let n = 4;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  let crc = 0;
  for (const p of parts) {
    out.set(p, o);
    crc = crc32(p, 0, p.length, crc);
    o += p.length;
  }
  new DataView(out.buffer).setUint32(o, crc, true);
  return out;
}
