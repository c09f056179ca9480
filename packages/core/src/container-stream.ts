import { ByteWriter } from "./bytes.js";
import { writeCodebook } from "./codebook-io.js";
import type { Codebook } from "./codebook.js";
import { CONTAINER_MAGIC, CONTAINER_VERSION } from "./container.js";
import { crc32 } from "./crc32.js";
import { InvalidQuantizedError } from "./errors.js";
import type { Coder, EncodedSize } from "./plugin.js";
import type { QuantizedTensor } from "./quantized.js";
import { shapeSize, type LayerKind, type TensorRole, type WeightTensor } from "./tensor.js";
import { assertQuantizedTensor } from "./validate.js";

const ROLES: readonly (TensorRole | undefined)[] = [undefined, "weight", "bias", "other"];
const KINDS: readonly (LayerKind | undefined)[] = [undefined, "dense", "conv2d", "other"];

function writeTags(w: ByteWriter, t: { role?: TensorRole; layer?: string; layerKind?: LayerKind }): void {
  w.u8(ROLES.indexOf(t.role)).str(t.layer ?? "").u8(KINDS.indexOf(t.layerKind));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds a `.qf` container (format version 1, byte-identical to what `encodeContainer` writes
 * for the same model) one tensor at a time, so a model larger than memory can be coded.
 *
 * The format puts every codebook before the first tensor, so the container cannot be written
 * front to back while tensors are still being quantized. Instead each `tensorRecord` /
 * `passthroughRecord` call returns that record's bytes for the caller to append to a spool
 * (a temp file), and at the end the file is assembled as
 *
 *   head() ‖ tensor records ‖ middle() ‖ passthrough records ‖ CRC-32 of all of that
 *
 * Memory stays at the codebooks (small parameter arrays) plus the record being coded.
 *
 * @example
 * ```ts
 * const enc = new ContainerEncoder(coder, { quantizer: "rtn" });
 * for (const t of tensors) spoolA.push(enc.tensorRecord(t, codebookOf(t)));
 * const bytes = assembleContainer([enc.head(), ...spoolA, enc.middle(), ...spoolB]);
 * ```
 */
export class ContainerEncoder {
  private readonly codebooks = new Map<string, { bytes: Uint8Array; users: number }>();
  private readonly tensorRows: { name: string; count: number; streamBytes: number; codebook: string }[] = [];
  private tensorRecordBytes = 0;
  private passthroughCount = 0;
  private passthroughBytes = 0;
  private finished = false;

  /**
   * @param coder - Codes each tensor's stream; its id is stored in the header.
   * @param metadata - JSON metadata stored in the header (must be deterministic).
   */
  constructor(private readonly coder: Coder, private readonly metadata: Record<string, unknown> = {}) {}

  /**
   * Codes one quantized tensor and registers its codebook (a codebook id seen before must come
   * with an identical codebook).
   *
   * @param stream - The coder's stream for `t`, when the caller already coded it (e.g. to verify
   *   the round trip); it must be exactly what this encoder's coder produces for `t`.
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
    stream ??= this.coder.encode(t, cb);
    const r = new ByteWriter(stream.length + 32);
    writeTags(r, t);
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
    w.str(t.name).varint(t.shape.length);
    for (const d of t.shape) w.varint(d);
    writeTags(w, t);
    w.f32array(t.data);
    const rec = w.finish();
    this.passthroughCount++;
    this.passthroughBytes += rec.length;
    return rec;
  }

  /** Magic, version, coder id, metadata, every codebook and the tensor count. Ends the recording. */
  head(): Uint8Array {
    this.finished = true;
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

  /** Exact sizes of the assembled container (same accounting as `encodeContainer`). */
  size(): EncodedSize {
    const head = this.head().length, middle = this.middle().length;
    const totalBytes = head + this.tensorRecordBytes + middle + this.passthroughBytes + 4;
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
 * Concatenates container parts (head, records, middle, records) and appends the CRC-32, for
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
