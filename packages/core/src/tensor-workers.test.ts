import { describe, expect, it } from "vitest";
import { codeHistogram } from "./code-histogram.js";
import { dequantizeTensor } from "./codebook-impl.js";
import { createRunContext } from "./context.js";
import { ErrorCodes, isQuantforgeError } from "./errors.js";
import { runPipeline } from "./pipeline.js";
import type { EvaluationSubject, Evaluator, Quantizer } from "./plugin.js";
import { compactStreamInput, type TensorWorkers, type WorkerQuantization } from "./tensor-workers.js";
import { coarseTestQuantizer, groupedRawTestCoder, rawTestCoder } from "./testing/fixtures.js";
import type { WeightSet } from "./tensor.js";
import type { CodeArray } from "./quantized.js";
import { largestCode } from "./validate.js";

/**
 * The pipeline's hand-over to other threads (`TensorWorkers`), with in-process "workers": what
 * they compute ahead (streams, groups, largest codes, evaluator facts) is taken, and the results
 * equal the run without them; non-finite weights fail first, as without workers.
 */
const weights = (): WeightSet => [
  { name: "a", shape: [4, 8], data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 0.3) },
  { name: "b", shape: [16], data: Float32Array.from({ length: 16 }, (_, i) => (i - 8) / 7) },
];

