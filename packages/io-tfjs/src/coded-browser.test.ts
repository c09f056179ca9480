import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { ErrorCodes, codebookMap, type WeightTensor } from "@quantforge/core";
import { defaultSelector, instantiate, runPipeline } from "@quantforge/core/host";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCodedTfjsArtifacts } from "./coded.js";
import { readCodedTfjsArtifactsFrom } from "./coded-browser.js";
import { scratch, writeGraphModel } from "./testing/fixtures.js";
import { readTfjsModel, streamTfjsWeights } from "./read.js";
import { writeTfjsModel, type TfjsWeightOutput } from "./write.js";

/** The browser loader run in Node: same artifacts as the Node loader, typed errors on hostile files. */
let s: Awaited<ReturnType<typeof scratch>>;
let dir: string;
let files: Map<string, Uint8Array<ArrayBuffer>>;
let modelJson: string;
const coders = [instantiate(ransCoder()), instantiate(huffmanCoder())];
const ORIGIN = "https://models.test/m/";

/** A fetch over `files` (and model.json) at ORIGIN, recording what was asked. */
function fakeFetch(asked: string[], json = modelJson): (url: string) => Promise<Response> {
  return async (url) => {
    asked.push(url);
    if (!url.startsWith(ORIGIN)) return new Response("", { status: 404 });
    const name = url.slice(ORIGIN.length);
    const body = name === "model.json" ? new TextEncoder().encode(json) : files.get(name);
    return body ? new Response(body) : new Response("", { status: 404 });
  };
}

beforeAll(async () => {
  s = await scratch();
  const m = await readTfjsModel(await writeGraphModel(join(s.dir, "src"), { seed: 3 }));
  const weights: WeightTensor[] = [];
  for await (const t of streamTfjsWeights(m)) weights.push(t);
  const r = await runPipeline({ weights, quantizer: { plugin: uniformMseQuantizer(), options: { bits: 3 } }, coder: ransCoder(), select: defaultSelector, options: { seed: 1 } });
  const cbs = codebookMap(r.quantized);
  const outputs = new Map<string, TfjsWeightOutput>(r.quantized.tensors.map((t) => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }]));
  dir = join(s.dir, "coded");
  await writeTfjsModel(dir, m, outputs, { target: "tfjs-coded", coder: instantiate(ransCoder()) });
  files = new Map();
  for (const f of await readdir(dir)) if (f !== "model.json") files.set(f, new Uint8Array(await readFile(join(dir, f))));
  modelJson = await readFile(join(dir, "model.json"), "utf8");
});
afterAll(async () => {
  await s.cleanup();
});

describe("readCodedTfjsArtifactsFrom", () => {
  it("gives the Node loader's artifacts, from buffers, Blobs and URLs", async () => {
    const node = await readCodedTfjsArtifacts(join(dir, "model.json"), { coders });
    const want = new Uint8Array(node.weightData as ArrayBuffer);
    expect(want.length).toBeGreaterThan(0);
    const fromBuffers = await readCodedTfjsArtifactsFrom({ modelJson, files }, { coders });
    const blobs = Object.fromEntries([...files].map(([k, v]) => [k, new Blob([v])]));
    const fromBlobs = await readCodedTfjsArtifactsFrom({ modelJson: new Blob([modelJson]), files: blobs }, { coders });
    const asked: string[] = [];
    const fromUrl = await readCodedTfjsArtifactsFrom(`${ORIGIN}model.json`, { coders, fetch: fakeFetch(asked) });
    for (const a of [fromBuffers, fromBlobs, fromUrl]) {
      expect(new Uint8Array(a.weightData as ArrayBuffer)).toEqual(want);
      expect(a.weightSpecs).toEqual(node.weightSpecs);
      expect(a.modelTopology).toEqual(node.modelTopology);
    }
    expect(asked.sort()).toEqual([`${ORIGIN}model.json`, ...[...files.keys()].map((f) => ORIGIN + f)].sort());
  });

  it("refuses paths that leave the model's folder before fetching them", async () => {
    const json = JSON.parse(modelJson) as { quantforge: { container: string } };
    for (const bad of ["../weights.qf", "https://evil.test/weights.qf", "/weights.qf", "a/../../weights.qf", "//evil.test/x.qf"]) {
      json.quantforge.container = bad;
      const asked: string[] = [];
      const e = await readCodedTfjsArtifactsFrom(`${ORIGIN}model.json`, { coders, fetch: fakeFetch(asked, JSON.stringify(json)) }).catch((x: unknown) => x);
      expect((e as { code: string }).code, bad).toBe(ErrorCodes.FORMAT);
      expect(asked).toEqual([`${ORIGIN}model.json`]);
    }
  });

  it("typed errors: HTTP 404, a missing file, a missing coder, bad JSON, a corrupted container, a relative URL without a page", async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "loaded",
        (e: { code?: string }) => e.code,
      );
    expect(await code(readCodedTfjsArtifactsFrom(`${ORIGIN}nope/model.json`, { coders, fetch: fakeFetch([]) }))).toBe(ErrorCodes.IO);
    const some = new Map([...files].filter(([k]) => k !== "weights.qf"));
    expect(await code(readCodedTfjsArtifactsFrom({ modelJson, files: some }, { coders }))).toBe(ErrorCodes.IO);
    expect(await code(readCodedTfjsArtifactsFrom({ modelJson, files }, { coders: [instantiate(huffmanCoder())] }))).toBe(ErrorCodes.DECODE);
    expect(await code(readCodedTfjsArtifactsFrom({ modelJson: "{", files }, { coders }))).toBe(ErrorCodes.FORMAT);
    const bad = new Map(files);
    const qf = files.get("weights.qf")!.slice();
    qf[qf.length >> 1]! ^= 0x55;
    bad.set("weights.qf", qf);
    expect(await code(readCodedTfjsArtifactsFrom({ modelJson, files: bad }, { coders }))).toBe(ErrorCodes.DECODE);
    expect(await code(readCodedTfjsArtifactsFrom("models/model.json", { coders, fetch: fakeFetch([]) }))).toBe(ErrorCodes.IO);
  });
});
