/**
 * Fuzz suite of issue 16, part 1: structure-aware mutations of valid safetensors and `.qf` files,
 * each run in-process against the real readers and decoders under the checks of fuzz-harness.ts
 * (typed errors only, nothing read outside the sandbox, time and memory caps). Part 2 (tfjs
 * model.json + shards, ONNX + external data) is fuzz-models.test.ts.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { Codebook, CoderPlugin, QuantizedModel } from "@quantforge/core";
import { encodeContainer } from "@quantforge/core/format";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { loadSafetensors } from "@quantforge/io-safetensors";
import { createRootContainer } from "../container.js";
import { decodeQfBytes } from "../decode.js";
import { builtinPlugins } from "../plugins.js";
import { reads } from "./fs-recorder.js";
import { dimArb, fuzzSuite, shapeArb } from "./fuzz-harness.js";
import { codebookBytes, huffmanBombStream, ONE_LEVEL, rawContainer, rawSafetensors, sparseFixedBombStream, withCrc } from "./hostile.js";

// Every path handed to the file system is recorded while a case runs (fs-recorder.ts); the mocks
// must be declared in the test file itself, so each fuzz suite repeats these two.
vi.mock("node:fs/promises", async (orig) => {
  const r = await import("./fs-recorder.js");
  return r.recordingFs(await orig(), r.FS_PROMISES_FNS);
});
vi.mock("node:fs", async (orig) => {
  const r = await import("./fs-recorder.js");
  return r.recordingFs(await orig(), r.FS_FNS);
});

const fx = fuzzSuite("safetensors, .qf");
const { registry } = createRootContainer(builtinPlugins());

describe("safetensors", () => {
  const dtypeArb = fc.constantFrom("F32", "F16", "BF16", "F64", "I8", "U8", "I64", "BOOL", "F8_E4M3", "X", 7);
  const entryArb = fc.record({
    dtype: dtypeArb,
    shape: fc.oneof(shapeArb, fc.constant(null), fc.constant("1,2")),
    data_offsets: fc.oneof(fc.tuple(fc.nat({ max: 64 }), fc.nat({ max: 64 })), fc.tuple(fc.nat(), fc.nat()), fc.tuple(fc.constant(0), fc.constantFrom(2 ** 53, 2 ** 40))),
  });
  it("headers with arbitrary names, dtypes, shapes and offsets: typed errors only", async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 12 }), entryArb, { maxKeys: 6 }), fc.uint8Array({ maxLength: 64 }), async (header, data) => {
        const p = join(fx.sandbox, "w.safetensors");
        await writeFile(p, rawSafetensors(header, data));
        expect(await fx.check("safetensors header", () => loadSafetensors(p))).toBeUndefined();
      }),
      { numRuns: 300, seed: 16 },
    );
  });
  it("byte mutations of a valid file (length prefix, JSON, data): typed errors only", async () => {
    const valid = rawSafetensors({ a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: "F16", shape: [4], data_offsets: [16, 24] } }, new Uint8Array(24).fill(60));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat({ max: valid.length }), async (edits, cut) => {
        const b = valid.slice(0, Math.max(cut, 1) === valid.length ? valid.length : cut || valid.length);
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        const p = join(fx.sandbox, "m.safetensors");
        await writeFile(p, b);
        expect(await fx.check("safetensors bytes", () => loadSafetensors(p))).toBeUndefined();
      }),
      { numRuns: 300, seed: 17 },
    );
  });
});

describe(".qf containers", () => {
  const f32 = fc.float32Array({ minLength: 0, maxLength: 4 });
  const codebookArb: fc.Arbitrary<Codebook> = fc.oneof(
    fc.record({ kind: fc.constant("levels" as const), id: fc.constantFrom("c", "d"), levels: f32 }),
    fc.record({ kind: fc.constant("affine" as const), id: fc.constantFrom("c", "d"), levels: fc.constantFrom(1, 2, 16, 2 ** 32, 2 ** 40, 2 ** 53 - 1), scale: f32, zeroPoint: f32 }),
    fc.record({ kind: fc.constant("grid" as const), id: fc.constantFrom("c", "d"), levels: fc.constantFrom(1, 3, 2 ** 33), xMax: fc.float(), midtread: fc.boolean(), sigma: f32, mu: f32 }),
  );
  /** A stream with header fields rewritten and its CRC fixed, so the parser (not the CRC) sees it. */
  const streamArb = fc.oneof(
    fc.constantFrom(2 ** 20, 2 ** 30, 2 ** 32, 2 ** 53 - 1, 0, 7).map((n) => huffmanBombStream(n)),
    fc.constantFrom(2 ** 20, 2 ** 28, 2 ** 32, 2 ** 40).map((n) => sparseFixedBombStream(n)),
    fc.tuple(fc.constantFrom("fixed", "huffman"), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 })).map(([coder, edits, codes]) => {
      const qm: QuantizedModel = {
        codebooks: [{ kind: "levels", id: "c", levels: Float32Array.of(-1, 0, 0.5, 1) }],
        tensors: [{ name: "w", shape: [codes.length], codebook: "c", grouping: { kind: "tensor" }, codes: Uint32Array.from(codes) }],
      };
      const p: CoderPlugin = coder === "fixed" ? fixedCoder() : huffmanCoder();
      const s = p.create(p.parseOptions({})).encode(qm.tensors[0]!, qm.codebooks[0]!);
      const body = s.slice(0, s.length - 4);
      for (const [i, v] of edits) body[i % body.length] = v;
      return withCrc(body);
    }),
  );
  it("structure-aware containers (codebooks, streams, passthrough, flags, metadata): typed errors only", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          coder: fc.constantFrom("fixed", "huffman", "nope"),
          metadata: fc.constantFrom("{}", "null", "[]", "1", "{bad", '{"tensorOrder":["w"]}', '{"__proto__":{"x":1}}'),
          flags: fc.constantFrom(0, 0, 0, 1, 0xffff),
          codebooks: fc.array(fc.oneof(codebookArb.map(codebookBytes), fc.uint8Array({ maxLength: 24 })), { maxLength: 3 }),
          streams: fc.array(streamArb, { maxLength: 4 }),
          passthrough: fc.array(fc.record({ name: fc.string({ maxLength: 6 }), shape: fc.array(dimArb, { maxLength: 34 }), data: f32 }), { maxLength: 2 }),
        }),
        async (c) => {
          const bytes = rawContainer(c);
          expect(await fx.check(".qf structure", () => decodeQfBytes(bytes, registry))).toBeUndefined();
        },
      ),
      { numRuns: 400, seed: 18 },
    );
  });
  it("byte mutations of valid containers with the CRC fixed: typed errors only", async () => {
    const qm: QuantizedModel = {
      codebooks: [{ kind: "affine", id: "a", levels: 16, scale: Float32Array.of(0.1, 0.2), zeroPoint: Float32Array.of(8, 7) }, ONE_LEVEL],
      tensors: [
        { name: "w", shape: [2, 8], codebook: "a", grouping: { kind: "channel", axis: 0 }, codes: Uint32Array.from({ length: 16 }, (_, i) => i) },
        { name: "s", shape: [64], codebook: "c", grouping: { kind: "tensor" }, codes: new Uint32Array(3), sparse: { positions: Uint32Array.of(1, 9, 40) } },
      ],
      passthrough: [{ name: "b", shape: [3], data: Float32Array.of(1, 2, 3) }],
    };
    const valid = ["fixed", "huffman"].map((id) => {
      const p: CoderPlugin = id === "fixed" ? fixedCoder() : huffmanCoder();
      return encodeContainer(qm, p.create(p.parseOptions({})), { quantizer: "x" }).bytes;
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.boolean(), async (which, edits, cut) => {
        const v = valid[which]!;
        const body = v.slice(0, v.length - 4);
        for (const [i, b] of edits) body[i % body.length] = b;
        const bytes = withCrc(cut ? body.subarray(0, body.length - (edits[0]![0] % body.length)) : body);
        expect(await fx.check(".qf bytes", () => decodeQfBytes(bytes, registry))).toBeUndefined();
      }),
      { numRuns: 500, seed: 19 },
    );
  });
});

it("the recording mocks see the readers' file accesses (the sandbox check can fail)", async () => {
  const p = join(fx.sandbox, "probe.safetensors");
  await writeFile(p, rawSafetensors({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  reads.paths.length = 0;
  reads.on = true;
  try {
    await loadSafetensors(p);
  } finally {
    reads.on = false;
  }
  expect(reads.paths).toContain(p);
});
