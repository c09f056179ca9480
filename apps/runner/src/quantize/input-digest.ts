import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type { WeightTensor } from "@quantforge/core";
import type { SafetensorsHeader, SafetensorsTensorInfo } from "@quantforge/io-safetensors";
import { sha256File } from "../file-hash.js";

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** SHA-256 of the input, fed with the tensors as `quantize` reads them. */
export interface InputDigest {
  /** Called with every tensor right after it is read, in reading order. */
  read(entry: SafetensorsTensorInfo, t: WeightTensor): void;
  /**
   * {@link InputDigest.read}, hashing `slice` bytes at a time with a turn of the event loop
   * between (a 64 MB tensor is ~60 ms of hashing, during which this thread would answer no worker).
   */
  readSliced(entry: SafetensorsTensorInfo, t: WeightTensor, slice: number): Promise<void>;
  /** The file's SHA-256 (hex). */
  digest(): Promise<string>;
}

/**
 * The SHA-256 of a safetensors file without reading its data a second time (issue 18: that was
 * a second pass over 2 GB): the head (length and JSON header) is read from disk here, then each
 * tensor's bytes are hashed from memory as they are read. Only when those are every data byte of
 * the file, as stored: F32 tensors on a little-endian host (read bit for bit) whose data tile the
 * data section in reading order. Otherwise (another dtype, gaps, another order) `digest` hashes
 * the file from disk, as before.
 */
export async function safetensorsDigest(path: string, fh: FileHandle, header: SafetensorsHeader): Promise<InputDigest> {
  const h = createHash("sha256");
  let pos = header.dataOffset,
    inMemory = HOST_LE;
  if (inMemory) {
    const head = Buffer.allocUnsafe(header.dataOffset);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    inMemory = bytesRead === head.length;
    h.update(head);
  }
  /** The tensor's bytes when they continue the file's data in order (else the disk is hashed at the end). */
  const take = (e: SafetensorsTensorInfo, t: WeightTensor): Uint8Array | undefined => {
    if (!inMemory) return undefined;
    if (e.dtype !== "F32" || e.begin !== pos || t.data.byteLength !== e.end - e.begin) {
      inMemory = false;
      return undefined;
    }
    pos = e.end;
    return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  };
  return {
    read(e, t) {
      const bytes = take(e, t);
      if (bytes) h.update(bytes);
    },
    async readSliced(e, t, slice) {
      const bytes = take(e, t);
      for (let at = 0; bytes && at < bytes.length; at += slice) {
        if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        h.update(bytes.subarray(at, at + slice));
      }
    },
    async digest() {
      // Every data byte hashed, and the file still has the size it had (its head was read above).
      if (inMemory && pos === header.fileSize && (await fh.stat()).size === header.fileSize) return h.digest("hex");
      return sha256File(path);
    },
  };
}
