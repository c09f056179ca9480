import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ByteReader, ByteWriter } from "./bytes.js";
import { dequantizeTensor } from "./codebook-impl.js";
import { compare } from "./compare.js";
import { crc32 } from "./crc32.js";
import { DecodeError, ErrorCodes, ShapeMismatchError } from "./errors.js";
import { perTensorQuantizer } from "./lift.js";
import { pipeline, runPipeline } from "./pipeline.js";
import { defineCoder, defineEvaluator, defineQuantizer, type Coder, type Metric } from "./plugin.js";
import type { QuantizedTensor } from "./quantized.js";
import { summarizeRun } from "./report.js";
import { assertSomethingToQuantize, defaultSelector, tallySelection } from "./selection.js";
import type { WeightSet } from "./tensor.js";

/** Tiny b-bit min/max affine quantizer (options: bits; `jitter` lets the seed pick one code). */
const tinyQuantizer = defineQuantizer({
  id: "tiny",
  version: "0.0.1",
  description: "min/max affine",
  options: z.object({ bits: z.number().int().min(1).max(8).default(2), fail: z.boolean().default(false), jitter: z.boolean().default(false) }),
  create: (o) =>
    perTensorQuantizer("tiny", (t, ctx) => {
      if (o.fail) throw new ShapeMismatchError(`tiny refuses "${t.name}".`);
      let lo = Infinity,
        hi = -Infinity;
      for (const v of t.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const levels = 2 ** o.bits;
      const scale = Math.fround(hi > lo ? (hi - lo) / (levels - 1) : 1);
      const zp = Math.round(-lo / scale);
      const codes = new Uint32Array(t.data.length);
      t.data.forEach((v, i) => {
        codes[i] = Math.min(levels - 1, Math.max(0, Math.round(v / scale + zp)));
      });
      // The seed decides one code so determinism and seed plumbing are observable.
      if (o.jitter && codes.length) codes[0] = ctx.rng.fork(t.name).int(0, levels - 1);
      return { codebook: { kind: "affine", levels, scale: Float32Array.from([scale]), zeroPoint: Float32Array.from([zp]) }, codes, grouping: { kind: "tensor" } };
    }),
});

/** Tiny coder: u8 codes, dense only, with a CRC. */
const tinyCoder = defineCoder({
  id: "tiny-u8",
  version: "0.0.1",
  description: "u8 codes",
  options: z.object({}),
  create: (): Coder => ({
    id: "tiny-u8",
    encode(t: QuantizedTensor) {
      const w = new ByteWriter().str(t.name).str(t.codebook).varint(t.shape.length);
      t.shape.forEach((d) => w.varint(d));
      w.varint(t.codes.length).bytes(Uint8Array.from(t.codes));
      const b = w.finish();
      return new ByteWriter().bytes(b).u32(crc32(b)).finish();
    },
    decode(bytes) {
      if (bytes.length < 4 || crc32(bytes, 0, bytes.length - 4) !== new ByteReader(bytes, bytes.length - 4).u32()) throw new DecodeError("tiny-u8: bad checksum.");
      const r = new ByteReader(bytes, 0, bytes.length - 4);
      const name = r.str(),
        codebook = r.str(),
        shape = Array.from({ length: r.varint() }, () => r.varint());
      const codes = Uint32Array.from(r.bytes(r.varint()));
      return { name, shape, codebook, grouping: { kind: "tensor" }, codes };
    },
  }),
});

/** Tiny evaluator: per-tensor and overall squared error. */
const tinyEvaluator = defineEvaluator({
  id: "tiny-mse",
  version: "0.0.1",
  description: "mse",
  options: z.object({}),
  create: () => ({
    id: "tiny-mse",
    scope: "tensor" as const,
    evaluate(s) {
      const out: Metric[] = [];
      let all = 0,
        n = 0;
      s.original.forEach((t, i) => {
        if (!s.quantizedNames.has(t.name)) return;
        let e = 0;
        t.data.forEach((v, k) => {
          e += (v - s.decoded[i]!.data[k]!) ** 2;
        });
        all += e;
        n += t.data.length;
        out.push(e === 0 ? { name: "mse", tensor: t.name, value: 0, exact: true } : { name: "mse", tensor: t.name, value: e / t.data.length });
        out.push({ name: "note", tensor: t.name, value: null, reason: "not computed" });
      });
      out.push({ name: "mse", value: all / n }, { name: "bytes", value: s.encoded?.totalBytes ?? null, ...(s.encoded ? {} : { reason: "not coded" }) });
      return out;
    },
  }),
});

const weights: WeightSet = [
  { name: "w1", shape: [2, 4], data: Float32Array.from([-1, -0.5, 0, 0.25, 0.5, 0.75, 1, 2]), role: "weight" },
  { name: "b1", shape: [4], data: Float32Array.from([0.1, 0.2, 0.3, 0.4]), role: "bias" },
  { name: "w2", shape: [3], data: Float32Array.from([0, 0, 0]), role: "weight" },
];

describe("runPipeline", () => {
  it("quantizes, codes, decodes, dequantizes and evaluates; biases stay float32", async () => {
    const progress: string[] = [];
    const r = await pipeline({ seed: 7, progress: { update: (t, d, n) => progress.push(`${t}:${d}/${n}`) } })
      .weights(weights)
      .quantize({ plugin: tinyQuantizer, options: { bits: 3 } })
      .code(tinyCoder)
      .evaluate(tinyEvaluator)
      .run();
    expect(r.seed).toBe(7);
    expect(r.quantizer).toEqual({ id: "tiny", options: { bits: 3, fail: false, jitter: false } });
    expect(r.coder).toEqual({ id: "tiny-u8" });
    expect([...r.quantizedNames]).toEqual(["w1", "w2"]);
    expect(r.decoded.map((t) => t.name)).toEqual(["w1", "b1", "w2"]);
    expect(r.decoded[1]!.data).toEqual(weights[1]!.data); // passthrough restored bit-exactly from the container
    // Decoded weights are exactly the codebook expression of the decoded codes.
    for (const t of r.quantized.tensors) {
      const cb = r.quantized.codebooks.find((c) => c.id === t.codebook)!;
      expect(r.decoded.find((d) => d.name === t.name)!.data).toEqual(dequantizeTensor(t, cb));
    }
    expect(r.encoded!.bytes.length).toBe(r.encoded!.size.totalBytes);
    expect(r.metrics.find((m) => m.name === "bytes")!.value).toBe(r.encoded!.size.totalBytes);
    expect(progress).toEqual(["tiny:1/2", "tiny:2/2"]);
  });

  it("is deterministic for a seed and the seed reaches the quantizer", async () => {
    const run = (seed: number) => runPipeline({ weights, quantizer: { plugin: tinyQuantizer, options: { jitter: true } }, coder: tinyCoder, options: { seed } });
    const [a, b] = await Promise.all([run(11), run(11)]);
    expect(a.encoded!.bytes).toEqual(b.encoded!.bytes);
    const codes = await Promise.all([1, 2, 3, 4, 5, 6].map(async (s) => (await run(s)).quantized.tensors[0]!.codes[0]));
    expect(new Set(codes).size).toBeGreaterThan(1);
  });

  it("works without a coder (quantized model as is, no sizes)", async () => {
    const r = await runPipeline({ weights, quantizer: tinyQuantizer.create(tinyQuantizer.parseOptions({})), evaluators: [tinyEvaluator] });
    expect(r.coder).toBeNull();
    expect(r.encoded).toBeUndefined();
    expect(r.metrics.find((m) => m.name === "bytes")).toMatchObject({ value: null, reason: "not coded" });
  });

  it("passes ±Inf and NaN through in tensors it keeps in float32 (a Clip bound, a mask), bit-exactly", async () => {
    const bound = { name: "clip_max", shape: [3], data: Float32Array.from([Infinity, -Infinity, NaN]), role: "bias" as const };
    const r = await runPipeline({ weights: [...weights, bound], quantizer: tinyQuantizer, coder: tinyCoder, evaluators: [tinyEvaluator] });
    expect([...r.quantizedNames]).toEqual(["w1", "w2"]);
    const back = r.decoded.find((t) => t.name === "clip_max")!.data;
    expect([back[0], back[1]]).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(back[2])).toBe(true);
    // The same values in a tensor that would be quantized are still refused.
    const selected = await runPipeline({ weights: [...weights, { ...bound, role: "weight" as const }], quantizer: tinyQuantizer }).then(
      () => "no error",
      (e: { code?: string }) => e.code,
    );
    expect(selected).toBe(ErrorCodes.NON_FINITE);
  });

  it("rejects bad input and broken plugins with typed errors", async () => {
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "no error",
        (e: { code?: string }) => e.code,
      );
    const nan = weights.map((t, i) => (i === 0 ? { ...t, data: Float32Array.from([1, NaN, 0, 0, 0, 0, 0, 0]) } : t));
    expect(await codeOf(runPipeline({ weights: nan, quantizer: tinyQuantizer }))).toBe(ErrorCodes.NON_FINITE);
    expect(await codeOf(runPipeline({ weights: [{ name: "x", shape: [3], data: new Float32Array(2) }], quantizer: tinyQuantizer }))).toBe(ErrorCodes.SHAPE_MISMATCH);
    expect(await codeOf(runPipeline({ quantizer: tinyQuantizer }))).toBe(ErrorCodes.INVALID_QUANTIZED);
    expect(await codeOf(runPipeline({ weights, quantizer: { plugin: tinyQuantizer, options: { bits: 99 } } }))).toBe(ErrorCodes.INVALID_OPTIONS);
    const needy = { id: "needy", needs: ["hessianDiagonal" as const], quantize: () => ({ codebooks: [], tensors: [] }) };
    expect(await codeOf(runPipeline({ weights, quantizer: needy }))).toBe(ErrorCodes.MISSING_CAPABILITY);
    const dropper = { id: "dropper", quantize: () => ({ codebooks: [], tensors: [] }) };
    expect(await codeOf(runPipeline({ weights, quantizer: dropper }))).toBe(ErrorCodes.INVALID_QUANTIZED);
    const lossy: Coder = {
      id: "lossy",
      encode: tinyCoder.create({}).encode,
      decode: (b) => {
        const t = tinyCoder.create({}).decode(b);
        return { ...t, codes: t.codes.map(() => 0) };
      },
    };
    expect(await codeOf(runPipeline({ weights, quantizer: tinyQuantizer, coder: lossy }))).toBe(ErrorCodes.INVALID_QUANTIZED);
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(runPipeline({ weights, quantizer: tinyQuantizer, options: { signal: ac.signal } }))).toBe(ErrorCodes.ABORTED);
    expect(() => pipeline().weights(weights).run()).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_QUANTIZED }));
  });
});

