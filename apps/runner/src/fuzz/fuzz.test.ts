/**
 * Fuzz suite of issue 16: structure-aware mutations of valid safetensors, `.qf`, tfjs
 * model.json (+ shards) and ONNX (+ external data) files, each run in-process against the real
 * readers and decoders. Every case must end in success or a typed QuantforgeError, read no file
 * outside its sandbox folder (every path given to `fs`/`fs/promises` is recorded through the
 * mocks below), stay within a time budget and grow memory by less than 600 MB. Counts of cases
 * run and failures found are printed at the end (the CI log shows them).
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isQuantforgeError, type Codebook, type QuantizedModel } from "@quantforge/core";
import { ByteWriter, encodeContainer } from "@quantforge/core/format";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { loadSafetensors } from "@quantforge/io-safetensors";
import { loadTfjsWeights } from "@quantforge/io-tfjs";
import { writeGraphModel } from "@quantforge/io-tfjs/testing";
import { loadOnnxWeights } from "@quantforge/io-onnx";
import { buildOnnxModel } from "@quantforge/io-onnx/testing";
import { createRootContainer } from "../container.js";
import { decodeQfBytes } from "../decode.js";
import { builtinPlugins } from "../plugins.js";
import { codebookBytes, huffmanBombStream, ONE_LEVEL, onnxModel, rawContainer, rawSafetensors, sparseFixedBombStream, withCrc } from "./hostile.js";

// Records every path handed to the file system while `recording` is on.
const reads = vi.hoisted(() => ({ on: false, paths: [] as string[] }));
vi.mock("node:fs/promises", async (orig) => {
  const m = (await orig()) as Record<string, unknown>;
  const wrap = (f: unknown) =>
    typeof f !== "function"
      ? f
      : (...a: unknown[]) => {
          if (reads.on && (typeof a[0] === "string" || a[0] instanceof URL)) reads.paths.push(String(a[0]));
          return (f as (...x: unknown[]) => unknown)(...a);
        };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = ["open", "readFile", "realpath", "stat", "lstat", "opendir", "readdir", "access"].includes(k) ? wrap(v) : v;
  return { ...out, default: out };
});
vi.mock("node:fs", async (orig) => {
  const m = (await orig()) as Record<string, unknown>;
  const wrap = (f: unknown) =>
    typeof f !== "function"
      ? f
      : (...a: unknown[]) => {
          if (reads.on && (typeof a[0] === "string" || a[0] instanceof URL)) reads.paths.push(String(a[0]));
          return (f as (...x: unknown[]) => unknown)(...a);
        };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = ["openSync", "readFileSync", "realpathSync", "statSync", "lstatSync", "readdirSync", "createReadStream", "existsSync", "open", "readFile"].includes(k) ? wrap(v) : v;
  return { ...out, default: out };
});

const MEMORY_CAP = 600 * 1024 * 1024;
const CASE_MS = 5_000;
let root: string, sandbox: string;
const stats = { run: 0, failures: [] as string[] };
const { registry } = createRootContainer(builtinPlugins());

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "qf-fuzz-")));
  sandbox = join(root, "model");
  await mkdir(sandbox);
  // Bait outside the sandbox: a reader that follows ../ or an absolute path reads it.
  await writeFile(join(root, "outside.bin"), new Uint8Array(4096).fill(7));
  await symlink(join(root, "outside.bin"), join(root, "link-target-outside"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  console.log(`fuzz: ${stats.run} cases run, ${stats.failures.length} failures${stats.failures.length ? `:\n  ${stats.failures.slice(0, 20).join("\n  ")}` : ""}`);
});

function inside(p: string): boolean {
  const abs = resolve(sandbox, p);
  return abs === sandbox || abs.startsWith(sandbox + sep);
}

/**
 * Runs `fn` once with the checks of the suite. Returns a problem (recorded as a finding) or
 * undefined; the property asserts there is none.
 */
