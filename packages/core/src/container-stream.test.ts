import { describe, expect, it } from "vitest";
import { ContainerEncoder, assembleContainer } from "./container-stream.js";
import { decodeContainer, encodeContainer } from "./container.js";
import { createRunContext } from "./context.js";
import { InvalidQuantizedError } from "./errors.js";
import { coarseTestQuantizer, rawTestCoder } from "./testing/fixtures.js";
import { instantiate } from "./plugin.js";
import type { QuantizedModel } from "./quantized.js";
import { codebookMap } from "./validate.js";

const weights = [
  { name: "a", shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), role: "weight" as const, layer: "l1", layerKind: "dense" as const },
  { name: "b", shape: [5], data: Float32Array.from({ length: 5 }, (_, i) => i * 0.25 - 0.5) },
];
const bias = { name: "c", shape: [2], data: Float32Array.of(1.5, -2), role: "bias" as const, layer: "l1" };

async function model(): Promise<QuantizedModel> {
  const q = await instantiate(coarseTestQuantizer()).quantize(weights, createRunContext());
  return { ...q, passthrough: [bias] };
}

describe("ContainerEncoder", () => {
  it("in version 1, produces byte-identical containers and sizes to encodeContainer", async () => {
    const qm = await model();
    const coder = instantiate(rawTestCoder());
    const whole = encodeContainer(qm, coder, { k: 1 }, { version: 1 });
    // Version 2 became the default (issue 19); the classic layout is still written on request.
    const enc = new ContainerEncoder(coder, { k: 1 }, { version: 1 });
    const cbs = codebookMap(qm);
    const recs = qm.tensors.map((t) => enc.tensorRecord(t, cbs.get(t.codebook)!));
    const pts = qm.passthrough!.map((t) => enc.passthroughRecord(t));
    const bytes = assembleContainer([enc.head(), ...recs, enc.middle(), ...pts, enc.tail()]);
    expect(bytes).toEqual(whole.bytes);
    expect(enc.size()).toEqual(whole.size);
    const back = decodeContainer(bytes, () => coder).model;
    expect(back.tensors.map((t) => t.name)).toEqual(["a", "b"]);
    expect(back.passthrough?.[0]?.data).toEqual(bias.data);
  });

  it("writes version 2 by default: the same model, tensorOrder and sizes that add up, in fewer bytes than version 1", async () => {
    const qm = await model();
    const coder = instantiate(rawTestCoder());
    const meta = { k: 1, tensorOrder: ["c", "b", "a"] };
    const enc = new ContainerEncoder(coder, meta);
    const cbs = codebookMap(qm);
    const recs = qm.tensors.map((t) => enc.tensorRecord(t, cbs.get(t.codebook)!, coder.encode(t, cbs.get(t.codebook)!)));
    const pts = qm.passthrough!.map((t) => enc.passthroughRecord(t));
    const bytes = assembleContainer([enc.head(), ...recs, enc.middle(), ...pts, enc.tail()]);
    expect(bytes[4]).toBe(2);
    const back = decodeContainer(bytes, () => coder);
    const whole = encodeContainer(qm, coder, meta, { version: 2 });
    expect(back.model).toEqual(decodeContainer(whole.bytes, () => coder).model);
    expect(back.metadata).toEqual(meta);
    const s = enc.size();
    expect(s.totalBytes).toBe(bytes.length);
    expect(s.headerBytes + s.codebookBytes + s.passthroughBytes + s.tensors.reduce((a, t) => a + t.streamBytes, 0)).toBe(s.totalBytes);
    expect(bytes.length).toBeLessThan(encodeContainer(qm, coder, meta, { version: 1 }).bytes.length);
  });

  it("in version 2, renames the caller's stream when the coder can (renameStream) instead of coding the tensor again: same bytes", async () => {
    const qm = await model();
    const raw = instantiate(rawTestCoder());
    const renames: string[] = [];
    // A coder whose streams carry the name and codebook id in front of a nameless raw stream:
    // renaming swaps that prefix; encode counts its calls.
    let encodes = 0;
    const prefixed = (name: string, codebook: string, body: Uint8Array) => {
      const head = new TextEncoder().encode(`${name}\0${codebook}\0`);
      const out = new Uint8Array(head.length + body.length);
      out.set(head);
      out.set(body, head.length);
      return out;
    };
    const rest = (b: Uint8Array) => b.subarray(b.indexOf(0, b.indexOf(0) + 1) + 1);
    const named: typeof raw = {
      id: raw.id,
      encode(t, cb) {
        encodes++;
        return prefixed(t.name, t.codebook, raw.encode({ ...t, name: "", codebook: "" }, { ...cb, id: "" }));
      },
      decode: (b) => raw.decode(rest(b)),
      renameStream(b, name, codebook) {
        renames.push(`${name}|${codebook}`);
        return prefixed(name, codebook, rest(b));
      },
    };
    const cbs = codebookMap(qm);
    const withStreams = new ContainerEncoder(named, { k: 1 });
    const recs = qm.tensors.map((t) => withStreams.tensorRecord(t, cbs.get(t.codebook)!, named.encode(t, cbs.get(t.codebook)!)));
    expect(renames).toEqual(["|", "|"]);
    expect(encodes).toBe(2); // the caller's two streams; none by the encoder
    const coded = new ContainerEncoder(named, { k: 1 });
    const recs2 = qm.tensors.map((t) => coded.tensorRecord(t, cbs.get(t.codebook)!));
    expect(encodes).toBe(4);
    expect(recs).toEqual(recs2);
  });

  it("rejects records after the head and conflicting codebooks", async () => {
    const qm = await model();
    const coder = instantiate(rawTestCoder());
    const enc = new ContainerEncoder(coder);
    const cb = qm.codebooks[0]!;
    enc.tensorRecord(qm.tensors[0]!, cb);
    const other = { ...qm.tensors[1]!, codebook: cb.id };
    const changed = { ...cb, levels: Float32Array.of(9, 9, 9, 9) } as typeof cb;
    expect(() => enc.tensorRecord(other, changed)).toThrow(InvalidQuantizedError);
    enc.head();
    expect(() => enc.passthroughRecord(bias)).toThrow(/head was already produced/);
  });
});