describe("round-trip check with decodeEncoded", () => {
  const base = tinyCoder.create({});
  /** tiny-u8 with the fast path: it must see exactly the streams encode wrote, with their tensors. */
  function tracked(mutate?: (t: QuantizedTensor) => QuantizedTensor) {
    const seen: { bytes: number; known: string }[] = [];
    let fullDecodes = 0;
    const coder: Coder = {
      id: "tiny-u8",
      encode: base.encode,
      decode: (b) => {
        fullDecodes++;
        return base.decode(b);
      },
      decodeEncoded(b, known) {
        seen.push({ bytes: b.length, known: known.name });
        const t = base.decode(b);
        return mutate ? mutate({ ...t, codes: known.codes }) : { ...t, codes: known.codes };
      },
    };
    return { coder, seen, fullDecodes: () => fullDecodes };
  }

  it("hands every written stream back to decodeEncoded (no full decode) and gives the same result", async () => {
    const plain = await runPipeline({ weights, quantizer: tinyQuantizer, coder: base, evaluators: [tinyEvaluator] });
    const t = tracked();
    const fast = await runPipeline({ weights, quantizer: tinyQuantizer, coder: t.coder, evaluators: [tinyEvaluator] });
    expect(t.seen).toHaveLength(2);
    expect(t.fullDecodes()).toBe(0);
    expect(fast.encoded!.bytes).toEqual(plain.encoded!.bytes);
    expect(fast.metrics).toEqual(plain.metrics);
    expect(fast.decoded.map((x) => Array.from(x.data))).toEqual(plain.decoded.map((x) => Array.from(x.data)));
  });

  it("still refuses a fast path that returns other codes", async () => {
    const t = tracked((x) => ({ ...x, codes: x.codes.map(() => 1) }));
    await expect(runPipeline({ weights, quantizer: tinyQuantizer, coder: t.coder })).rejects.toMatchObject({ code: ErrorCodes.INVALID_QUANTIZED });
  });
});

