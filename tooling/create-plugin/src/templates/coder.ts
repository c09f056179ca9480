import type { TemplateContext } from "./context.js";

/** The 4 magic bytes of a generated coder's streams: "Q" plus the first 3 letters of the id, upper case, padded with "_". */
export function coderMagic(id: string): string {
  return `Q${id.replace(/-/g, "").toUpperCase().padEnd(3, "_").slice(0, 3)}`;
}

/** `src/<id>-impl.ts`, `src/<id>-coder.ts` and their tests for a coder. */
export function coderSources(c: TemplateContext): Record<string, string> {
  const n = c.names;
  const magic = coderMagic(n.id);
  const encode = `encode${n.pascal}`;
  const decode = `decode${n.pascal}`;
  const MAGIC = `${n.id.replace(/-/g, "_").toUpperCase()}_MAGIC`;
  const VERSION_CONST = `${n.id.replace(/-/g, "_").toUpperCase()}_FORMAT_VERSION`;
  return {
    [`src/${n.implFile}.ts`]: `/**
 * Pure byte-level core of the \`${n.id}\` coder: unsigned LEB128 varints (7 bits per byte, high bit =
 * "more"), so small codes take one byte. Replace it with your entropy coder; keep it pure (typed
 * arrays in and out, bounds checked, no exceptions on bad input: return -1 instead).
 */

/** Bytes the varint of \`v\` (0 ≤ v < 2^32) takes: 1–5. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** A tensor's codes in any width (core's \`CodeArray\`: quantizers may give 8- or 16-bit arrays). */
export type Codes = Uint8Array | Uint16Array | Uint32Array;

/** Total bytes of the varints of \`values\`. */
export function varintsSize(values: Codes): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += varintSize(values[i]!);
  return n;
}

/** Writes \`values\` as varints into \`out\` from \`offset\`; returns the offset after the last byte. */
export function writeVarints(values: Codes, out: Uint8Array, offset: number): number {
  let p = offset;
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    while (v >= 0x80) {
      out[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[p++] = v;
  }
  return p;
}

/**
 * Reads \`out.length\` varints from \`bytes[offset, end)\`. Returns the offset after the last one, or
 * -1 when the bytes end early, a varint is longer than 5 bytes, or a value does not fit 32 bits.
 */
export function readVarints(bytes: Uint8Array, offset: number, end: number, out: Uint32Array): number {
  let p = offset;
  for (let i = 0; i < out.length; i++) {
    let v = 0, shift = 0;
    for (;;) {
      if (p >= end || shift > 28) return -1;
      const b = bytes[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    if (v > 0xffffffff) return -1;
    out[i] = v;
  }
  return p;
}
`,
    [`src/${n.adapterFile}.ts`]: `import { DecodeError, InvalidQuantizedError, defineCoder, groupCount, shapeSize, z, type Codebook, type Coder, type CoderPlugin, type Grouping, type QuantizedTensor } from "@quantforge/core";
import { ByteReader, ByteWriter, crc32 } from "@quantforge/core/format";
import { readVarints, varintsSize, writeVarints } from "./${n.implFile}.js";
import { VERSION } from "./version.js";

/** The 4 magic bytes that open every stream: "${magic}". */
export const ${MAGIC} = "${magic}";
/** Stream format version (byte 4). Bump it when the layout changes; old streams are then refused. */
export const ${VERSION_CONST} = 1;

const MAGIC_BYTES = new TextEncoder().encode(${MAGIC});
const FLAG_SPARSE = 1;
const MAX_DIMS = 32;
const MAX_ELEMENTS = 2 ** 32;

/** zod schema of the ${n.id} options (none yet; unknown fields are rejected). */
export const ${n.schema} = z.strictObject({});
/** Validated ${n.id} options. */
export type ${n.options} = z.output<typeof ${n.schema}>;
/** ${n.id} options as a user writes them. */
export type ${n.optionsInput} = z.input<typeof ${n.schema}>;

function groupingCode(g: Grouping): [number, number] {
  return g.kind === "tensor" ? [0, 0] : g.kind === "channel" ? [1, g.axis] : [2, g.size];
}

/**
 * Encodes one tensor: magic | u8 version | u8 flags | str name | str codebook | varint ndims, dims |
 * u8 grouping, varint param | varint count | codes (varints) | [position gaps (varints)] | u32 CRC-32.
 *
 * @throws {InvalidQuantizedError} when the tensor and codebook do not match or the tensor is malformed.
 */
export function ${encode}(t: QuantizedTensor, cb: Codebook): Uint8Array {
  if (cb.id !== t.codebook) throw new InvalidQuantizedError(\`tensor "\${t.name}" refers to codebook "\${t.codebook}" but the coder was given "\${cb.id}".\`);
  const n = shapeSize(t.shape);
  if (t.shape.length > MAX_DIMS || n > MAX_ELEMENTS) throw new InvalidQuantizedError(\`tensor "\${t.name}" has shape [\${t.shape.join(", ")}], which ${n.id} cannot store (≤ \${MAX_DIMS} dims, ≤ 2^32 elements).\`);
  const positions = t.sparse?.positions;
  const count = t.codes.length;
  if (count !== (positions ? positions.length : n)) throw new InvalidQuantizedError(\`tensor "\${t.name}" has \${count} codes for \${positions ? positions.length : n} elements.\`);
  // Sparse positions as gaps p_i − p_{i−1} − 1 (p_{−1} = −1): small numbers, short varints.
  let gaps: Uint32Array | undefined;
  if (positions) {
    gaps = new Uint32Array(count);
    let prev = -1;
    for (let i = 0; i < count; i++) {
      const p = positions[i]!;
      if (p <= prev || p >= n) throw new InvalidQuantizedError(\`tensor "\${t.name}" has sparse positions that are not strictly increasing inside 0…\${n - 1}.\`);
      gaps[i] = p - prev - 1;
      prev = p;
    }
  }
  const [gk, gp] = groupingCode(t.grouping);
  const h = new ByteWriter(64 + 3 * (t.name.length + t.codebook.length));
  h.bytes(MAGIC_BYTES).u8(${VERSION_CONST}).u8(positions ? FLAG_SPARSE : 0).str(t.name).str(t.codebook).varint(t.shape.length);
  for (const d of t.shape) h.varint(d);
  h.u8(gk).varint(gp).varint(count);
  const header = h.finish();
  const out = new Uint8Array(header.length + varintsSize(t.codes) + (gaps ? varintsSize(gaps) : 0) + 4);
  out.set(header);
  let p = writeVarints(t.codes, out, header.length);
  if (gaps) p = writeVarints(gaps, out, p);
  new DataView(out.buffer).setUint32(p, crc32(out, 0, p), true);
  return out;
}

/**
 * Decodes a stream of {@link ${encode}}. Checks magic, version and CRC-32 first, then every field
 * against the bytes that remain before allocating; any problem is a {@link DecodeError}.
 */
export function ${decode}(bytes: Uint8Array): QuantizedTensor {
  const what = "${n.id} stream";
  if (!(bytes instanceof Uint8Array) || bytes.length < 12) throw new DecodeError(\`\${what} is truncated. Re-create the file.\`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC_BYTES[i]) throw new DecodeError(\`not a \${what} (bad magic). The file is corrupted or was written by another coder.\`);
  if (bytes[4] !== ${VERSION_CONST}) throw new DecodeError(\`\${what} version \${bytes[4]} is not supported (this build reads version \${${VERSION_CONST}}). Use a matching plugin version.\`);
  const end = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + end, 4).getUint32(0, true);
  if (crc32(bytes, 0, end) !== stored) throw new DecodeError(\`\${what} checksum mismatch: the data is corrupted or truncated. Re-create the file.\`);
  const r = new ByteReader(bytes, 5, end, what);
  const flags = r.u8();
  if ((flags & ~FLAG_SPARSE) !== 0) throw new DecodeError(\`\${what} has unknown flags. The file is corrupted.\`);
  const name = r.str();
  const codebook = r.str();
  const nd = r.varint();
  if (nd > MAX_DIMS) throw new DecodeError(\`\${what} claims \${nd} dimensions. The file is corrupted.\`);
  const shape: number[] = [];
  let n = 1;
  for (let i = 0; i < nd; i++) {
    const d = r.varint();
    shape.push(d);
    n *= d;
    if (n > MAX_ELEMENTS) throw new DecodeError(\`\${what} claims more than 2^32 elements. The file is corrupted.\`);
  }
  const gk = r.u8(), gp = r.varint();
  let grouping: Grouping;
  if (gk === 0 && gp === 0) grouping = { kind: "tensor" };
  else if (gk === 1) grouping = { kind: "channel", axis: gp };
  else if (gk === 2) grouping = { kind: "group", size: gp };
  else throw new DecodeError(\`\${what} has an unknown grouping. The file is corrupted.\`);
  try {
    groupCount(shape, grouping);
  } catch (e) {
    throw new DecodeError(\`\${what} has an invalid grouping for shape [\${shape.join(", ")}]. The file is corrupted.\`, e);
  }
  const sparse = (flags & FLAG_SPARSE) !== 0;
  const count = r.varint();
  // Every varint takes at least one byte: a corrupted count cannot make us allocate much.
  if ((sparse ? count > n : count !== n) || count * (sparse ? 2 : 1) > r.remaining) throw new DecodeError(\`\${what} has \${count} codes for \${n} elements in \${r.remaining} bytes. The file is corrupted.\`);
  const codes = new Uint32Array(count);
  let p = readVarints(bytes, r.pos, end, codes);
  const positions = sparse ? new Uint32Array(count) : undefined;
  if (p >= 0 && positions) p = readVarints(bytes, p, end, positions);
  if (p !== end) throw new DecodeError(\`\${what} payload is truncated or has trailing bytes. The file is corrupted.\`);
  if (!positions) return { name, shape, codebook, grouping, codes };
  let q = -1;
  for (let i = 0; i < count; i++) {
    q += positions[i]! + 1;
    if (q >= n) throw new DecodeError(\`\${what} has a sparse position outside the \${n} elements. The file is corrupted.\`);
    positions[i] = q;
  }
  return { name, shape, codebook, grouping, codes, sparse: { positions } };
}

/**
 * The \`${n.id}\` coder plugin.
 *
 * @param defaults - Options applied under the options given at run time (none yet).
 * @returns A side-effect-free coder descriptor (nothing is registered).
 * @example
 * \`\`\`ts
 * const r = await pipeline().weights(ws).quantize(rtnQuantizer({ bits: 4 })).code(${n.factory}()).run();
 * \`\`\`
 */
export function ${n.factory}(defaults?: Partial<${n.optionsInput}>): CoderPlugin<${n.options}> {
  return defineCoder({
    id: "${n.id}",
    version: VERSION,
    description: ${JSON.stringify(c.description)},
    options: ${n.schema},
    defaults,
    // create(options, host): \`host.registry\` looks other plugins up by id, \`host.coders\` names the
    // run's coders (see @quantforge/core's README, "Plugin authoring: the host"); this one needs neither.
    create: (): Coder => ({ id: "${n.id}", encode: ${encode}, decode: ${decode} }),
  });
}
`,
    [`src/${n.implFile}.test.ts`]: `import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { readVarints, varintSize, varintsSize, writeVarints } from "./${n.implFile}.js";

describe("varints", () => {
  it("use 1 byte below 128 and 5 bytes at 2^32 − 1", () => {
    expect([0, 127, 128, 16383, 16384, 0xffffffff].map(varintSize)).toEqual([1, 1, 2, 2, 3, 5]);
  });

  test.prop([fc.uint32Array({ maxLength: 200 })])("round-trip bit-exactly and take exactly varintsSize bytes", (values) => {
    const buf = new Uint8Array(varintsSize(values) + 3);
    const end = writeVarints(values, buf, 3);
    expect(end).toBe(buf.length);
    const back = new Uint32Array(values.length);
    expect(readVarints(buf, 3, end, back)).toBe(end);
    expect(back).toEqual(values);
  });

  test.prop([fc.uint32Array({ minLength: 1, maxLength: 50 }), fc.nat()])("a truncated stream is -1, never a wrong value", (values, cut) => {
    const buf = new Uint8Array(varintsSize(values));
    writeVarints(values, buf, 0);
    const end = cut % buf.length;
    expect(readVarints(buf, 0, end, new Uint32Array(values.length))).toBe(-1);
  });

  it("rejects over-long varints and values of 2^32 or more", () => {
    expect(readVarints(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 0, 6, new Uint32Array(1))).toBe(-1);
    expect(readVarints(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), 0, 5, new Uint32Array(1))).toBe(-1);
  });
});
`,
    "src/conformance.test.ts": `import { describeCoderConformance } from "@quantforge/core/testing";
import { ${n.factory} } from "./${n.adapterFile}.js";

// Stream layout: 4 magic bytes, the format version at byte 4, and a trailing CRC-32.
// Every test of the suite runs; a skip needs { test, reason } and a line in the README.
describeCoderConformance(${n.factory}(), { versionOffset: 4, trailingCrc32: true });
`,
  };
}

/** The names `src/index.ts` exports for a coder. */
export function coderExports(c: TemplateContext): { values: Record<string, string[]>; types: Record<string, string[]> } {
  const n = c.names;
  const up = n.id.replace(/-/g, "_").toUpperCase();
  return {
    values: { [n.adapterFile]: [n.factory, n.schema, `encode${n.pascal}`, `decode${n.pascal}`, `${up}_MAGIC`, `${up}_FORMAT_VERSION`], [n.implFile]: ["readVarints", "writeVarints", "varintSize", "varintsSize"] },
    types: { [n.adapterFile]: [n.options, n.optionsInput] },
  };
}
