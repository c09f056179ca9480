import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { ErrorCodes, codebookMap, type CoderPlugin, type QuantizerPlugin, type WeightTensor } from "@quantforge/core";
import { defaultSelector, instantiate, runPipeline } from "@quantforge/core/host";
import { exactTestQuantizer } from "@quantforge/core/testing";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { tfjsAffineQuantizer } from "@quantforge/quantizer-tfjs-affine";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCodedTfjsModel } from "./coded.js";
import { cpuTf, randomInput, scratch, writeGraphModel, writeLayersModel } from "./testing/fixtures.js";
import { readTfjsModel, readTfjsTensor, streamTfjsWeights, type TfjsModel } from "./read.js";
import { loadTfjsFromArtifacts, runTfjsModel, tfjsArtifacts, tfjsInputSpecs, type ModelOutput } from "./run.js";
import { createTfjsModelWriter, writeTfjsModel, type TfjsTarget, type TfjsWeightOutput } from "./write.js";

type Tf = Awaited<ReturnType<typeof cpuTf>>;
let tf: Tf;
let s: Awaited<ReturnType<typeof scratch>>;
let graphPath: string;
let layersPath: string;
let n = 0;
beforeAll(async () => {
  tf = await cpuTf();
  s = await scratch();
  graphPath = await writeGraphModel(join(s.dir, "graph-src"), { seed: 7 });
  layersPath = await writeLayersModel(tf, join(s.dir, "layers-src"), 8);
});
afterAll(async () => {
  await s.cleanup();
});

async function weightsOf(m: TfjsModel): Promise<WeightTensor[]> {
  const ws: WeightTensor[] = [];
  for await (const t of streamTfjsWeights(m)) ws.push(t);
  return ws;
}

/** The loader imports no coder: tests hand it every coder that may have written a container. */
const allCoders = [instantiate(fixedCoder()), instantiate(huffmanCoder()), instantiate(ransCoder())];

/** Quantizes (and, with a coder, codes and decodes) the model's weights; returns outputs and the decoded weights. */
async function quantize(m: TfjsModel, quantizer: QuantizerPlugin, options: Record<string, unknown>, coder?: CoderPlugin) {
  const weights = await weightsOf(m);
  const r = await runPipeline({ weights, quantizer: { plugin: quantizer, options }, ...(coder ? { coder } : {}), select: defaultSelector, options: { seed: 1 } });
  const cbs = codebookMap(r.quantized);
  const outputs = new Map<string, TfjsWeightOutput>(r.quantized.tensors.map((t) => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }]));
  const decoded = new Map(r.decoded.map((t) => [t.name, t.data]));
  return { outputs, decoded, quantizedNames: [...r.quantizedNames] };
}

async function run(m: TfjsModel, opts: Parameters<typeof tfjsArtifacts>[1]): Promise<ModelOutput[]> {
  const model = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m, opts), m.format, m.path);
  const spec = tfjsInputSpecs(model)[0]!;
  const shape = [3, ...spec.shape.slice(1).map((d) => d!)];
  const out = await runTfjsModel(tf, model, [{ name: spec.name, shape, data: randomInput(11, shape) }]);
  model.dispose();
  return out;
}

async function roundTrip(src: string, target: TfjsTarget, quantizer: QuantizerPlugin, options: Record<string, unknown>, coder?: CoderPlugin) {
  const m = await readTfjsModel(src);
  const q = await quantize(m, quantizer, options, coder);
  const dir = join(s.dir, `out-${n++}`);
  const res = await writeTfjsModel(dir, m, q.outputs, { target, ...(coder ? { coder: instantiate(coder) } : {}) });
  const predicted = await run(m, { weights: q.decoded });
  const original = await run(m, {});
  return { m, q, dir, res, predicted, original };
}

function expectSameOutputs(got: ModelOutput[], want: ModelOutput[]): void {
  expect(got.map((o) => o.shape)).toEqual(want.map((o) => o.shape));
  got.forEach((o, i) => expect([...o.data]).toEqual([...want[i]!.data]));
}

function differs(a: ModelOutput[], b: ModelOutput[]): boolean {
  return a.some((o, i) => o.data.some((v, k) => v !== b[i]!.data[k]));
}

describe("tfjs-native", () => {
  for (const dtype of ["uint8", "uint16", "float16"] as const) {
    it(`tfjs-affine ${dtype}: stock tfjs loads the files and computes exactly the predicted outputs`, async () => {
      const { dir, res, predicted, original, q } = await roundTrip(graphPath, "tfjs-native", tfjsAffineQuantizer(), { dtype });
      expect(res.native).toEqual(Object.fromEntries(q.quantizedNames.map((k) => [k, dtype])));
      const back = await readTfjsModel(join(dir, "model.json"));
      // Stock: the files as stored, tfjs dequantizes its own quantization fields.
      expectSameOutputs(await run(back, { stock: true }), predicted);
      expect(differs(predicted, original)).toBe(true);
      // Re-reading gives exactly the decoded weights quantforge evaluated.
      for (const e of back.entries.filter((x) => x.spec.dtype === "float32")) {
        const t = await readTfjsTensor(back, e);
        expect([...t.data]).toEqual([...(q.decoded.get(e.spec.name) ?? t.data)]);
      }
      // Weight bytes: 4 per quantized value become 1 (uint8) or 2; biases and the int32 shape stay.
      const bin = res.files.filter((f) => f.name.endsWith(".bin")).reduce((a, f) => a + f.bytes, 0);
      expect(bin).toBe((72 + 640) * (dtype === "uint8" ? 1 : 2) + 16 + 8 + 40);
    });
  }

  it("writes rtn 8-bit per tensor natively and refuses per-channel grids and level lists", async () => {
    const { dir, predicted } = await roundTrip(graphPath, "tfjs-native", rtnQuantizer(), { bits: 8 });
    expectSameOutputs(await run(await readTfjsModel(join(dir, "model.json")), { stock: true }), predicted);
    for (const [plugin, opts] of [
      [rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }],
      [exactTestQuantizer(), {}],
    ] as const) {
      const m = await readTfjsModel(graphPath);
      const qq = await quantize(m, plugin as QuantizerPlugin, opts);
      const e = await writeTfjsModel(join(s.dir, `refused-${n++}`), m, qq.outputs, { target: "tfjs-native" }).catch((x: unknown) => x);
      expect((e as { code: string }).code).toBe(ErrorCodes.USAGE);
      expect((e as Error).message).toMatch(/tfjs-coded/);
    }
  });
});