describe("summarizeRun", () => {
  it("folds metrics into per-tensor rows and a summary", async () => {
    const r = await runPipeline({ weights, quantizer: tinyQuantizer, coder: tinyCoder, evaluators: [tinyEvaluator], options: { seed: 1 } });
    const s = summarizeRun(r);
    expect(s.quantizer.id).toBe("tiny");
    expect(s.coder).toEqual({ id: "tiny-u8" });
    expect(s.seed).toBe(1);
    expect(s.tensors.map((t) => [t.name, t.shape, t.count])).toEqual([
      ["w1", [2, 4], 8],
      ["w2", [3], 3],
    ]);
    expect(s.passthrough).toEqual([{ name: "b1", shape: [4], count: 4 }]);
    expect(s.summary.count).toBe(15);
    expect(s.summary.bytes).toBe(r.encoded!.size.totalBytes);
    const w1 = s.tensors[0]!;
    expect(typeof w1.mse).toBe("number");
    expect(w1.note).toBeNull();
    expect(w1.noteReason).toBe("not computed");
    expect(s.tensors[1]!.exact).toBe(true); // all-zero tensor reconstructs exactly
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe("compare", () => {
  it("marks a throwing plugin's cells failed and keeps the others", async () => {
    const boom = defineQuantizer({
      id: "boom",
      version: "0",
      description: "throws",
      options: z.object({ bits: z.number().optional() }),
      create: () => ({
        id: "boom",
        quantize: () => {
          throw new Error("kaput");
        },
      }),
    });
    const cells: string[] = [];
    const results: string[] = [];
    const { cells: out } = await compare({
      weights,
      seed: 2,
      bits: [2, 4],
      quantizers: [tinyQuantizer, { plugin: tinyQuantizer, options: { fail: true }, label: "tiny-fails" }, boom],
      coders: [tinyCoder],
      evaluators: [tinyEvaluator],
      onCell: (c, i, n) => cells.push(`${i}/${n}:${c.label}:${c.bits}:${c.status}`),
      onResult: (c) => results.push(c.label),
    });
    expect(cells).toEqual(["1/6:tiny:2:ok", "2/6:tiny:4:ok", "3/6:tiny-fails:2:failed", "4/6:tiny-fails:4:failed", "5/6:boom:2:failed", "6/6:boom:4:failed"]);
    expect(results).toEqual(["tiny", "tiny"]);
    expect(out[0]!.options).toEqual({ bits: 2 });
    expect(out[1]!.result!.quantizer.options).toEqual({ bits: 4, fail: false, jitter: false });
    expect(out[2]!.error).toEqual({ code: ErrorCodes.SHAPE_MISMATCH, message: 'tiny refuses "w1".' });
    expect(out[4]!.error).toEqual({ code: "QF_INTERNAL", message: "kaput" });
    expect(out[4]!.result).toBeUndefined();
    for (const c of out) expect(c.seconds).toBeGreaterThanOrEqual(0);
    // Lower bit rates give larger errors on the same input.
    expect(out[0]!.result!.summary.mse as number).toBeGreaterThan(out[1]!.result!.summary.mse as number);
  });

  it("stops at an aborted signal and labels options", async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await compare({ weights, quantizers: [tinyQuantizer], coders: [tinyCoder], signal: ac.signal })).cells).toEqual([]);
    const { cells } = await compare({ weights, quantizers: [{ plugin: tinyQuantizer, options: { bits: 1, jitter: false } }], coders: [tinyCoder] });
    // `bits` belongs to the bit-rate axis, so it is left out of the label.
    expect(cells[0]).toMatchObject({ label: "tiny:jitter=false", bits: null, status: "ok", options: { bits: 1, jitter: false } });
  });
});

describe("nothing to quantize", () => {
  const bias = { name: "b", shape: [2], data: Float32Array.of(1, 2), role: "bias" as const };
  const kernel = { name: "k", shape: [2], data: Float32Array.of(1, 2), role: "weight" as const };
  it("stops with QF_NOTHING_TO_QUANTIZE, saying why, unless allowEmpty", async () => {
    const q = { id: "noop", quantize: async () => ({ codebooks: [], tensors: [] }) };
    await expect(runPipeline({ weights: [bias], quantizer: q as never })).rejects.toMatchObject({ code: "QF_NOTHING_TO_QUANTIZE", exitCode: 2, message: expect.stringContaining("none of the 1 float tensors is a weight kernel") });
    await expect(runPipeline({ weights: [bias, kernel], select: (t) => t.name === "x", quantizer: q as never })).rejects.toMatchObject({ message: expect.stringContaining("excluded by the include/exclude patterns") });
    const r = await runPipeline({ weights: [bias], quantizer: q as never, options: { allowEmpty: true } });
    expect(r.quantizedNames.size).toBe(0);
  });
  it("tallies the selection and names an input with no float tensors", () => {
    expect(tallySelection([bias, kernel], defaultSelector)).toEqual({ total: 2, selected: 1, kernels: 1 });
    expect(() => assertSomethingToQuantize({ total: 0, selected: 0, kernels: 0 })).toThrow(/no float weight tensors were found/);
    expect(() => assertSomethingToQuantize({ total: 3, selected: 1, kernels: 1 })).not.toThrow();
  });
});
