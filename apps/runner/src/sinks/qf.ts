import { open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidQuantizedError, type Coder } from "@quantforge/core";
import { ContainerEncoder, crc32 } from "@quantforge/core/format";
import { writeAll, type Sink } from "./sink.js";

/** `.qf` container written incrementally: records spooled to temp files, assembled at the end. */
export async function qfSink(dir: string, coder: Coder, metadata: Record<string, unknown>): Promise<Sink> {
  const enc = new ContainerEncoder(coder, metadata);
  const tPath = join(dir, ".tensors.spool"),
    pPath = join(dir, ".passthrough.spool");
  const tSpool = await open(tPath, "wx"),
    pSpool = await open(pPath, "wx");
  let tBytes = 0,
    pBytes = 0;
  return {
    async quantized(_name, t, cb, stream) {
      const rec = enc.tensorRecord(t, cb, stream);
      await writeAll(tSpool, rec);
      tBytes += rec.length;
    },
    async kept(_name, tensor) {
      if (!tensor) return; // non-float entries of a model are not weights
      const rec = enc.passthroughRecord(tensor);
      await writeAll(pSpool, rec);
      pBytes += rec.length;
    },
    async close() {
      await tSpool.close();
      await pSpool.close();
      const out = await open(join(dir, "model.qf"), "wx");
      let crc = 0;
      const put = async (b: Uint8Array) => {
        crc = crc32(b, 0, b.length, crc);
        await writeAll(out, b);
      };
      const copy = async (p: string, n: number) => {
        const src = await open(p, "r");
        const buf = new Uint8Array(Math.min(Math.max(n, 1), 8 << 20));
        try {
          for (let pos = 0; pos < n;) {
            const r = await src.read(buf, 0, Math.min(buf.length, n - pos), pos);
            if (r.bytesRead === 0) throw new InvalidQuantizedError(`spool "${p}" is shorter than written.`);
            await put(buf.subarray(0, r.bytesRead));
            pos += r.bytesRead;
          }
        } finally {
          await src.close();
        }
      };
      try {
        await put(enc.head());
        await copy(tPath, tBytes);
        await put(enc.middle());
        await copy(pPath, pBytes);
        await put(enc.tail());
        const tail = new Uint8Array(4);
        new DataView(tail.buffer).setUint32(0, crc, true);
        await writeAll(out, tail);
      } finally {
        await out.close();
      }
      await rm(tPath, { force: true });
      await rm(pPath, { force: true });
      const size = enc.size();
      return { files: [{ name: "model.qf", bytes: (await stat(join(dir, "model.qf"))).size }], container: size, notes: [] };
    },
    async abort() {
      await tSpool.close().catch(() => undefined);
      await pSpool.close().catch(() => undefined);
    },
  };
}
