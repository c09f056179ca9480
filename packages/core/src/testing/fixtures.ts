import { ByteReader, ByteWriter } from "../bytes.js";
import { crc32 } from "../crc32.js";
import { DecodeError } from "../errors.js";
import type { Grouping } from "../grouping.js";
import { perTensorQuantizer } from "../lift.js";
import { defineCoder, defineQuantizer, type Coder, type CoderPlugin, type Quantizer, type QuantizerPlugin } from "../plugin.js";
import type { QuantizedTensor } from "../quantized.js";
import { shapeSize } from "../tensor.js";
import { z } from "zod";

/**
 * A lossless quantizer for tests: each tensor gets a `levels` codebook of its distinct values,
 * so the decoded weights equal the original bit for bit (evaluators must report their ideal
 * values on it). Needs at most 65 536 distinct values per tensor.
 */
export function exactTestQuantizer(): QuantizerPlugin<Record<string, never>> {
  return defineQuantizer({
    id: "exact-test",
    version: "0.0.0",
    description: "lossless levels quantizer (tests only)",
    options: z.object({}).strict(),
    create: (): Quantizer =>
      perTensorQuantizer("exact-test", (t) => {
        const sorted = Float32Array.from(t.data).sort();
        const levels: number[] = [];
        for (let i = 0; i < sorted.length; i++) if (i === 0 || !Object.is(sorted[i], sorted[i - 1])) levels.push(sorted[i]!);
        if (levels.length === 0) levels.push(0);
        // Key by float32 bits: a Map would merge −0 and +0 (SameValueZero) and break exactness.
        const lvBits = new Uint32Array(Float32Array.from(levels).buffer);
        const index = new Map<number, number>();
        lvBits.forEach((b, i) => index.set(b, i));
        const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
        const codes = new Uint32Array(t.data.length);
        for (let i = 0; i < codes.length; i++) codes[i] = index.get(bits[i]!)!;
        return { codebook: { kind: "levels", levels: Float32Array.from(levels) }, codes, grouping: { kind: "tensor" } };
      }),
  });
}

/**
 * A coarse lossy quantizer for tests: 4 evenly spaced levels between the tensor's min and max
 * (one level for a constant tensor), nearest level per value.
 */
export function coarseTestQuantizer(): QuantizerPlugin<Record<string, never>> {
  return defineQuantizer({
    id: "coarse-test",
    version: "0.0.0",
    description: "4-level min/max quantizer (tests only)",
    options: z.object({}).strict(),
    create: (): Quantizer =>
      perTensorQuantizer("coarse-test", (t) => {
        let lo = Infinity,
          hi = -Infinity;
        for (const v of t.data) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (!(lo <= hi)) {
          lo = 0;
          hi = 0;
        }
        const k = lo === hi ? 1 : 4;
        const levels = new Float32Array(k);
        for (let i = 0; i < k; i++) levels[i] = k === 1 ? lo : lo + ((hi - lo) * i) / (k - 1);
        const codes = new Uint32Array(t.data.length);
        for (let i = 0; i < codes.length; i++) {
          let best = 0;
          for (let j = 1; j < k; j++) if (Math.abs(t.data[i]! - levels[j]!) < Math.abs(t.data[i]! - levels[best]!)) best = j;
          codes[i] = best;
        }
        return { codebook: { kind: "levels", levels }, codes, grouping: { kind: "tensor" } };
      }),
  });
}

const RAW_MAGIC = 0x52465121; // "!QFR"

/**
 * A plain reference coder for tests: every code and position as a u32, with a header, a format
 * version and a CRC-32. Not meant to be small; meant to be obviously right.
 */
