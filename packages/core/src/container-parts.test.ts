import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Codebook } from "./codebook.js";
import { CONTAINER_VERSION, COMPACT_CONTAINER_VERSION, GROUPED_CONTAINER_VERSION, decodeContainer, decodeEncodedContainer, encodeContainer } from "./container.js";
import { crc32 } from "./crc32.js";
import type { Coder } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { groupedRawTestCoder, rawTestCoder } from "./testing/fixtures.js";

const raw = rawTestCoder().create({});
const grouped = groupedRawTestCoder();
const cb: Codebook = { kind: "levels", id: "c", levels: Float32Array.of(-1, 0, 0.5, 2) };

/** `sizes[i]` elements of 4 codes each, so some streams pass ByteWriter's by-reference threshold. */
function model(sizes: readonly number[], seed: number): QuantizedModel {
  const tensors = sizes.map((n, i): QuantizedTensor => ({ name: `t${i}`, shape: [n], codebook: "c", grouping: { kind: "tensor" }, codes: Uint32Array.from({ length: n }, (_, k) => (k * 7 + seed + i) % 4) }));
  return { codebooks: [cb], tensors, passthrough: [{ name: "b", shape: [2], data: Float32Array.of(seed, -0.5) }] };
}

describe("a container coded in parts (issue 18)", () => {
  it("joins its parts into the very bytes a reader checks, and its round trip reads the parts", () => {
    const sizeArb = fc.array(fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1100, max: 3000 })), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(
        sizeArb,
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom<[Coder, 1 | 2 | 3]>([raw, CONTAINER_VERSION], [raw, COMPACT_CONTAINER_VERSION], [grouped, COMPACT_CONTAINER_VERSION], [grouped, GROUPED_CONTAINER_VERSION]),
        (sizes, seed, [coder, version]) => {
          const qm = model(sizes, seed);
          const e = encodeContainer(qm, coder, { seed }, { version });
          const joined = e.parts ? Uint8Array.from(e.parts.flatMap((p) => [...p])) : e.bytes;
          expect(joined).toEqual(e.bytes);
          expect(e.bytes.length).toBe(e.size.totalBytes);
          const body = e.bytes.length - 4;
          expect(crc32(e.bytes, 0, body)).toBe(new DataView(e.bytes.buffer, e.bytes.byteOffset).getUint32(body, true));
          const back = decodeEncodedContainer(e, () => coder, new Map());
          expect(back).toEqual(decodeContainer(e.bytes, () => coder));
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });

  it("holds a large coded stream itself, not a copy", () => {
    const qm = model([3000], 1);
    let stream: Uint8Array | undefined;
    const spy: Coder = { ...raw, id: raw.id, encode: (t, c, f) => (stream = raw.encode(t, c, f)), decode: (b, l) => raw.decode(b, l) };
    const e = encodeContainer(qm, spy);
    expect(stream!.length).toBeGreaterThanOrEqual(4096);
    expect(e.parts).toContain(stream);
  });

  it("still refuses, from its parts, codes outside the codebook it has no recorded maximum for", () => {
    const bad: QuantizedModel = { codebooks: [cb], tensors: [{ name: "w", shape: [4], codebook: "c", grouping: { kind: "tensor" }, codes: Uint32Array.of(0, 5, 0, 0) }] };
    const e = encodeContainer(bad, grouped);
    expect(e.parts).toBeDefined();
    expect(() => decodeEncodedContainer(e, () => grouped, new Map())).toThrow(/outside its codebook/);
  });
});
