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

/** `c` handing out the same stream and group objects for the same tensors (as the runner's precoded ones), and what it coded. */
function memoized(c: Coder): { coder: Coder; coded: () => Uint8Array[] } {
  const streams = new Map<string, Uint8Array>(),
    groups = new Map<string, ReturnType<NonNullable<Coder["group"]>["encodeGroup"]>>();
  const coder: Coder = {
    id: c.id,
    encode: (t, cb, f) => streams.get(t.name) ?? streams.set(t.name, c.encode(t, cb, f)).get(t.name)!,
    decode: (b, l) => c.decode(b, l),
    ...(c.group
      ? {
          group: {
            ...c.group,
            encodeGroup: (ts, cb) => {
              const k = `${cb.id}:${ts.map((t) => t.name).join(",")}`;
              return groups.get(k) ?? groups.set(k, c.group!.encodeGroup(ts, cb)).get(k)!;
            },
          },
        }
      : {}),
  };
  return { coder, coded: () => [...streams.values(), ...[...groups.values()].map((g) => g.bytes)] };
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

  it("combines known CRCs of its streams into the same checksum, and takes them as given", () => {
    for (const [base, version] of [
      [raw, COMPACT_CONTAINER_VERSION],
      [grouped, GROUPED_CONTAINER_VERSION],
    ] as const) {
      const qm = model([3000, 20, 2500], 4);
      const m = memoized(base);
      const plain = encodeContainer(qm, m.coder, {}, { version });
      const known = new Map(m.coded().map((b) => [b, crc32(b)] as const));
      const combined = encodeContainer(qm, m.coder, {}, { version, knownCrc32: known });
      expect(combined.bytes).toEqual(plain.bytes);
      // Taken as given: a wrong CRC for a stream held by reference changes the checksum, nothing else.
      const big = m.coded().find((b) => b.length >= 4096)!;
      const wrong = encodeContainer(qm, m.coder, {}, { version, knownCrc32: new Map([[big, (known.get(big)! ^ 1) >>> 0]]) });
      expect(wrong.bytes.subarray(0, -4)).toEqual(plain.bytes.subarray(0, -4));
      expect(wrong.bytes.subarray(-4)).not.toEqual(plain.bytes.subarray(-4));
    }
  });

  it("still refuses, from its parts, codes outside the codebook it has no recorded maximum for", () => {
    const bad: QuantizedModel = { codebooks: [cb], tensors: [{ name: "w", shape: [4], codebook: "c", grouping: { kind: "tensor" }, codes: Uint32Array.of(0, 5, 0, 0) }] };
    const e = encodeContainer(bad, grouped);
    expect(e.parts).toBeDefined();
    expect(() => decodeEncodedContainer(e, () => grouped, new Map())).toThrow(/outside its codebook/);
  });
});