export function rawTestCoder(): CoderPlugin<Record<string, never>> {
  return defineCoder({
    id: "raw-test",
    version: "0.0.0",
    description: "u32-per-code reference coder (tests only)",
    options: z.object({}).strict(),
    create: (): Coder => ({
      id: "raw-test",
      encode(t: QuantizedTensor): Uint8Array {
        const w = new ByteWriter(64 + 4 * t.codes.length);
        w.u32(RAW_MAGIC).u8(1).str(t.name).str(t.codebook).varint(t.shape.length);
        for (const d of t.shape) w.varint(d);
        const g = t.grouping;
        w.u8(g.kind === "tensor" ? 0 : g.kind === "channel" ? 1 : 2).varint(g.kind === "channel" ? g.axis : g.kind === "group" ? g.size : 0);
        w.u8(t.sparse ? 1 : 0).varint(t.codes.length);
        for (const c of t.codes) w.u32(c);
        if (t.sparse) for (const p of t.sparse.positions) w.u32(p);
        const body = w.finish();
        const out = new Uint8Array(body.length + 4);
        out.set(body);
        new DataView(out.buffer).setUint32(body.length, crc32(body), true);
        return out;
      },
      decode(bytes: Uint8Array): QuantizedTensor {
        if (bytes.length < 9) throw new DecodeError("raw-test stream is truncated.");
        const end = bytes.length - 4;
        const stored = new DataView(bytes.buffer, bytes.byteOffset + end, 4).getUint32(0, true);
        if (crc32(bytes, 0, end) !== stored) throw new DecodeError("raw-test stream checksum mismatch.");
        const r = new ByteReader(bytes, 0, end, "raw-test stream");
        if (r.u32() !== RAW_MAGIC || r.u8() !== 1) throw new DecodeError("not a raw-test stream of version 1.");
        const name = r.str(),
          codebook = r.str();
        const nd = r.varint();
        if (nd > 32) throw new DecodeError("raw-test stream has too many dimensions.");
        const shape: number[] = [];
        for (let i = 0; i < nd; i++) shape.push(r.varint());
        const gk = r.u8(),
          gp = r.varint();
        const grouping: Grouping = gk === 0 ? { kind: "tensor" } : gk === 1 ? { kind: "channel", axis: gp } : { kind: "group", size: gp };
        const sparse = r.u8() === 1;
        const n = r.varint();
        r.need(n * (sparse ? 8 : 4));
        const codes = new Uint32Array(n);
        for (let i = 0; i < n; i++) codes[i] = r.u32();
        let positions: Uint32Array | undefined;
        if (sparse) {
          positions = new Uint32Array(n);
          for (let i = 0; i < n; i++) positions[i] = r.u32();
        }
        if (r.remaining !== 0) throw new DecodeError("raw-test stream has trailing bytes.");
        const size = shapeSize(shape);
        if (sparse ? n > size : n !== size) throw new DecodeError("raw-test stream has the wrong number of codes.");
        if (positions) for (let i = 0; i < n; i++) if (positions[i]! >= size || (i > 0 && positions[i]! <= positions[i - 1]!)) throw new DecodeError("raw-test stream has invalid positions.");
        if (gk > 2 || (gk === 1 && gp >= nd) || (gk === 2 && gp < 1)) throw new DecodeError("raw-test stream has an invalid grouping.");
        return { name, shape, codebook, grouping, codes, ...(positions ? { sparse: { positions } } : {}) };
      },
    }),
  });
}

/**
 * The raw test coder with group coding (container version 3): the group is its streams, each
 * length-prefixed, and bytes left over are a `DecodeError`. For core's own container tests.
 */
export function groupedRawTestCoder(): Coder {
  const raw = rawTestCoder().create({});
  return {
    ...raw,
    group: {
      encodeGroup(ts) {
        const w = new ByteWriter(256);
        const tensorBytes: number[] = [];
        for (const t of ts) {
          const s = raw.encode(t, { kind: "levels", id: "", levels: new Float32Array(1) });
          const before = w.length;
          w.varint(s.length).bytes(s);
          tensorBytes.push(w.length - before);
        }
        return { bytes: w.finish(), tensorBytes };
      },
      decodeGroup(bytes, count) {
        const r = new ByteReader(bytes, 0, bytes.length, "test group");
        const out: QuantizedTensor[] = [];
        for (let i = 0; i < count; i++) out.push(raw.decode(r.bytes(r.varint())));
        if (r.remaining !== 0) throw new DecodeError("test group has bytes left over.");
        return out;
      },
    },
  };
}
