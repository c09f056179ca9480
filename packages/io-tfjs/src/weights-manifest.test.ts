import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fixedCoder } from "@quantforge/coder-fixed";
import { codebookMap, type QuantizerPlugin, type WeightTensor } from "@quantforge/core";
import { defaultSelector, instantiate, runPipeline } from "@quantforge/core/host";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { tfjsAffineQuantizer } from "@quantforge/quantizer-tfjs-affine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCodedTfjsArtifacts } from "./coded.js";
import { verifyWrittenManifest } from "./manifest-check.js";
import { readTfjsModel, streamTfjsWeights, type TfjsModel } from "./read.js";
import { manifestTags } from "./roles.js";
import { cpuTf, scratch, writeGraphModel } from "./testing/fixtures.js";
import { writeTfjsModel, type TfjsTarget, type TfjsWeightOutput } from "./write.js";

type Tf = Awaited<ReturnType<typeof cpuTf>>;
let tf: Tf;
let s: Awaited<ReturnType<typeof scratch>>;
let n = 0;
beforeAll(async () => {
  tf = await cpuTf();
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

/** A face-api-style bare manifest (`net-weights_manifest.json`: an array of groups, no topology) made from the graph fixture's weights and shards. */
async function manifest(quantizeKernel?: "uint8" | "uint16" | "float16"): Promise<string> {
  const dir = join(s.dir, `src-${n++}`);
  const modelJson = await writeGraphModel(dir, { seed: 5, ...(quantizeKernel ? { quantizeKernel } : {}) });
  const j = JSON.parse(await readFile(modelJson, "utf8"));
  const path = join(dir, "net-weights_manifest.json");
  await writeFile(path, JSON.stringify(j.weightsManifest));
  return path;
}

/** What stock tfjs decodes from a manifest file and its shards (tf.io.decodeWeights on the concatenated shards of each group). */
async function stockDecode(path: string): Promise<Map<string, Float32Array | Int32Array>> {
  const dir = join(path, "..");
  const groups = JSON.parse(await readFile(path, "utf8")) as { paths: string[]; weights: Parameters<Tf["io"]["decodeWeights"]>[1] }[];
  const out = new Map<string, Float32Array | Int32Array>();
  for (const g of groups) {
    const parts = await Promise.all(g.paths.map(async (p) => new Uint8Array(await readFile(join(dir, p)))));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const ts = tf.io.decodeWeights(all.buffer, g.weights);
    for (const [k, t] of Object.entries(ts)) {
      out.set(k, t.dataSync() as Float32Array | Int32Array);
      t.dispose();
    }
  }
  return out;
}

async function weightsOf(m: TfjsModel): Promise<WeightTensor[]> {
  const ws: WeightTensor[] = [];
  for await (const t of streamTfjsWeights(m)) ws.push(t);
  return ws;
}

async function roundTrip(src: string, target: TfjsTarget, quantizer: QuantizerPlugin, options: Record<string, unknown>) {
  const m = await readTfjsModel(src);
  const r = await runPipeline({ weights: await weightsOf(m), quantizer: { plugin: quantizer, options }, select: defaultSelector, options: { seed: 1 } });
  const cbs = codebookMap(r.quantized);
  const outputs = new Map<string, TfjsWeightOutput>(r.quantized.tensors.map((t) => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }]));
  const decoded = new Map(r.decoded.filter((t) => r.quantizedNames.has(t.name)).map((t) => [t.name, t.data]));
  const dir = join(s.dir, `out-${n++}`);
  const coder = target === "tfjs-coded" ? instantiate(fixedCoder()) : undefined;
  const res = await writeTfjsModel(dir, m, outputs, { target, ...(coder ? { coder } : {}) });
  return { m, dir, res, decoded, names: [...r.quantizedNames], coder };
}

