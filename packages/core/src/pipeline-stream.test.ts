import { describe, expect, it } from "vitest";
import { CollectingDiagnostics, createRunContext } from "./context.js";
import { ErrorCodes, QuantforgeError } from "./errors.js";
import { runPipeline } from "./pipeline.js";
import { codeTensor, streamPipeline, type StreamedTensor, type StreamWork } from "./pipeline-stream.js";
import type { Coder, Evaluator, Quantizer } from "./plugin.js";
import type { WeightTensor } from "./tensor.js";
import { coarseTestQuantizer, rawTestCoder } from "./testing/fixtures.js";
import { codebookMap } from "./validate.js";

const weights: WeightTensor[] = [
  { name: "w1", shape: [2, 4], data: Float32Array.from([-1, -0.5, 0, 0.25, 0.5, 0.75, 1, 2]), role: "weight" },
  { name: "b1", shape: [4], data: Float32Array.from([0.1, 0.2, 0.3, 0.4]), role: "bias" },
  { name: "w2", shape: [3, 2], data: Float32Array.from([0.3, -0.2, 0.9, 0.1, -0.7, 0.4]), role: "weight" },
];

async function* each(ws: readonly WeightTensor[], log?: string[]): AsyncGenerator<WeightTensor> {
  for (const t of ws) {
    log?.push(`read ${t.name}`);
    yield t;
  }
}

const quantizer = (): Quantizer => coarseTestQuantizer().create({}, undefined as never);
const coder = (): Coder => rawTestCoder().create({}, undefined as never);
const ctx = () => createRunContext({ seed: 3, diagnostics: new CollectingDiagnostics() });

async function collect(g: AsyncIterable<StreamedTensor>, log?: string[]): Promise<StreamedTensor[]> {
  const out: StreamedTensor[] = [];
  for await (const r of g) {
    log?.push(`got ${r.tensor.name}`);
    out.push(r);
  }
  return out;
}

describe("streamPipeline", () => {
  it("gives the codes and decoded values runPipeline gives, one tensor in flight, in input order", async () => {
    const log: string[] = [];
    const got = await collect(streamPipeline(each(weights, log), { quantizer: quantizer(), coder: coder(), ctx: ctx() }), log);
    const whole = await runPipeline({ weights, quantizer: quantizer(), coder: coder(), options: { seed: 3 } });
    expect(got.map((r) => [r.tensor.name, r.selected, r.quantized !== undefined])).toEqual([
      ["w1", true, true],
      ["b1", false, false],
      ["w2", true, true],
    ]);
    for (const r of got) {
      expect(r.decoded).toEqual(whole.decoded.find((t) => t.name === r.tensor.name)!.data);
      if (r.quantized) expect(r.quantized.codes).toEqual(whole.quantized.tensors.find((t) => t.name === r.tensor.name)!.codes);
    }
    expect(got[1]!.decoded).toBe(weights[1]!.data);
    expect(got[0]!.stream).toEqual(coder().encode(got[0]!.quantized!, got[0]!.codebook!));
    // The next tensor is read only once the previous one was taken.
    expect(log).toEqual(["read w1", "got w1", "read b1", "got b1", "read w2", "got w2"]);
  });

  it("with one worker slot: at most two tensors in flight", async () => {
    const log: string[] = [];
    const q = quantizer();
    const workers = { depth: 1, quantize: async (t: WeightTensor): Promise<StreamWork> => ({ model: await q.quantize([t], ctx()), diagnostics: [] }) };
    await collect(streamPipeline(each(weights, log), { quantizer: q, ctx: ctx(), workers }), log);
    expect(log.indexOf("read w2")).toBeGreaterThan(log.indexOf("got w1"));
  });

  it("with workers: reads ahead, reuses their streams, and yields the same tensors", async () => {
    const log: string[] = [];
    const q = quantizer(),
      c = coder();
    const workers = {
      depth: 2,
      quantize: async (t: WeightTensor): Promise<StreamWork> => {
        log.push(`work ${t.name}`);
        const model = await q.quantize([t], ctx());
        return { model, stream: c.encode(model.tensors[0]!, model.codebooks[0]!), diagnostics: [{ severity: "info", source: "w", ruleId: "x", message: t.name }] };
      },
    };
    const c2 = ctx();
    const got = await collect(streamPipeline(each(weights, log), { quantizer: q, coder: c, ctx: c2, workers }), log);
    const plain = await collect(streamPipeline(each(weights), { quantizer: quantizer(), coder: coder(), ctx: ctx() }));
    expect(got.map((r) => [r.tensor.name, r.decoded, r.stream])).toEqual(plain.map((r) => [r.tensor.name, r.decoded, r.stream]));
    // Read ahead, but never more than depth + 1 tensors in flight.
    const first = log.indexOf("got w1");
    expect(log.slice(0, 3)).toEqual(["read w1", "work w1", "read b1"]);
    expect(log.slice(0, first).filter((x) => x.startsWith("read")).length).toBeLessThanOrEqual(3);
    expect((c2.diagnostics as CollectingDiagnostics).items.map((d) => d.message)).toEqual(["w1", "w2"]);
  });

  it("joint quantizers see every selected tensor at once; tensor evaluators score each tensor", async () => {
    const inner = quantizer();
    const seen: string[][] = [];
    const joint: Quantizer = { id: "joint", quantize: (ws, x) => (seen.push(ws.map((t) => t.name)), inner.quantize(ws, x)) };
    const mse: Evaluator = {
      id: "mse",
      scope: "tensor",
      evaluate: (s) => s.original.map((t, i) => ({ name: "mse", tensor: t.name, value: t.data.reduce((a, v, k) => a + (v - s.decoded[i]!.data[k]!) ** 2, 0) / t.data.length })),
    };
    const got = await collect(streamPipeline(each(weights), { quantizer: joint, coder: coder(), evaluators: [mse], ctx: ctx() }));
    expect(seen).toEqual([["w1", "w2"]]);
    expect(got.map((r) => r.metrics[0]!.tensor)).toEqual(["w1", "b1", "w2"]);
    expect(got[1]!.metrics[0]!.value).toBe(0);
    expect(got[0]!.metrics[0]!.value).toBeGreaterThan(0);
  });

  it("throws QF_NOTHING_TO_QUANTIZE after the last tensor when nothing is selected, unless allowEmpty", async () => {
    const none = () => false;
    const names: string[] = [];
    const run = async (allowEmpty: boolean) => {
      for await (const r of streamPipeline(each(weights), { quantizer: quantizer(), select: none, ctx: ctx(), allowEmpty })) names.push(r.tensor.name);
    };
    await expect(run(false)).rejects.toMatchObject({ code: ErrorCodes.NOTHING_TO_QUANTIZE });
    expect(names).toEqual(["w1", "b1", "w2"]);
    await expect(run(true)).resolves.toBeUndefined();
  });

  it("codeTensor refuses a coder that does not round-trip the codes", async () => {
    const t = weights[0]!;
    const q = await quantizer().quantize([t], ctx());
    const c = coder();
    const broken: Coder = { id: "broken", encode: (x, cb) => c.encode(x, cb), decode: (b) => ({ ...c.decode(b), codes: new Uint32Array(t.data.length) }) };
    let err: unknown;
    try {
      codeTensor(q, codebookMap(q), t, broken);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantforgeError);
    expect((err as Error).message).toBe('coder "broken" did not round-trip tensor "w1" bit-exactly. The coder is broken.');
  });
});
