import { describe, expect, it } from "vitest";
import type { Codebook } from "./codebook.js";
import { COMPACT_CONTAINER_VERSION, CONTAINER_VERSION, decodeContainer, encodeContainer } from "./container.js";
import { crc32 } from "./crc32.js";
import { ErrorCodes, UnknownPluginError } from "./errors.js";
import type { Coder } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { rawTestCoder } from "./testing/fixtures.js";

const coder = rawTestCoder().create({});
const codebooks: Codebook[] = [
  { kind: "levels", id: "shared", levels: Float32Array.from([-1, 0, 0.5, 2]) },
  { kind: "affine", id: "aff", levels: 16, scale: Float32Array.from([0.1, 0.2, 0.3]), zeroPoint: Float32Array.from([8, 7, 6]) },
  { kind: "grid", id: "grid", levels: 8, xMax: Math.fround(2.5), midtread: false, sigma: Float32Array.from([0.5]), mu: Float32Array.from([0]), sigmaSource: "rms" },
];
const tensors: QuantizedTensor[] = [
  { name: "a", shape: [2, 3], role: "weight", layer: "dense", layerKind: "dense", codebook: "shared", grouping: { kind: "tensor" }, codes: Uint32Array.from([0, 1, 2, 3, 2, 1]) },
  { name: "b", shape: [4], codebook: "shared", grouping: { kind: "tensor" }, codes: Uint32Array.from([3, 3]), sparse: { positions: Uint32Array.from([1, 3]) } },
  { name: "c", shape: [2, 3], codebook: "aff", grouping: { kind: "channel", axis: 1 }, codes: Uint32Array.from([0, 15, 8, 7, 6, 1]) },
  { name: "d", shape: [5], codebook: "grid", grouping: { kind: "tensor" }, codes: Uint32Array.from([0, 7, 3, 4, 1]) },
];
const model: QuantizedModel = { codebooks, tensors, passthrough: [{ name: "bias", shape: [3], data: Float32Array.from([0.5, -0, 3e38]), role: "bias", layer: "dense", layerKind: "dense" }] };

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
}
const fixCrc = (b: Uint8Array): Uint8Array => {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
};

