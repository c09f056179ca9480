import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "@quantforge/core";
import { defaultSelector } from "@quantforge/core/host";
import { getTf, loadTfjsModelProbe } from "@quantforge/model-tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildGraphModels, GRAPH_MODEL_NAMES, GRAPH_MODELS_DIR, type GeneratedModel } from "../bench/make-graph-models.js";

type Tf = Awaited<ReturnType<typeof getTf>>;
type Tensor = ReturnType<Tf["tensor"]>;

interface ManifestJson {
  modelTopology: object;
  signature?: object;
  weightsManifest: { paths: string[]; weights: object[] }[];
}

/** Loads a committed model the way stock tfjs's file loaders do: model.json + every group's shards, concatenated. */
async function loadStock(tf: Tf, dir: string) {
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as ManifestJson;
  const parts: Buffer[] = [];
  for (const g of json.weightsManifest) for (const p of g.paths) parts.push(await readFile(join(dir, p)));
  const data = new Uint8Array(Buffer.concat(parts));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
      weightData: data.buffer,
      ...(json.signature ? { signature: json.signature } : {}),
    }),
  );
}

describe("bench graph models (bench/graph-models)", () => {
  let tf: Tf;
  let generated: GeneratedModel[];
  beforeAll(async () => {
    tf = await getTf("cpu");
    generated = await buildGraphModels();
  });

  it("the committed files are exactly what the generator writes (deterministic)", async () => {
    expect(generated.map((m) => m.name)).toEqual([...GRAPH_MODEL_NAMES]);
    for (const m of generated) {
      for (const [file, bytes] of m.files) {
        const committed = new Uint8Array(await readFile(join(GRAPH_MODELS_DIR, m.name, file)));
        expect(Buffer.compare(Buffer.from(committed), Buffer.from(bytes)), `${m.name}/${file}`).toBe(0);
      }
      expect(Math.max(...[...m.files.values()].map((b) => b.length)), m.name).toBeLessThan(200_000);
    }
  });

  it.each([...GRAPH_MODEL_NAMES])("%s loads in stock tfjs and gives finite outputs that vary across inputs", async (name) => {
    const model = await loadStock(tf, join(GRAPH_MODELS_DIR, name));
    const sample = (model.inputs[0]!.shape as number[]).slice(1);
    const n = 16,
      rng = new Rng(11);
    const x = tf.tensor(
      Float32Array.from({ length: n * sample.reduce((a, b) => a * b, 1) }, () => rng.float()),
      [n, ...sample],
    );
    const names = model.outputs.map((o) => o.name);
    expect(names.length).toBeGreaterThan(0);
    const outs = model.execute({ x }, names) as Tensor[] | Tensor;
    const list = Array.isArray(outs) ? outs : [outs];
    for (let k = 0; k < list.length; k++) {
      const d = list[k]!.dataSync() as Float32Array,
        per = d.length / n;
      expect(d.every(Number.isFinite), `${name}/${names[k]} finite`).toBe(true);
      // Sample-to-sample spread of each output element, relative to the output's RMS.
      let spread = 0,
        power = 0;
      for (let e = 0; e < per; e++) {
        let mu = 0;
        for (let s = 0; s < n; s++) mu += d[s * per + e]!;
        mu /= n;
        for (let s = 0; s < n; s++) spread += (d[s * per + e]! - mu) ** 2;
      }
      for (const v of d) power += v * v;
      expect(power, `${name}/${names[k]} not all zero`).toBeGreaterThan(0);
      expect(Math.sqrt(spread / power), `${name}/${names[k]} varies across samples`).toBeGreaterThan(1e-4);
    }
    x.dispose();
    list.forEach((t) => t.dispose());
    model.dispose();
  });

  it.each([...GRAPH_MODEL_NAMES])("%s: core's default selector picks exactly the kernels (no biases, batch-norm constants, shapes or axes)", async (name) => {
    const probe = await loadTfjsModelProbe(join(GRAPH_MODELS_DIR, name, "model.json"));
    try {
      const picked = probe.weights
        .filter(defaultSelector)
        .map((t) => t.name)
        .sort();
      const json = JSON.parse(await readFile(join(GRAPH_MODELS_DIR, name, "model.json"), "utf8")) as ManifestJson;
      const kernels = json.weightsManifest
        .flatMap((g) => g.weights as { name: string }[])
        .map((w) => w.name)
        .filter((n) => n.endsWith("/weights"))
        .sort();
      expect(picked).toEqual(kernels);
    } finally {
      probe.dispose();
    }
  });
});
