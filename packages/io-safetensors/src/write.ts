import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { tempPathFor, trackTemp } from "@quantforge/core/node";
import { IoError, ShapeMismatchError, assertTensorShape, shapeSize, type WeightSet, type WeightTensor } from "@quantforge/core";
import { encodeSafetensorsHeader, type SafetensorsWriterEntry } from "./header-encode.js";
import type { SafetensorsHeader } from "./header.js";
import { HOST_LITTLE_ENDIAN, MAX_IO_CHUNK, swapBytes, toIoError, writeFully } from "./io-impl.js";

/** Options of {@link saveSafetensors} and {@link createSafetensorsWriter}. */
export interface WriteSafetensorsOptions {
  /** String → string map stored as `__metadata__` (omitted when absent). */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * `fsync` the temp file before renaming it, so a crash cannot leave a renamed but empty file.
   * @default true
   */
  readonly fsync?: boolean;
}

/**
 * Writes one safetensors file tensor by tensor. The layout (header and every offset) is fixed
 * at creation from the entries, so nothing is buffered: each `write`/`writeChunk` goes straight
 * to a temp file beside the target, and `close` renames it into place. On any error — a tensor
 * that does not match its entry, a failed write, closing early — the temp file is removed and
 * the target path is left untouched; the writer is then unusable. Calls are queued, so they may
 * be issued without awaiting each one, but a tensor's data must not change until its call settles.
 */
export interface SafetensorsWriter {
  /** Final path of the file. */
  readonly path: string;
  /** The planned layout: header size, file size and every tensor's absolute offsets. */
  readonly layout: SafetensorsHeader;
  /**
   * Writes the next tensor in full. Its name, shape and data length must match the next entry.
   * @throws {ShapeMismatchError} On a mismatch (the writer aborts).
   * @throws {IoError} When the write fails or the writer is no longer open.
   */
  write(tensor: WeightTensor): Promise<void>;
  /**
   * Appends `values` to the current tensor (row-major), for tensors too large to hold at once.
   * A chunk may not run past the end of the current tensor; the next tensor starts when the
   * current one is full.
   * @throws {ShapeMismatchError} When the chunk exceeds the current tensor or no tensor is left.
   * @throws {IoError} When the write fails or the writer is no longer open.
   */
  writeChunk(values: Float32Array): Promise<void>;
  /**
   * Finishes the file: checks every tensor was written, syncs, and renames the temp file onto
   * `path` (replacing an existing file atomically).
   * @returns The layout of the written file.
   * @throws {ShapeMismatchError} When tensors are missing (the writer aborts).
   * @throws {IoError} When syncing or renaming fails.
   */
  close(): Promise<SafetensorsHeader>;
  /** Gives up: closes and removes the temp file. Safe to call at any time, more than once. */
  abort(): Promise<void>;
}

type State = "open" | "closed" | "aborted";

class Writer implements SafetensorsWriter {
  private state: State = "open";
  private tail: Promise<unknown> = Promise.resolve();
  private index = 0; // current tensor
  private filled = 0; // values of the current tensor already written
  private readonly counts: number[];
  private scratch: Uint8Array | undefined;

  constructor(
    readonly path: string,
    readonly layout: SafetensorsHeader,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly fsync: boolean,
    private readonly untrack: () => void,
  ) {
    this.counts = layout.tensors.map((t) => shapeSize(t.shape));
  }

  /** Empty tensors need no data: chunked writing and `close` step past them without a call. */
  private skipEmpty(): void {
    while (this.index < this.counts.length && this.filled === this.counts[this.index]) {
      this.index++;
      this.filled = 0;
    }
  }

