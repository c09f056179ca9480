/**
 * Fuzz suite of issue 16, part 2: mutations of valid tfjs model.json (+ shards) and ONNX (+
 * external data) files, each run in-process against the real readers under the checks of
 * fuzz-harness.ts (typed errors only, nothing read outside the sandbox, time and memory caps).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { loadOnnxWeights } from "@quantforge/io-onnx";
import { buildOnnxModel } from "@quantforge/io-onnx/testing";
import { loadTfjsWeights } from "@quantforge/io-tfjs";
import { writeGraphModel } from "@quantforge/io-tfjs/testing";
import { reads } from "./fs-recorder.js";
import { dimArb, fuzzSuite, shapeArb } from "./fuzz-harness.js";
import { onnxModel } from "./hostile.js";

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

const fx = fuzzSuite("tfjs, ONNX");

describe("tfjs model.json + shards", () => {
  let validJson: Record<string, unknown>;
  beforeAll(async () => {
    const p = await writeGraphModel(fx.sandbox);
    validJson = JSON.parse(await readFile(p, "utf8")) as Record<string, unknown>;
  });
  const pathArb = fc.constantFrom(
    "group1-shard1of2.bin",
    "../outside.bin",
    "/etc/passwd",
    `${"../".repeat(12)}etc/passwd`,
    "sub/../../outside.bin",
    "../link-target-outside",
    "",
    "model.json",
    ".",
    "\u0000x",
    "C:\\x.bin",
    "%2e%2e/outside.bin",
  );
  it("manifest paths, shapes, dtypes and quantization: typed errors only, nothing read outside", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          paths: fc.array(pathArb, { minLength: 1, maxLength: 3 }),
          group: fc.nat({ max: 1 }),
          weight: fc.nat({ max: 4 }),
          shape: fc.option(shapeArb),
          dtype: fc.option(fc.constantFrom("float32", "int32", "uint8", "float16", "bool", "string", "complex64", "x")),
          quant: fc.option(fc.record({ dtype: fc.constantFrom("uint8", "uint16", "float16", "int8"), scale: fc.double(), min: fc.double() })),
        }),
        async (m) => {
          const json = structuredClone(validJson) as { weightsManifest: { paths: string[]; weights: Record<string, unknown>[] }[] };
          const g = json.weightsManifest[m.group % json.weightsManifest.length]!;
          g.paths = m.paths;
          const w = g.weights[m.weight % g.weights.length]!;
          if (m.shape) w.shape = m.shape;
          if (m.dtype) w.dtype = m.dtype;
          if (m.quant) w.quantization = m.quant;
          const p = join(fx.sandbox, "fuzz-model.json");
          await writeFile(p, JSON.stringify(json));
          expect(await fx.check("tfjs manifest", () => loadTfjsWeights(p))).toBeUndefined();
        },
      ),
      { numRuns: 250, seed: 20 },
    );
  });
  it("deep modelTopology and JSON mutations: typed errors only", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200_000 }), fc.boolean(), async (depth, layers) => {
        // Built as text: JSON.stringify of the nested object would itself overflow the stack.
        const [open, close] = layers ? ['{"config":{"layers":[', "]}}"] : ['{"node":[', "]}"];
        const topology = `${open.repeat(depth)}{"name":"leaf"}${close.repeat(depth)}`;
        const rest = JSON.stringify({ ...validJson, modelTopology: 0 });
        const p = join(fx.sandbox, "deep-model.json");
        await writeFile(p, rest.replace('"modelTopology":0', `"modelTopology":${topology}`));
        expect(await fx.check(`tfjs topology depth ${depth}`, () => loadTfjsWeights(p))).toBeUndefined();
      }),
      { numRuns: 12, seed: 21 },
    );
  });
});

describe("ONNX (+ external data)", () => {
  beforeAll(async () => {
    await writeFile(join(fx.sandbox, "ext.bin"), new Uint8Array(64).fill(1));
  });
  const insideLocArb = fc.constantFrom("ext.bin", "", "missing.bin", "sub/../ext.bin", ".");
  const escapingLocArb = fc.constantFrom("../outside.bin", "/etc/passwd", `${"../".repeat(12)}etc/passwd`, "../link-target-outside");
  const initsArb = (locArb: fc.Arbitrary<string>) =>
    fc.array(
      fc.record({
        name: fc.constantFrom("w", "b", "__proto__", "constructor", "w"),
        dims: fc.array(dimArb, { maxLength: 34 }),
        dataType: fc.constantFrom(1, 10, 16, 7, 6, 9, 0, 99),
        raw: fc.option(fc.uint8Array({ maxLength: 32 }), { nil: undefined }),
        external: fc.option(fc.record({ location: locArb, offset: fc.option(fc.constantFrom(0, 4, 60, 2 ** 40, -1), { nil: undefined }), length: fc.option(fc.constantFrom(0, 4, 16, 64, 2 ** 40), { nil: undefined }) }), { nil: undefined }),
      }),
      { maxLength: 4 },
    );
  const property = (locArb: fc.Arbitrary<string>, seed: number) =>
    fc.assert(
      fc.asyncProperty(initsArb(locArb), async (inits) => {
        const p = join(fx.sandbox, "fuzz.onnx");
        await writeFile(p, onnxModel(inits));
        expect(await fx.check("onnx initializers", () => loadOnnxWeights(p))).toBeUndefined();
      }),
      { numRuns: 300, seed },
    );
  it("initializers with arbitrary dims, types and external locations inside the folder: typed errors only", () => property(insideLocArb, 22));
  // Issue 16 item 2: `../`, absolute and symlinked external-data locations are refused unread.
  it("external locations that leave the folder are refused without reading outside", () => property(escapingLocArb, 24));
  it("byte mutations of a valid model: typed errors only", async () => {
    const valid = buildOnnxModel();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), async (edits, cut) => {
        const b = valid.slice(0, valid.length - (cut % 8 === 0 ? cut % valid.length : 0));
        for (const [i, v] of edits) b[i % b.length] = v;
        const p = join(fx.sandbox, "bytes.onnx");
        await writeFile(p, b);
        expect(await fx.check("onnx bytes", () => loadOnnxWeights(p))).toBeUndefined();
      }),
      { numRuns: 300, seed: 23 },
    );
  });
});

it("the recording mocks see the tfjs reader's file accesses (the sandbox check can fail)", async () => {
  const p = await writeGraphModel(fx.sandbox);
  reads.paths.length = 0;
  reads.on = true;
  try {
    await loadTfjsWeights(p);
  } finally {
    reads.on = false;
  }
  expect(reads.paths).toContain(p);
});