/** Workers that quantize here, tensor by tensor, computing what the runner's pool computes. */
function inProcess(facts: boolean, log: string[]): TensorWorkers {
  return {
    async quantize(quantizer: Quantizer, ws: WeightSet): Promise<WorkerQuantization> {
      const groupCoder = groupedRawTestCoder().group!;
      const out: WorkerQuantization = { model: { codebooks: [], tensors: [] }, groups: new Map(), maxCodes: new Map(), dequantized: new Map(), facts: { errorStats: new Map(), histograms: new Map() } };
      for (const t of ws) {
        const m = await quantizer.quantize([t], createRunContext({ seed: 0 }));
        const q = m.tensors[0]!,
          cb = m.codebooks[0]!;
        (out.model.codebooks as unknown[]).push(cb);
        (out.model.tensors as unknown[]).push(q);
        const [ct, ccb] = compactStreamInput(q, cb);
        (out.groups as Map<CodeArray, unknown>).set(q.codes, groupCoder.encodeGroup([ct], ccb));
        (out.maxCodes as Map<CodeArray, number>).set(q.codes, largestCode(q.codes));
        const d = dequantizeTensor(q, cb);
        (out.dequantized as Map<CodeArray, Float32Array>).set(q.codes, d);
        if (!facts) continue;
        let signal = 0,
          noise = 0,
          maxAbs = 0;
        for (let i = 0; i < d.length; i++) {
          const w = t.data[i]!,
            e = w - d[i]!;
          signal += w * w;
          noise += e * e;
          maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        (out.facts!.errorStats as Map<Float32Array, unknown>).set(d, { original: t.data, stats: { count: d.length, signal, noise, maxAbs } });
        (out.facts!.histograms as Map<CodeArray, Float64Array>).set(q.codes, codeHistogram([q.codes], 1 << 20)!);
        log.push(t.name);
      }
      return out;
    },
  };
}

/** An evaluator that reports what it was handed ahead (and the plain sums, to compare). */
const probe: Evaluator = {
  id: "probe",
  scope: "tensor",
  evaluate(s: EvaluationSubject) {
    return s.decoded.map((d) => {
      const o = s.original.find((x) => x.name === d.name)!;
      const known = s.ahead?.errorStats?.get(d.data);
      return { name: "aheadNoise", tensor: d.name, value: known?.original === o.data ? known.stats.noise : null, reason: "none" };
    });
  },
};

describe("pipeline with TensorWorkers", () => {
  it("takes the groups, largest codes and facts computed ahead; the container and metrics equal the run without workers", async () => {
    const log: string[] = [];
    const coder = groupedRawTestCoder();
    let groupCalls = 0;
    const counting = {
      ...coder,
      group: { ...coder.group!, encodeGroup: (ts: Parameters<NonNullable<typeof coder.group>["encodeGroup"]>[0], cb: Parameters<NonNullable<typeof coder.group>["encodeGroup"]>[1]) => (groupCalls++, coder.group!.encodeGroup(ts, cb)) },
    };
    const quantizer = coarseTestQuantizer().create({});
    const plain = await runPipeline({ weights: weights(), quantizer, coder: counting });
    const before = groupCalls;
    const ahead = await runPipeline({ weights: weights(), quantizer, coder: counting, evaluators: [probe], options: { workers: inProcess(true, log) } });
    expect(groupCalls).toBe(before); // every group of one tensor came from the workers
    expect(log).toEqual(["a", "b"]);
    expect(Buffer.from(ahead.encoded!.bytes).equals(Buffer.from(plain.encoded!.bytes))).toBe(true);
    expect(ahead.decoded.map((t) => Array.from(t.data))).toEqual(plain.decoded.map((t) => Array.from(t.data)));
  });

  it("hands evaluators the facts of the decoded arrays they get (none without facts or workers)", async () => {
    const run = (workers?: TensorWorkers) => runPipeline({ weights: weights(), quantizer: coarseTestQuantizer().create({}), evaluators: [probe], options: workers ? { workers } : {} });
    const [withFacts, without, none] = [await run(inProcess(true, [])), await run(inProcess(false, [])), await run()];
    expect(withFacts.metrics.map((m) => typeof m.value)).toEqual(["number", "number"]);
    expect(without.metrics.map((m) => m.value)).toEqual([null, null]);
    expect(none.metrics.map((m) => m.value)).toEqual([null, null]);
  });

  it("non-finite weights fail with QF_NON_FINITE before the workers' results or a missing capability, as without workers", async () => {
    const bad = weights();
    bad[1]!.data[3] = NaN;
    const needsModel: Evaluator = { id: "needs", scope: "model", needs: ["forward"], evaluate: () => [] };
    for (const evaluators of [[], [needsModel]]) {
      for (const workers of [undefined, inProcess(true, [])]) {
        const e = await runPipeline({ weights: bad, quantizer: coarseTestQuantizer().create({}), coder: rawTestCoder().create({}), evaluators, options: workers ? { workers } : {} }).catch((x: unknown) => x);
        expect(isQuantforgeError(e) && e.code).toBe(ErrorCodes.NON_FINITE);
      }
    }
  });
});

describe("pipeline with TensorWorkers that check finiteness (checksFinite)", () => {
  /** `inProcess` workers that vouch for the tensors named in `vouch` (or fail with `fail`). */
  const checking = (vouch: readonly string[], fail?: Error): TensorWorkers => {
    const base = inProcess(true, []);
    return {
      checksFinite: true,
      async quantize(quantizer, ws, ctx) {
        if (fail) throw fail;
        const r = await base.quantize(quantizer, ws, ctx);
        return r && { ...r, finite: new Set(ws.filter((t) => vouch.includes(t.name)).map((t) => t.data)) };
      },
    };
  };
  const run = (ws: WeightSet, workers: TensorWorkers) => runPipeline({ weights: ws, quantizer: coarseTestQuantizer().create({}), coder: rawTestCoder().create({}), options: { workers } }).catch((x: unknown) => x);

  it("checks the tensors the workers did not vouch for", async () => {
    const bad = weights();
    bad[1]!.data[3] = Infinity;
    const e = await run(bad, checking(["a"]));
    expect(isQuantforgeError(e) && e.code).toBe(ErrorCodes.NON_FINITE);
    const ok = await run(weights(), checking(["a"]));
    expect(isQuantforgeError(ok)).toBe(false);
  });

  it("leaves the vouched-for tensors to the workers (no second pass here)", async () => {
    const bad = weights();
    bad[0]!.data[5] = NaN;
    // The in-process "workers" vouch for a tensor they never checked: the pipeline takes their word.
    const e = await run(bad, checking(["a", "b"]));
    expect(isQuantforgeError(e) && e.code).not.toBe(ErrorCodes.NON_FINITE);
  });

  it("a failed quantization is followed by the full check: a non-finite input fails as on one thread", async () => {
    const bad = weights();
    bad[1]!.data[0] = NaN;
    const e = await run(bad, checking(["a", "b"], new Error("worker crashed")));
    expect(isQuantforgeError(e) && e.code).toBe(ErrorCodes.NON_FINITE);
    const other = await run(weights(), checking([], new Error("worker crashed")));
    expect((other as Error).message).toBe("worker crashed");
  });
});

describe("pipeline with TensorWorkers and a coder that decodes in full", () => {
  it("keeps the coded arrays after the round trip, so the values and facts computed ahead are the ones used", async () => {
    const base = inProcess(true, []);
    let seen: WorkerQuantization | undefined;
    const workers: TensorWorkers = {
      async quantize(q, ws, ctx) {
        seen = await base.quantize(q, ws, ctx);
        return seen;
      },
    };
    const coder = groupedRawTestCoder(); // no decodeEncodedGroup: every group is decoded again
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer().create({}), coder, evaluators: [probe], options: { workers } });
    const plain = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer().create({}), coder, evaluators: [probe] });
    for (const [i, t] of r.quantized.tensors.entries()) {
      expect(t.codes).toBe(seen!.model.tensors[i]!.codes);
      expect(r.decoded[i]!.data).toBe(seen!.dequantized!.get(t.codes));
    }
    expect(r.metrics.map((m) => typeof m.value)).toEqual(["number", "number"]);
    expect(r.quantized.tensors.map((t) => Array.from(t.codes))).toEqual(plain.quantized.tensors.map((t) => Array.from(t.codes)));
    expect(r.decoded.map((t) => Array.from(t.data))).toEqual(plain.decoded.map((t) => Array.from(t.data)));
  });
});