  /** Serialises calls; the first failure aborts the writer and later calls refuse to run. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      if (this.state !== "open") throw new IoError(`the safetensors writer for "${this.path}" is ${this.state}. Create a new writer.`);
      try {
        return await fn();
      } catch (e) {
        await this.discard();
        throw e;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async discard(): Promise<void> {
    if (this.state === "aborted" || this.state === "closed") return;
    this.state = "aborted";
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
    this.untrack();
  }

  /** Writes float32 values little-endian at the current position of the current tensor. */
  private async put(values: Float32Array): Promise<void> {
    const t = this.layout.tensors[this.index]!;
    let pos = t.begin + this.filled * 4;
    try {
      if (HOST_LITTLE_ENDIAN) {
        // Zero-copy: the float32 bytes are already in file order.
        await writeFully(this.fh, new Uint8Array(values.buffer, values.byteOffset, values.byteLength), pos);
      } else {
        this.scratch ??= new Uint8Array(Math.min(MAX_IO_CHUNK, 8 * 1024 * 1024));
        const per = this.scratch.length >> 2;
        for (let i = 0; i < values.length; i += per) {
          const k = Math.min(per, values.length - i);
          const view = this.scratch.subarray(0, k * 4);
          view.set(new Uint8Array(values.buffer, values.byteOffset + i * 4, k * 4));
          swapBytes(view, 4);
          await writeFully(this.fh, view, pos);
          pos += k * 4;
        }
      }
    } catch (e) {
      throw toIoError(e, "write", this.path);
    }
    this.filled += values.length;
    if (this.filled === this.counts[this.index]) {
      this.index++;
      this.filled = 0;
    }
  }

  write(tensor: WeightTensor): Promise<void> {
    return this.enqueue(async () => {
      // A pending empty tensor may be written explicitly or passed over.
      while (this.filled === 0 && this.counts[this.index] === 0 && this.layout.tensors[this.index]!.name !== tensor.name) this.index++;
      const t = this.layout.tensors[this.index];
      if (t === undefined) throw new ShapeMismatchError(`tensor "${tensor.name}" was written to "${this.path}" after all ${this.counts.length} planned tensors. Plan every tensor when creating the writer.`);
      if (this.filled !== 0) throw new ShapeMismatchError(`tensor "${tensor.name}" was written while "${t.name}" is half written by writeChunk. Finish "${t.name}" first.`);
      if (tensor.name !== t.name) throw new ShapeMismatchError(`expected tensor "${t.name}" next in "${this.path}" but got "${tensor.name}". Write tensors in the planned order.`);
      if (tensor.shape.length !== t.shape.length || tensor.shape.some((d, i) => d !== t.shape[i])) {
        throw new ShapeMismatchError(`tensor "${t.name}" has shape [${tensor.shape.join(", ")}] but was planned as [${t.shape.join(", ")}]. Plan the shape it has.`);
      }
      if (!(tensor.data instanceof Float32Array)) throw new ShapeMismatchError(`tensor "${t.name}" data is not a Float32Array. Convert it first.`);
      assertTensorShape(tensor);
      await this.put(tensor.data);
    });
  }

  writeChunk(values: Float32Array): Promise<void> {
    return this.enqueue(async () => {
      if (!(values instanceof Float32Array)) throw new ShapeMismatchError(`writeChunk takes a Float32Array. Convert the values first.`);
      this.skipEmpty();
      if (values.length === 0) return;
      const t = this.layout.tensors[this.index];
      if (t === undefined) {
        throw new ShapeMismatchError(`${values.length} values were written to "${this.path}" after all planned tensors were complete. Plan every tensor when creating the writer.`);
      }
      const left = this.counts[this.index]! - this.filled;
      if (values.length > left) throw new ShapeMismatchError(`a chunk of ${values.length} values runs past tensor "${t.name}", which has ${left} values left. Split chunks at tensor boundaries.`);
      await this.put(values);
    });
  }

  close(): Promise<SafetensorsHeader> {
    return this.enqueue(async () => {
      this.skipEmpty();
      if (this.index < this.counts.length) {
        const missing = this.layout.tensors.slice(this.index).map((t) => `"${t.name}"`);
        throw new ShapeMismatchError(
          `the writer for "${this.path}" was closed with ${missing.length} tensor(s) not fully written (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}). Write every planned tensor before closing.`,
        );
      }
      try {
        if (this.fsync) await this.fh.sync();
        await this.fh.close();
        await rename(this.tmp, this.path);
        this.untrack();
      } catch (e) {
        throw toIoError(e, "write", this.path);
      }
      this.state = "closed";
      return this.layout;
    });
  }

