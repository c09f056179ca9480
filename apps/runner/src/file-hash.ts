import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** Bytes read per step: one reused buffer (a stream allocates a fresh 64 KiB Buffer per chunk, 3,000 of them for 200 MB, and the GC runs for them). */
const CHUNK = 4 << 20;

/** SHA-256 of a file (the report records which input it describes), read through one reused buffer. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  const fh = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest("hex");
}
