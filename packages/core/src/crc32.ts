/** CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) — the checksum of zip, PNG and gzip. */
const TABLE = (() => {
  const t = new Uint32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  // Slicing-by-16 tables: table s maps a byte to its CRC contribution s bytes further on, so a
  // step folds 16 bytes with 16 independent lookups (about 2× slicing-by-4 in V8).
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let s = 1; s < 16; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/**
 * Ranges from this many bytes go to the platform's CRC-32 when there is one: loading zlib costs
 * 2–6 ms, what the table loop takes for a few MB, so small files never load it.
 */
const NATIVE_MIN_BYTES = 4 << 20;

type NativeCrc32 = (data: Uint8Array, value: number) => number;

/**
 * Node's zlib `crc32` (Node ≥ 20.16: `process.getBuiltinModule`), the same checksum computed with
 * the CPU's carry-less multiply: about 20× the table loop below, which containers and coder
 * streams read twice per byte on every run. Feature-detected without an import, so core still
 * loads in a browser, where the table loop is the CRC; looked up at the first long range, so
 * commands that checksum little never load zlib. null: the platform has none.
 */
let native: NativeCrc32 | null | undefined;

function nativeCrc32(): NativeCrc32 | null {
  if (native !== undefined) return native;
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const z = p?.getBuiltinModule?.("node:zlib") as { crc32?: unknown } | undefined;
  native = typeof z?.crc32 === "function" ? (z.crc32 as NativeCrc32) : null;
  return native;
}

/** CRC-32 of `bytes[start, end)`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const fast = end - start >= NATIVE_MIN_BYTES ? nativeCrc32() : null;
  if (fast) return fast(bytes.subarray(start, end), crc >>> 0) >>> 0;
  return crc32Table(bytes, start, end, crc);
}

/** {@link crc32} by slicing-by-16 tables, on any platform. */
export function crc32Table(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc >>> 0;
  let i = start;
  const t = TABLE;
  for (; i + 16 <= end; i += 16) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    const b = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
    const d = bytes[i + 8]! | (bytes[i + 9]! << 8) | (bytes[i + 10]! << 16) | (bytes[i + 11]! << 24);
    const e = bytes[i + 12]! | (bytes[i + 13]! << 8) | (bytes[i + 14]! << 16) | (bytes[i + 15]! << 24);
    c =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + (b & 0xff)]! ^
      t[2560 + ((b >>> 8) & 0xff)]! ^
      t[2304 + ((b >>> 16) & 0xff)]! ^
      t[2048 + (b >>> 24)]! ^
      t[1792 + (d & 0xff)]! ^
      t[1536 + ((d >>> 8) & 0xff)]! ^
      t[1280 + ((d >>> 16) & 0xff)]! ^
      t[1024 + (d >>> 24)]! ^
      t[768 + (e & 0xff)]! ^
      t[512 + ((e >>> 8) & 0xff)]! ^
      t[256 + ((e >>> 16) & 0xff)]! ^
      t[e >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
