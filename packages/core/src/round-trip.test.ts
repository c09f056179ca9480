import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";
import { decodeContainer, decodeContainerWith, encodeContainer } from "./container.js";
import { ErrorCodes } from "./errors.js";
import { runPipeline } from "./pipeline.js";
import type { Coder, GroupCoder } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import type { WeightSet } from "./tensor.js";
import { roundTripCoder } from "./round-trip.js";
import { exactTestQuantizer, groupedRawTestCoder } from "./testing/fixtures.js";

const weights: WeightSet = [
  { name: "a", shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2) },
  { name: "b", shape: [5], data: Float32Array.of(0.5, -1, 2, 2, 0) },
];

/** The grouped test coder with a `decodeEncodedGroup` fast path that counts its calls (and may hand back the codes reversed: in range, but not the coded ones). */
function withFastGroup(spoil = false): { coder: Coder; fast: () => number; full: () => number } {
  const base = groupedRawTestCoder();
  const g = base.group!;
  let fast = 0,
    full = 0;
  const group: GroupCoder = {
    encodeGroup: (ts, cb) => g.encodeGroup(ts, cb),
    decodeGroup(bytes, count, cb, limits) {
      full++;
      return g.decodeGroup(bytes, count, cb, limits);
    },
    decodeEncodedGroup(bytes, count, cb, known, limits) {
      fast++;
      const ts = g.decodeGroup(bytes, count, cb, limits);
      return ts.map((t, i) => ({ ...t, codes: spoil ? t.codes.slice().reverse() : known[i]!.codes }));
    },
  };
  return { coder: { ...base, group }, fast: () => fast, full: () => full };
}

describe("round trip of group coders (decodeEncodedGroup)", () => {
  it("hands every group back with its known tensors (no full decode) and gives the result of a full decode", async () => {
    const plain = await runPipeline({ weights, quantizer: exactTestQuantizer(), coder: groupedRawTestCoder() });
    const t = withFastGroup();
    const fast = await runPipeline({ weights, quantizer: exactTestQuantizer(), coder: t.coder });
    expect(t.fast()).toBeGreaterThan(0);
    expect(t.full()).toBe(0);
    expect(fast.encoded!.bytes).toEqual(plain.encoded!.bytes);
    expect(fast.decoded.map((x) => Array.from(x.data))).toEqual(plain.decoded.map((x) => Array.from(x.data)));
  });

  it("still refuses a fast path that returns other codes", async () => {
    await expect(runPipeline({ weights, quantizer: exactTestQuantizer(), coder: withFastGroup(true).coder })).rejects.toMatchObject({ code: ErrorCodes.INVALID_QUANTIZED });
  });
});

describe("decodeContainerWith (what the round trip already knows)", () => {
  const qm: QuantizedModel = {
    codebooks: [{ kind: "levels", id: "c", levels: Float32Array.of(-1, 0, 1) }],
    tensors: [{ name: "w", shape: [4], codebook: "c", grouping: { kind: "tensor" }, codes: Uint32Array.of(0, 1, 2, 1) } as QuantizedTensor],
  };
  const bytes = encodeContainer(qm, groupedRawTestCoder()).bytes;

  it("checks the CRC of any other array, even one with the same bytes", () => {
    const copy = bytes.slice();
    copy[copy.length - 1]! ^= 1;
    expect(() => decodeContainerWith(copy, () => groupedRawTestCoder(), {}, { bytes, maxes: new Map() })).toThrow(/checksum/);
    const same = bytes.slice();
    expect(crc32(same, 0, same.length - 4)).toBe(new DataView(same.buffer).getUint32(same.length - 4, true));
    expect(decodeContainerWith(same, () => groupedRawTestCoder(), {}, { bytes, maxes: new Map() }).model).toEqual(decodeContainer(bytes, () => groupedRawTestCoder()).model);
  });

  it("still refuses codes outside the codebook in arrays it has no recorded maximum for", () => {
    const bad: QuantizedModel = { ...qm, tensors: [{ ...qm.tensors[0]!, codes: Uint32Array.of(0, 3, 0, 0) }] };
    const b = encodeContainer(bad, groupedRawTestCoder()).bytes;
    expect(() => decodeContainerWith(b, () => groupedRawTestCoder(), {}, { bytes: b, maxes: new Map() })).toThrow(/outside its codebook/);
  });
});

describe("roundTripCoder's byte matching of large streams (the platform's compare)", () => {
  it("matches a copy of a stream it wrote, at any offset, and nothing that differs in one byte", () => {
    const n = (1 << 20) + 13;
    const stream = new Uint8Array(n);
    for (let i = 0; i < n; i++) stream[i] = Math.imul(i, 2654435761) >>> 24;
    let fast = 0,
      full = 0;
    const tensor = { name: "t", shape: [1], codebook: "c", grouping: { kind: "tensor" }, codes: Uint32Array.of(1) } as QuantizedTensor;
    const base: Coder = {
      id: "bytes",
      encode: () => stream,
      decode: () => (full++, tensor),
      decodeEncoded: (_b, known) => (fast++, known),
    };
    const trip = roundTripCoder(base);
    for (const [change, want] of [
      [-1, "fast"],
      [0, "full"],
      [n - 1, "full"],
      [n >> 1, "full"],
    ] as const) {
      trip.encode(tensor, {} as never);
      const held = new Uint8Array(n + 3);
      held.set(stream, 3);
      if (change >= 0) held[3 + change]! ^= 1;
      const [f0, u0] = [fast, full];
      trip.decode(held.subarray(3));
      expect([fast - f0, full - u0], `${change}`).toEqual(want === "fast" ? [1, 0] : [0, 1]);
      if (want === "full") trip.decode(stream); // take the written entry back out
    }
  });
});