describe("pipeline with TensorWorkers that sum the decoded values without keeping them", () => {
  /** `inProcess` workers that return the error sums by codes array, and no values. */
  const summing = (): TensorWorkers => {
    const base = inProcess(true, []);
    return {
      async quantize(q, ws, ctx) {
        const { dequantized, facts, ...rest } = (await base.quantize(q, ws, ctx))!;
        const errorStats = new Map(rest.model.tensors.map((t) => [t.codes, facts!.errorStats!.get(dequantized!.get(t.codes)!)!]));
        return { ...rest, errorStats, facts: { histograms: facts!.histograms! } };
      },
    };
  };
  /** Reports the sums handed ahead by decoded tensor, and whether the tensor was still undecoded then. */
  const byTensor: Evaluator = {
    id: "by-tensor",
    scope: "tensor",
    evaluate(s: EvaluationSubject) {
      return s.decoded.flatMap((d) => [
        { name: "aheadNoise", tensor: d.name, value: s.ahead?.tensorErrorStats?.get(d)?.stats.noise ?? null, reason: "none" },
        { name: "lazy", tensor: d.name, value: Object.getOwnPropertyDescriptor(d, "data")?.get ? 1 : 0 },
      ]);
    },
  };

  it("hands evaluators the sums by decoded tensor, decodes only what is read, and gives the run's values and container", async () => {
    const quantizer = coarseTestQuantizer().create({});
    const coder = groupedRawTestCoder();
    const plain = await runPipeline({ weights: weights(), quantizer, coder, evaluators: [probe] });
    const withValues = await runPipeline({ weights: weights(), quantizer, coder, evaluators: [probe], options: { workers: inProcess(true, []) } });
    const summed = await runPipeline({ weights: weights(), quantizer, coder, evaluators: [byTensor], options: { workers: summing() } });
    const metric = (r: typeof summed, name: string) => r.metrics.filter((m) => m.name === name).map((m) => m.value);
    expect(metric(summed, "lazy")).toEqual([1, 1]);
    expect(metric(summed, "aheadNoise")).toEqual(metric(withValues, "aheadNoise"));
    expect(metric(summed, "aheadNoise").every((v) => typeof v === "number")).toBe(true);
    expect(Buffer.from(summed.encoded!.bytes).equals(Buffer.from(plain.encoded!.bytes))).toBe(true);
    expect(summed.decoded.map((t) => Array.from(t.data))).toEqual(plain.decoded.map((t) => Array.from(t.data)));
  });
});
