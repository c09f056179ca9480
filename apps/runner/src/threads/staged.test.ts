import { afterAll, describe, expect, it } from "vitest";
import { CollectingDiagnostics, createRunContext, type WorkerQuantization } from "@quantforge/core/host";
import { ErrorCodes, isQuantforgeError, type Quantizer, type WeightSet, type CodeArray } from "@quantforge/core";
import { poolWorkers } from "./parallel.js";
import { TensorPool } from "./pool.js";

/**
 * Staged tensors (a "quantize" job, then a "finish" job that may run on the other worker; issue
 * 18's load balance): everything the pool hands the pipeline equals what one job per tensor
 * gives — codes, codebooks, streams, decoded values, largest codes, facts, finiteness,
 * diagnostics — whichever worker finished which half.
 */
const pool = new TensorPool(2, []);
afterAll(() => pool.close());

const weights = (): WeightSet => [
  { name: "w0", shape: [64, 48], data: Float32Array.from({ length: 3072 }, (_, i) => Math.sin(i * 0.37) * 0.2) },
  { name: "flat", shape: [16, 16], data: new Float32Array(256).fill(0.25) },
  { name: "w1", shape: [33, 7], data: Float32Array.from({ length: 231 }, (_, i) => Math.cos(i) * (i % 5)) },
  { name: "w2", shape: [4, 4, 3, 3], data: Float32Array.from({ length: 144 }, (_, i) => (i - 70) / 50) },
];

async function quantize(stageMinElements: number, coder: string, ws: WeightSet, values = true) {
  const workers = poolWorkers(pool, { quantizer: { id: "rtn", options: { bits: 4, granularity: "channel" } }, coder: { id: coder }, facts: { errorStats: true, histograms: true }, stageMinElements, values });
  const diagnostics = new CollectingDiagnostics();
  const r = (await workers.quantize({ id: "rtn", perTensor: true } as unknown as Quantizer, ws, createRunContext({ seed: 3, diagnostics }))) as WorkerQuantization;
  const byCodes = <V>(m: ReadonlyMap<CodeArray, V> | undefined) => r.model.tensors.map((t) => m?.get(t.codes));
  const decoded = byCodes(r.dequantized);
  return {
    model: r.model.tensors.map((t) => ({ ...t, codes: Array.from(t.codes) })),
    codebooks: r.model.codebooks,
    streams: byCodes(r.streams).map((s) => s && Array.from(s)),
    groups: byCodes(r.groups).map((g) => g && { ...g, bytes: Array.from(g.bytes) }),
    decoded: decoded.map((d) => d && Array.from(d)),
    maxCodes: byCodes(r.maxCodes),
    histograms: byCodes(r.facts?.histograms).map((h) => h && Array.from(h)),
    errorStats: byCodes(r.errorStats).map((s, i) => s && { original: s.original === ws[i]!.data, stats: s.stats }),
    finite: ws.map((t) => r.finite?.has(t.data) ?? false),
    diagnostics: diagnostics.items,
  };
}

describe("poolWorkers with staged tensors", () => {
  for (const coder of ["fixed", "huffman", "rans"]) {
    it(`gives what one job per tensor gives (${coder})`, async () => {
      const whole = await quantize(Infinity, coder, weights()),
        staged = await quantize(1, coder, weights());
      expect(whole.decoded.every((d) => d !== undefined)).toBe(true);
      expect(whole.finite).toEqual([true, true, true, true]);
      expect(whole.diagnostics.length).toBeGreaterThan(0);
      expect(whole.errorStats.every((s) => s?.original === true && s.stats.count > 0)).toBe(true);
      expect(staged).toEqual(whole);
    }, 120_000);
  }

  it("without values, sums the same decoded values and returns none of them (staged or not)", async () => {
    const withValues = await quantize(Infinity, "fixed", weights());
    for (const stage of [Infinity, 1]) {
      const summed = await quantize(stage, "fixed", weights(), false);
      expect(summed.decoded).toEqual([undefined, undefined, undefined, undefined]);
      expect(summed).toEqual({ ...withValues, decoded: summed.decoded });
    }
  }, 120_000);

  it("fails a non-finite tensor as one job does", async () => {
    const bad = weights();
    bad[2]!.data[9] = NaN;
    const errors = await Promise.all([Infinity, 1].map((s) => quantize(s, "fixed", bad).catch((e: unknown) => e)));
    for (const e of errors) expect(isQuantforgeError(e) && e.code).toBe(ErrorCodes.NON_FINITE);
    expect((errors[1] as Error).message).toBe((errors[0] as Error).message);
  }, 120_000);
});