  abort(): Promise<void> {
    // Not queued behind pending writes' results: it must work even after a failure.
    const done = this.tail.then(() => this.discard());
    this.tail = done.catch(() => undefined);
    return done;
  }
}

/**
 * Starts writing an F32 safetensors file whose tensors are `entries`, in that order. The header
 * is written at once; the data then stream in through {@link SafetensorsWriter.write} or
 * {@link SafetensorsWriter.writeChunk}, so a file larger than memory can be produced. All
 * validation of names, shapes and metadata happens before any file is created.
 * @param path - Target path. The temp file `.<name>.tmp-<pid>-<random>` is created in the same
 *   directory (so the final `rename` is atomic) and removed on failure.
 * @param entries - Names and shapes, in file order.
 * @param options - Metadata and fsync policy.
 * @returns An open writer.
 * @throws {ShapeMismatchError} On duplicate names or invalid shapes.
 * @throws {FormatError} On the reserved name `__metadata__` or non-string metadata values.
 * @throws {IoError} When the temp file cannot be created (e.g. the directory does not exist).
 * @example
 * const w = await createSafetensorsWriter("out.safetensors", [{ name: "w", shape: [2, 2] }]);
 * await w.write({ name: "w", shape: [2, 2], data: new Float32Array(4) });
 * await w.close();
 */
export async function createSafetensorsWriter(path: string, entries: readonly SafetensorsWriterEntry[], options: WriteSafetensorsOptions = {}): Promise<SafetensorsWriter> {
  const enc = encodeSafetensorsHeader(entries, options.metadata);
  // `.<name>.tmp-<pid>-<hex>`: removed on SIGINT/SIGTERM, and by a later run once <pid> is gone.
  const tmp = tempPathFor(path);
  // Tracked before it exists, so a signal arriving right after the open finds it (and finds the
  // signal handlers installed).
  const untrack = trackTemp(tmp);
  let fh: FileHandle;
  try {
    fh = await open(tmp, "wx");
  } catch (e) {
    untrack();
    throw toIoError(e, "write", path);
  }
  try {
    await writeFully(fh, enc.bytes, 0);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    untrack();
    throw toIoError(e, "write", path);
  }
  const layout: SafetensorsHeader = {
    path,
    fileSize: enc.fileSize,
    headerSize: enc.headerSize,
    dataOffset: 8 + enc.headerSize,
    metadata: Object.fromEntries(Object.entries(options.metadata ?? {})),
    tensors: enc.tensors,
  };
  return new Writer(path, layout, tmp, fh, options.fsync ?? true, untrack);
}

/**
 * Saves a weight set as an F32 safetensors file: little-endian data in the given order with no
 * holes, header padded with spaces to a multiple of 8. Every tensor is validated first (unique
 * names, shape matches data), so a bad input throws before any file appears; the data are then
 * streamed tensor by tensor (no whole-file buffer) to a temp file that is renamed onto `path`.
 * Non-finite values are written as they are.
 * @param path - Target path (replaced atomically if it exists).
 * @param weights - The tensors, in the order to store them.
 * @param options - Metadata and fsync policy.
 * @returns The layout of the written file.
 * @throws {ShapeMismatchError} On duplicate names or data that do not match a shape.
 * @throws {FormatError} On the reserved name `__metadata__` or non-string metadata values.
 * @throws {IoError} When the file cannot be written; no partial file is left.
 * @example
 * await saveSafetensors("w.safetensors", [{ name: "w", shape: [3], data: Float32Array.of(1, 2, 3) }]);
 */
export async function saveSafetensors(path: string, weights: WeightSet, options: WriteSafetensorsOptions = {}): Promise<SafetensorsHeader> {
  for (const t of weights) {
    if (!(t?.data instanceof Float32Array)) throw new ShapeMismatchError(`tensor "${String(t?.name)}" data is not a Float32Array. Convert it first.`);
    assertTensorShape(t);
  }
  const writer = await createSafetensorsWriter(path, weights, options);
  for (const t of weights) await writer.write(t);
  return writer.close();
}

export { encodeSafetensorsHeader } from "./header-encode.js";
export type { EncodedHeader, SafetensorsWriterEntry } from "./header-encode.js";