describe("tfjs-coded", () => {
  const cases = [
    ["graph", "uniform-mse 4-bit + huffman", uniformMseQuantizer(), { bits: 4 }, huffmanCoder()],
    ["graph", "rtn 3-bit per channel + fixed", rtnQuantizer(), { bits: 3, granularity: "channel", axis: -1 }, fixedCoder()],
    ["layers", "uniform-mse 2-bit + huffman", uniformMseQuantizer(), { bits: 2 }, huffmanCoder()],
    ["graph", "uniform-mse 3-bit + rans", uniformMseQuantizer(), { bits: 3 }, ransCoder()],
    ["layers", "rtn 4-bit per channel + rans", rtnQuantizer(), { bits: 4, granularity: "channel", axis: -1 }, ransCoder()],
    ["layers", "exact levels + fixed", exactTestQuantizer(), {}, fixedCoder()],
  ] as const;
  for (const [kind, label, plugin, opts, coder] of cases) {
    it(`${kind} model, ${label}: the loader gives exactly the evaluated outputs`, async () => {
      const { dir, res, predicted, original } = await roundTrip(kind === "graph" ? graphPath : layersPath, "tfjs-coded", plugin as QuantizerPlugin, opts, coder as CoderPlugin);
      expect(res.files.map((f) => f.name)).toContain("weights.qf");
      const loaded = await loadCodedTfjsModel(join(dir, "model.json"), tf, { coders: allCoders });
      const spec = tfjsInputSpecs(loaded)[0]!;
      const shape = [3, ...spec.shape.slice(1).map((d) => d!)];
      const out = await runTfjsModel(tf, loaded, [{ name: spec.name, shape, data: randomInput(11, shape) }]);
      loaded.dispose();
      expectSameOutputs(out, predicted);
      if (label.startsWith("exact")) expectSameOutputs(out, original);
      else expect(differs(predicted, original)).toBe(true);
    });
  }

  it("fails cleanly on a corrupted container or a missing one", async () => {
    const { dir } = await roundTrip(graphPath, "tfjs-coded", rtnQuantizer(), { bits: 4 }, fixedCoder());
    const qf = join(dir, "weights.qf");
    const bytes = new Uint8Array(await readFile(qf));
    bytes[bytes.length >> 1]! ^= 0xff;
    await writeFile(qf, bytes);
    const e1 = await loadCodedTfjsModel(join(dir, "model.json"), tf, { coders: allCoders }).catch((x: unknown) => x);
    expect((e1 as { code: string }).code).toBe(ErrorCodes.DECODE);
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as { quantforge: { container: string } };
    json.quantforge.container = "elsewhere.qf";
    await writeFile(join(dir, "model.json"), JSON.stringify(json));
    const e2 = await loadCodedTfjsModel(join(dir, "model.json"), tf, { coders: allCoders }).catch((x: unknown) => x);
    expect((e2 as { code: string }).code).toBe(ErrorCodes.FORMAT);
  });
});

describe("tfjs-float", () => {
  it("writes plain float32 that stock tfjs runs to the predicted outputs (tfjs-quantized inputs decoded too)", async () => {
    const src = await writeGraphModel(join(s.dir, "graph-u8"), { seed: 3, quantizeKernel: "uint8" });
    const { dir, predicted } = await roundTrip(src, "tfjs-float", uniformMseQuantizer(), { bits: 3 });
    const back = await readTfjsModel(join(dir, "model.json"));
    expect(back.entries.every((e) => e.spec.quantization === undefined)).toBe(true);
    expectSameOutputs(await run(back, { stock: true }), predicted);
  });

  it("refuses a non-empty output directory and entries out of order", async () => {
    const m = await readTfjsModel(layersPath);
    const dir = join(s.dir, "busy");
    await writeTfjsModel(dir, m, new Map(), { target: "tfjs-float" });
    const e = await writeTfjsModel(dir, m, new Map(), { target: "tfjs-float" }).catch((x: unknown) => x);
    expect((e as { code: string }).code).toBe(ErrorCodes.IO);
    const w = await createTfjsModelWriter(join(s.dir, "order"), m, { target: "tfjs-float" });
    await expect(w.add(m.entries[1]!, { kind: "original" })).rejects.toThrow(/expected weight "c1\/kernel" next/);
    await w.abort();
  });
});