async function check(label: string, fn: () => Promise<unknown> | unknown): Promise<string | undefined> {
  stats.run++;
  reads.paths.length = 0;
  const before = process.memoryUsage();
  const t0 = performance.now();
  let problem: string | undefined;
  reads.on = true;
  try {
    await fn();
  } catch (e) {
    if (!isQuantforgeError(e)) problem = `untyped ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 160)}`;
  } finally {
    reads.on = false;
  }
  const after = process.memoryUsage();
  const ms = performance.now() - t0;
  const outside = reads.paths.filter((p) => !inside(p));
  if (!problem && outside.length > 0) problem = `read outside the sandbox: ${outside.slice(0, 3).join(", ")}`;
  if (!problem && ms > CASE_MS) problem = `took ${ms.toFixed(0)} ms`;
  const grew = Math.max(after.rss - before.rss, after.arrayBuffers - before.arrayBuffers);
  if (!problem && grew > MEMORY_CAP) problem = `memory grew by ${(grew / 2 ** 20).toFixed(0)} MiB`;
  if (problem) stats.failures.push(`${label}: ${problem}`);
  return problem;
}

const dimArb = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(2 ** 20, 2 ** 30, 2 ** 32, 2 ** 53 - 1, -1, 1.5), fc.nat());
const shapeArb = fc.array(dimArb, { maxLength: 40 });

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
        const p = join(sandbox, "w.safetensors");
        await writeFile(p, rawSafetensors(header, data));
        expect(await check("safetensors header", () => loadSafetensors(p))).toBeUndefined();
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
        const p = join(sandbox, "m.safetensors");
        await writeFile(p, b);
        expect(await check("safetensors bytes", () => loadSafetensors(p))).toBeUndefined();
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
      const p = coder === "fixed" ? fixedCoder() : huffmanCoder();
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
          expect(await check(".qf structure", () => decodeQfBytes(bytes, registry))).toBeUndefined();
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
      const p = id === "fixed" ? fixedCoder() : huffmanCoder();
      return encodeContainer(qm, p.create(p.parseOptions({})), { quantizer: "x" }).bytes;
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.boolean(), async (which, edits, cut) => {
        const v = valid[which]!;
        const body = v.slice(0, v.length - 4);
        for (const [i, b] of edits) body[i % body.length] = b;
        const bytes = withCrc(cut ? body.subarray(0, body.length - (edits[0]![0] % body.length)) : body);
        expect(await check(".qf bytes", () => decodeQfBytes(bytes, registry))).toBeUndefined();
      }),
      { numRuns: 500, seed: 19 },
    );
  });
});

describe("tfjs model.json + shards", () => {
  let validJson: Record<string, unknown>;
  beforeAll(async () => {
    const p = await writeGraphModel(sandbox);
    validJson = JSON.parse(await (await import("node:fs/promises")).readFile(p, "utf8")) as Record<string, unknown>;
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
          const p = join(sandbox, "fuzz-model.json");
          await writeFile(p, JSON.stringify(json));
          expect(await check("tfjs manifest", () => loadTfjsWeights(p))).toBeUndefined();
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
        const p = join(sandbox, "deep-model.json");
        await writeFile(p, rest.replace('"modelTopology":0', `"modelTopology":${topology}`));
        expect(await check(`tfjs topology depth ${depth}`, () => loadTfjsWeights(p))).toBeUndefined();
      }),
      { numRuns: 12, seed: 21 },
    );
  });
});

describe("ONNX (+ external data)", () => {
  beforeAll(async () => {
    await writeFile(join(sandbox, "ext.bin"), new Uint8Array(64).fill(1));
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
        const p = join(sandbox, "fuzz.onnx");
        await writeFile(p, onnxModel(inits));
        expect(await check("onnx initializers", () => loadOnnxWeights(p))).toBeUndefined();
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
        const p = join(sandbox, "bytes.onnx");
        await writeFile(p, b);
        expect(await check("onnx bytes", () => loadOnnxWeights(p))).toBeUndefined();
      }),
      { numRuns: 300, seed: 23 },
    );
  });
});

it("the recording mocks see the readers' file accesses (the sandbox check can fail)", async () => {
  const p = join(sandbox, "probe.safetensors");
  await writeFile(p, rawSafetensors({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  reads.paths.length = 0;
  reads.on = true;
  try {
    await loadSafetensors(p);
  } finally {
    reads.on = false;
  }
  expect(reads.paths).toContain(p);
  void ByteWriter;
});
