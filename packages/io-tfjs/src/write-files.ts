/** The files a tfjs write produces: sequential weight shards and the spooled coded container (split from `write.ts`). */

import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32, type ContainerEncoder } from "@quantforge/core/format";
import type { WrittenFile } from "./write.js";

/** Sequential shard files `group1-shard<i>of<n>.bin`, named once the count is known. */
export class ShardSink {
  private fh: FileHandle | undefined;
  private index = 0;
  private filled = 0;
  private readonly temp: string[] = [];
  constructor(
    private readonly dir: string,
    private readonly limit: number,
    private readonly prefix = "group1",
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    let o = 0;
    while (o < bytes.length) {
      if (!this.fh || this.filled === this.limit) await this.next();
      const n = Math.min(bytes.length - o, this.limit - this.filled);
      let done = 0;
      while (done < n) {
        const r = await this.fh!.write(bytes, o + done, n - done);
        done += r.bytesWritten;
      }
      this.filled += n;
      o += n;
    }
  }

  private async next(): Promise<void> {
    await this.fh?.close();
    const name = join(this.dir, `.shard-${++this.index}.tmp`);
    this.temp.push(name);
    this.fh = await open(name, "wx");
    this.filled = 0;
  }

  /** Closes the last shard and renames all to their final names. */
  async finish(): Promise<WrittenFile[]> {
    await this.fh?.close();
    this.fh = undefined;
    const n = this.temp.length;
    const out: WrittenFile[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${this.prefix}-shard${i + 1}of${n}.bin`;
      await rename(this.temp[i]!, join(this.dir, name));
      out.push({ name, bytes: (await stat(join(this.dir, name))).size });
    }
    return out;
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    for (const t of this.temp) await rm(t, { force: true });
  }
}

/** Assembles head ‖ spooled tensor records ‖ middle (no passthrough) ‖ CRC into `path`. */
export async function assembleFromSpool(path: string, enc: ContainerEncoder, spoolPath: string | undefined): Promise<number> {
  const out = await open(path, "wx");
  let crc = 0;
  let total = 0;
  const put = async (b: Uint8Array): Promise<void> => {
    crc = crc32(b, 0, b.length, crc);
    let done = 0;
    while (done < b.length) done += (await out.write(b, done, b.length - done)).bytesWritten;
    total += b.length;
  };
  try {
    await put(enc.head());
    if (spoolPath) {
      const src = await open(spoolPath, "r");
      try {
        const buf = new Uint8Array(1 << 20);
        for (;;) {
          const r = await src.read(buf, 0, buf.length, null);
          if (r.bytesRead === 0) break;
          await put(buf.subarray(0, r.bytesRead));
        }
      } finally {
        await src.close();
      }
    }
    await put(enc.middle());
    await put(enc.tail());
    const tail = new Uint8Array(4);
    new DataView(tail.buffer).setUint32(0, crc, true);
    let done = 0;
    while (done < 4) done += (await out.write(tail, done, 4 - done)).bytesWritten;
    total += 4;
  } finally {
    await out.close();
  }
  return total;
}