describe(".qf container", () => {
  const enc = encodeContainer(model, coder, { quantizer: "test", seed: 3 });

  it("round-trips codebooks, tensors with tags, passthrough tensors and metadata", () => {
    const back = decodeContainer(enc.bytes, (id) => {
      expect(id).toBe("raw-test");
      return coder;
    });
    expect(back.coderId).toBe("raw-test");
    expect(back.metadata).toEqual({ quantizer: "test", seed: 3 });
    expect(back.model.codebooks).toEqual(codebooks);
    expect(back.model.tensors).toEqual(tensors);
    expect(back.model.passthrough).toEqual(model.passthrough);
    expect(Object.is(back.model.passthrough![0]!.data[1], -0)).toBe(true);
  });

  it("keeps ±Inf, NaN and −0 in passthrough tensors bit-exactly in both versions (codebooks stay checked)", () => {
    const odd = Float32Array.from([Infinity, -Infinity, NaN, -0, 3e38]);
    const m: QuantizedModel = { ...model, passthrough: [{ name: "clip", shape: [5], data: odd }] };
    for (const version of [CONTAINER_VERSION, COMPACT_CONTAINER_VERSION] as const) {
      const back = decodeContainer(encodeContainer(m, coder, {}, { version }).bytes, () => coder).model.passthrough![0]!.data;
      expect(new Uint32Array(back.buffer, back.byteOffset, 5)).toEqual(new Uint32Array(odd.buffer));
    }
  });

  it("reports real sizes that add up", () => {
    const s = enc.size;
    expect(s.totalBytes).toBe(enc.bytes.length);
    const streams = s.tensors.reduce((a, t) => a + t.streamBytes, 0);
    expect(s.headerBytes + s.codebookBytes + streams + s.passthroughBytes).toBe(s.totalBytes);
    expect(s.passthroughBytes).toBeGreaterThanOrEqual(12);
    expect(s.tensors.map((t) => t.count)).toEqual([6, 4, 6, 5]);
    // Tensors a and b share codebook "shared": its bytes are split by element count.
    const shareA = s.tensors[0]!.bytes - s.tensors[0]!.streamBytes,
      shareB = s.tensors[1]!.bytes - s.tensors[1]!.streamBytes;
    expect(shareA / shareB).toBeCloseTo(6 / 4, 10);
    expect(s.tensors.reduce((a, t) => a + t.bytes - t.streamBytes, 0)).toBeCloseTo(s.codebookBytes, 6);
  });

  it("is deterministic", () => {
    expect(encodeContainer(model, coder, { quantizer: "test", seed: 3 }).bytes).toEqual(enc.bytes);
  });

  it("rejects every truncation with DecodeError", () => {
    for (let k = 0; k < enc.bytes.length; k++)
      expect(
        code(() => decodeContainer(enc.bytes.slice(0, k), () => coder)),
        `length ${k}`,
      ).toBe(ErrorCodes.DECODE);
  });

  it("rejects every single-bit flip with DecodeError", () => {
    for (let i = 0; i < enc.bytes.length; i++) {
      for (const bit of [0, 3, 7]) {
        const b = enc.bytes.slice();
        b[i]! ^= 1 << bit;
        expect(
          code(() => decodeContainer(b, () => coder)),
          `byte ${i} bit ${bit}`,
        ).toBe(ErrorCodes.DECODE);
      }
    }
  });

  it("rejects a wrong version, a wrong magic and trailing bytes (checksum fixed up)", () => {
    const v = enc.bytes.slice();
    v[4] = COMPACT_CONTAINER_VERSION + 1; // versions 1 and 2 are both read
    expect(code(() => decodeContainer(fixCrc(v), () => coder))).toBe(ErrorCodes.DECODE);
    const m = enc.bytes.slice();
    m[0] = 0x58;
    expect(code(() => decodeContainer(fixCrc(m), () => coder))).toBe(ErrorCodes.DECODE);
    const t = new Uint8Array(enc.bytes.length + 3);
    t.set(enc.bytes.subarray(0, enc.bytes.length - 4));
    expect(code(() => decodeContainer(fixCrc(t), () => coder))).toBe(ErrorCodes.DECODE);
    expect(code(() => decodeContainer(new Uint8Array(0), () => coder))).toBe(ErrorCodes.DECODE);
  });

  it("passes the resolver's error through for an unknown coder", () => {
    expect(
      code(() =>
        decodeContainer(enc.bytes, (id) => {
          throw new UnknownPluginError("coder", id, ["fixed"]);
        }),
      ),
    ).toBe(ErrorCodes.UNKNOWN_PLUGIN);
  });

  it("rejects decoded tensors that do not fit their codebooks", () => {
    const lying = (f: (t: QuantizedTensor) => QuantizedTensor): Coder => ({ id: "raw-test", encode: coder.encode, decode: (b) => f(coder.decode(b)) });
    const cases: [string, Coder][] = [
      ["unknown codebook", lying((t) => ({ ...t, codebook: "nope" }))],
      ["code outside the codebook", lying((t) => ({ ...t, codes: t.codes.map((c) => c + 100) }))],
      ["wrong code count", lying((t) => ({ ...t, codes: t.codes.subarray(1) }))],
      ["duplicate names", lying((t) => ({ ...t, name: "a" }))],
    ];
    for (const [what, c] of cases)
      expect(
        code(() => decodeContainer(enc.bytes, () => c)),
        what,
      ).toBe(ErrorCodes.DECODE);
  });

  it("refuses to encode a tensor whose codebook is missing", () => {
    expect(code(() => encodeContainer({ codebooks: [], tensors: [tensors[0]!] }, coder))).toBe(ErrorCodes.INVALID_QUANTIZED);
  });
});
