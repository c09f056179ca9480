import { describe, expect, it } from "vitest";
import { ByteReader } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { COMPACT_CONTAINER_VERSION, CONTAINER_VERSION, decodeContainer, encodeContainer } from "./container.js";
import { crc32 } from "./crc32.js";
import { DecodeError } from "./errors.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { rawTestCoder } from "./testing/fixtures.js";

const coder = rawTestCoder().create({});
const cb: Codebook = { kind: "levels", id: "hessian-ecsq", levels: Float32Array.from([-1, 0, 0.5, 2]) };
const prefix = "StatefulPartitionedCall/model/conv2d_";
/** A model shaped like a converted tfjs graph: long, shared-prefix names, layers, interleaved biases. */
function graphModel(n: number): { qm: QuantizedModel; order: string[] } {
  const tensors: QuantizedTensor[] = [],
    passthrough = [],
    order: string[] = [];
  for (let i = 0; i < n; i++) {
    const layer = `${prefix}${i}`;
    tensors.push({ name: `${layer}/Conv2D_weights`, shape: [3, 3, 2, 2], layer, layerKind: "conv2d", role: "weight", codebook: cb.id, grouping: { kind: "tensor" }, codes: Uint32Array.from({ length: 36 }, (_, k) => (k * 7 + i) % 4) });
    passthrough.push({ name: `${layer}/Conv2D_bn_offset`, shape: [2], layer, role: "bias" as const, data: Float32Array.from([i, -i]) });
    order.push(`${layer}/Conv2D_weights`, `${layer}/Conv2D_bn_offset`);
  }
  return { qm: { codebooks: [cb], tensors, passthrough }, order };
}
const fixCrc = (b: Uint8Array): Uint8Array => {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
};

describe("compact .qf container (version 2)", () => {
  const { qm, order } = graphModel(60);
  const meta = { quantizer: "hessian-ecsq", seed: 0, tensorOrder: order };
  const v2 = encodeContainer(qm, coder, meta);
  const v1 = encodeContainer(qm, coder, meta, { version: 1 });

  it("is the default, round-trips the model and restores tensorOrder in the metadata", () => {
    expect(v2.bytes[4]).toBe(COMPACT_CONTAINER_VERSION);
    const back = decodeContainer(v2.bytes, () => coder);
    expect(back.metadata).toEqual(meta);
    expect(back.model.tensors).toEqual(qm.tensors);
    expect(back.model.passthrough).toEqual(qm.passthrough);
    expect(back.model.codebooks).toEqual(qm.codebooks);
  });

  it("still decodes version-1 files to the same model", () => {
    expect(v1.bytes[4]).toBe(CONTAINER_VERSION);
    const a = decodeContainer(v1.bytes, () => coder),
      b = decodeContainer(v2.bytes, () => coder);
    expect(a.model).toEqual(b.model);
    expect(a.metadata).toEqual(b.metadata);
  });

  it("spends far fewer header bytes on long shared-prefix names, and its sizes add up", () => {
    for (const e of [v1, v2]) {
      const s = e.size,
        streams = s.tensors.reduce((a, t) => a + t.streamBytes, 0);
      expect(s.headerBytes + s.codebookBytes + streams + s.passthroughBytes).toBe(s.totalBytes);
    }
    // v1 stores every name in its stream, its layer tag and tensorOrder (and passthrough names in
    // their records); v2 once, front-coded, in the header.
    expect(v2.size.totalBytes).toBeLessThan(0.5 * v1.size.totalBytes);
    expect(v2.size.headerBytes + v2.size.passthroughBytes).toBeLessThan(0.25 * (v1.size.headerBytes + v1.size.passthroughBytes));
    for (const [i, t] of v2.size.tensors.entries()) expect(t.streamBytes).toBeLessThanOrEqual(v1.size.tensors[i]!.streamBytes - t.name.length);
  });

  it("keeps a tensorOrder that is not a permutation of the stored names in the JSON", () => {
    const odd = { tensorOrder: ["x", "y"] };
    expect(decodeContainer(encodeContainer(qm, coder, odd).bytes, () => coder).metadata).toEqual(odd);
  });

  it("rejects string, codebook and order indices out of range, and corrupt front coding (checksum fixed up)", () => {
    const small = encodeContainer(graphModel(2).qm, coder, { tensorOrder: graphModel(2).order }).bytes;
    // Every single-byte change after the head is a DecodeError or a well-formed model, never a crash.
    for (let i = 8; i < small.length - 4; i++) {
      for (const delta of [1, 0x40, 0x80]) {
        const b = small.slice();
        b[i] = (b[i]! + delta) & 0xff;
        try {
          decodeContainer(fixCrc(b), () => coder);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }
    }
    const r = new ByteReader(small);
    expect(r.end).toBe(small.length);
  });
});
