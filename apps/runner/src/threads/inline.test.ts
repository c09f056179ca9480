import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingDiagnostics, createRunContext, type WorkerQuantization } from "@quantforge/core/host";
import { type Quantizer, type WeightSet } from "@quantforge/core";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { tempDir } from "../__tests__/harness.js";
import { readWeights } from "../weights-io.js";
import { poolWorkers } from "./parallel.js";
import { TensorPool } from "./pool.js";

/**
 * The pool's inline slot (`run`: this thread runs tensor jobs beside n − 1 workers) and its
 * digest job (the input's SHA-256 on a worker): the same results whichever thread ran a job.
 */
const workersOnly = new TensorPool(2, []),
  inlineOnly = new TensorPool(1, [], { inline: true }),
  mixed = new TensorPool(2, [], { inline: true });
let t: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  t = await tempDir();
});
afterAll(async () => {
  await Promise.all([workersOnly, inlineOnly, mixed].map((p) => p.close()));
  await t.cleanup();
});

const weights = (bad = false): WeightSet => [
  { name: "w0", shape: [64, 48], data: Float32Array.from({ length: 3072 }, (_, i) => Math.sin(i * 0.37) * 0.2) },
  { name: "flat", shape: [16, 16], data: new Float32Array(256).fill(0.25) },
  { name: "w1", shape: [33, 7], data: Float32Array.from({ length: 231 }, (_, i) => (bad && i === 9 ? NaN : Math.cos(i) * (i % 5))) },
];

async function quantize(pool: TensorPool, ws: WeightSet, stageMinElements: number) {
  const workers = poolWorkers(pool, { quantizer: { id: "rtn", options: { bits: 4, granularity: "channel" } }, coder: { id: "huffman" }, facts: { errorStats: true, histograms: true }, stageMinElements });
  const diagnostics = new CollectingDiagnostics();
  const r = (await workers.quantize({ id: "rtn", perTensor: true } as unknown as Quantizer, ws, createRunContext({ seed: 3, diagnostics }))) as WorkerQuantization;
  return {
    tensors: r.model.tensors.map((x) => ({ ...x, codes: Array.from(x.codes) })),
    codebooks: r.model.codebooks,
    streams: r.model.tensors.map((x) => Array.from(r.streams?.get(x.codes) ?? [])),
    decoded: r.model.tensors.map((x) => Array.from(r.dequantized?.get(x.codes) ?? [])),
    stats: r.model.tensors.map((x) => r.errorStats?.get(x.codes)?.stats),
    diagnostics: diagnostics.items,
  };
}

describe("TensorPool inline", () => {
  it("this thread alone, or beside a worker, gives what workers give (whole and staged tensors)", async () => {
    for (const stage of [Infinity, 1]) {
      const want = await quantize(workersOnly, weights(), stage);
      expect(want.diagnostics.length).toBeGreaterThan(0);
      expect(await quantize(inlineOnly, weights(), stage)).toEqual(want);
      expect(await quantize(mixed, weights(), stage)).toEqual(want);
    }
  }, 120_000);

  it("an error on this thread is the error a worker reports (code, message, exit code)", async () => {
    const fromWorker = await quantize(workersOnly, weights(true), Infinity).catch((e: unknown) => e);
    const inline = await quantize(inlineOnly, weights(true), Infinity).catch((e: unknown) => e);
    expect(fromWorker).toMatchObject({ code: "QF_NON_FINITE" });
    expect(inline).toBeInstanceOf(Error);
    const fields = (e: unknown) => ({ ctor: (e as object).constructor.name, code: (e as { code: string }).code, message: (e as Error).message, exitCode: (e as { exitCode: number }).exitCode });
    expect(fields(inline)).toEqual(fields(fromWorker));
  }, 120_000);
});

describe("TensorPool digest", () => {
  it("is the file's SHA-256, from shared tensors or from disk; undefined without a worker", async () => {
    const path = t.path("w.safetensors");
    await saveSafetensors(path, weights());
    const want = createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
    const shared = await readWeights(path, { shared: true });
    expect(shared.every((x) => x.data.buffer instanceof SharedArrayBuffer)).toBe(true);
    expect(await mixed.digest(path, shared)).toBe(want);
    expect(await mixed.digest(path, await readWeights(path))).toBe(want);
    expect(await workersOnly.digest(t.path("absent.safetensors"), []).catch((e: unknown) => e)).toMatchObject({ code: "QF_IO" });
    expect(await inlineOnly.digest(path, shared)).toBeUndefined();
  }, 120_000);
});