describe("bare weights manifests (face-api style)", () => {
  it("reads a manifest without topology; roles and axes come from names and shapes", async () => {
    const m = await readTfjsModel(await manifest("uint8"));
    expect(m.format).toBe("weights-manifest");
    expect(m.tags.get("conv/filter")).toEqual({ role: "weight", layer: "conv", layerKind: "conv2d", outputAxis: -1, inputAxis: -2 });
    expect(m.tags.get("conv/bias")).toEqual({ role: "bias", layer: "conv" });
    const tags = manifestTags([
      { name: "b0/separable_conv0/depthwise_filter", shape: [3, 3, 32, 1] },
      { name: "b0/separable_conv0/pointwise_filter", shape: [1, 1, 32, 64] },
      { name: "fc/weights", shape: [256, 7] },
      { name: "scale/weights", shape: [32] },
      { name: "Pred/biases", shape: [9] },
      { name: "conv/convolution_bn_offset", shape: [8] },
      { name: "extra_dim", shape: [1, 1, 4] },
    ]);
    expect([...tags.values()].map((t) => [t.role, t.layerKind ?? null, t.outputAxis ?? null])).toEqual([
      ["weight", "conv2d", -2],
      ["weight", "conv2d", -1],
      ["weight", "dense", -1],
      ["other", null, null],
      ["bias", null, null],
      ["bias", null, null],
      ["other", null, null],
    ]);
  });

  it("reads exactly what stock tfjs decodes, for float32 and uint8/uint16/float16 storage", async () => {
    for (const q of [undefined, "uint8", "uint16", "float16"] as const) {
      const path = await manifest(q);
      const stock = await stockDecode(path);
      for (const t of await weightsOf(await readTfjsModel(path))) expect([...t.data], `${q} ${t.name}`).toEqual([...stock.get(t.name)!]);
    }
  });

  for (const dtype of ["uint8", "uint16", "float16"] as const) {
    it(`writes tfjs-native ${dtype} back as a manifest of the same name that stock tfjs decodes to the evaluated weights bit-exactly`, async () => {
      const src = await manifest();
      const { dir, res, decoded, names } = await roundTrip(src, "tfjs-native", tfjsAffineQuantizer(), { dtype });
      expect(names.length).toBeGreaterThan(0);
      expect(Object.values(res.native)).toEqual(names.map(() => dtype));
      const files = (await readdir(dir)).sort();
      expect(files).toEqual(["net-shard1of1.bin", "net-weights_manifest.json"]);
      const written = JSON.parse(await readFile(join(dir, "net-weights_manifest.json"), "utf8"));
      expect(Array.isArray(written)).toBe(true);
      const stock = await stockDecode(join(dir, "net-weights_manifest.json"));
      for (const [name, want] of decoded) expect(new Uint32Array(stock.get(name)!.buffer)).toEqual(new Uint32Array(want.buffer, want.byteOffset, want.length));
      // Non-float entries are carried over unchanged.
      expect([...stock.get("flatten/shape")!]).toEqual([...(await stockDecode(src)).get("flatten/shape")!]);
      const c = await verifyWrittenManifest(tf, dir, "net-weights_manifest.json", decoded);
      expect(c.compared).toBe(decoded.size);
    });
  }

  it("writes tfjs-coded 4-bit manifests whose decoded weights equal the evaluated ones, and tfjs-float", async () => {
    const coded = await roundTrip(await manifest("uint8"), "tfjs-coded", rtnQuantizer(), { bits: 4 });
    expect((await readdir(coded.dir)).sort()).toEqual(["net-shard1of1.bin", "net-weights_manifest.json", "weights.qf"]);
    const a = await readCodedTfjsArtifacts(join(coded.dir, "net-weights_manifest.json"), { coders: [coded.coder!] });
    const ts = tf.io.decodeWeights(a.weightData as ArrayBuffer, a.weightSpecs!);
    for (const [name, want] of coded.decoded) expect(new Uint32Array((ts[name]!.dataSync() as Float32Array).buffer)).toEqual(new Uint32Array(want.buffer, want.byteOffset, want.length));
    expect((await verifyWrittenManifest(tf, coded.dir, "net-weights_manifest.json", coded.decoded, { coders: [coded.coder!] })).compared).toBe(coded.decoded.size);
    const fl = await roundTrip(await manifest("float16"), "tfjs-float", rtnQuantizer(), { bits: 8 });
    const stock = await stockDecode(join(fl.dir, "net-weights_manifest.json"));
    for (const [name, want] of fl.decoded) expect([...stock.get(name)!]).toEqual([...want]);
  });

  it("the check fails loudly when the written weights differ from the evaluated ones", async () => {
    const { dir, decoded } = await roundTrip(await manifest(), "tfjs-native", tfjsAffineQuantizer(), { dtype: "uint8" });
    const [name, data] = [...decoded][0]!;
    const wrong = new Map(decoded).set(
      name,
      data.map((v) => v + 1),
    );
    await expect(verifyWrittenManifest(tf, dir, "net-weights_manifest.json", wrong)).rejects.toMatchObject({ code: "QF_INTERNAL" });
  });
});
