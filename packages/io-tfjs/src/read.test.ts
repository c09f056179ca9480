import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCodes } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPH_WEIGHTS, cpuTf, scratch, writeGraphModel, writeLayersModel } from "./testing/fixtures.js";
import { loadTfjsWeights, readTfjsModel, readTfjsTensor, streamTfjsWeights } from "./read.js";
import { loadTfjsFromArtifacts, tfjsArtifacts } from "./run.js";
import { graphModelTags } from "./roles.js";

let s: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

async function expectFormatError(p: Promise<unknown>, re: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, "expected a FormatError").toBeDefined();
  expect((e as { code?: string }).code).toBe(ErrorCodes.FORMAT);
  expect((e as Error).message).toMatch(re);
}

describe("readTfjsModel", () => {
  it("reads a multi-group, multi-shard graph model and tags its weights from the graph", async () => {
    const m = await readTfjsModel(await writeGraphModel(join(s.dir, "g1")));
    expect(m.format).toBe("graph-model");
    expect(m.entries.map((e) => [e.spec.name, e.group, e.offset, e.byteLength])).toEqual([
      [GRAPH_WEIGHTS.filter, 0, 0, 288],
      [GRAPH_WEIGHTS.convBias, 0, 288, 16],
      [GRAPH_WEIGHTS.shape, 0, 304, 8],
      [GRAPH_WEIGHTS.kernel, 1, 0, 2560],
      [GRAPH_WEIGHTS.bias, 1, 2560, 40],
    ]);
    expect(m.tags.get(GRAPH_WEIGHTS.filter)).toEqual({ role: "weight", layer: "conv/Conv2D", layerKind: "conv2d", outputAxis: -1, inputAxis: -2 });
    expect(m.tags.get(GRAPH_WEIGHTS.kernel)).toEqual({ role: "weight", layer: "dense/MatMul", layerKind: "dense", outputAxis: -1, inputAxis: -2 });
    expect(m.tags.get(GRAPH_WEIGHTS.bias)?.role).toBe("bias");
    const ws = [];
    for await (const t of streamTfjsWeights(m)) ws.push(t);
    // The int32 Reshape shape is not a weight; the conv bias spans the shard boundary (bytes 288–304 vs 100).
    expect(ws.map((t) => t.name)).toEqual([GRAPH_WEIGHTS.filter, GRAPH_WEIGHTS.convBias, GRAPH_WEIGHTS.kernel, GRAPH_WEIGHTS.bias]);
    expect(ws[0]!.shape).toEqual([3, 3, 2, 4]);
  });

  it("reads exactly the values tfjs itself decodes, for float32 and tfjs-quantized weights", async () => {
    const tf = await cpuTf();
    for (const q of [undefined, "uint8", "uint16", "float16"] as const) {
      const path = await writeGraphModel(join(s.dir, `q-${q ?? "f32"}`), { quantizeKernel: q });
      const m = await readTfjsModel(path);
      const gm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m, { stock: true }), m.format, path);
      const tfWeights = (gm as unknown as { weights: Record<string, { dataSync(): Float32Array }[]> }).weights;
      for (const e of m.entries.filter((x) => x.spec.dtype === "float32")) {
        const ours = await readTfjsTensor(m, e);
        expect([...ours.data], `${q} ${e.spec.name}`).toEqual([...tfWeights[e.spec.name]![0]!.dataSync()]);
      }
      gm.dispose();
    }
  });

  it("reads a layers model saved by tfjs and tags kernels and biases", async () => {
    const tf = await cpuTf();
    const ws = await loadTfjsWeights(await writeLayersModel(tf, join(s.dir, "layers")));
    expect(ws.map((t) => [t.name, t.role, t.layerKind])).toEqual([
      ["c1/kernel", "weight", "conv2d"],
      ["c1/bias", "bias", "conv2d"],
      ["d1/kernel", "weight", "dense"],
      ["d1/bias", "bias", "dense"],
      ["d2/kernel", "weight", "dense"],
      ["d2/bias", "bias", "dense"],
    ]);
  });
});

describe("strict validation", () => {
  async function mutate(name: string, fn: (json: Record<string, any>, dir: string) => Promise<void> | void): Promise<string> {
    const path = await writeGraphModel(join(s.dir, name));
    const json = JSON.parse(await readFile(path, "utf8")) as Record<string, any>;
    await fn(json, join(s.dir, name));
    await writeFile(path, JSON.stringify(json));
    return path;
  }

  it("rejects a missing shard", async () => {
    const p = await mutate("missing", async (_j, dir) => {
      await rm(join(dir, "group1-shard2of2.bin"));
    });
    await expectFormatError(readTfjsModel(p), /shard "group1-shard2of2.bin" of weight group 0 is missing/);
  });
  it("rejects shards that do not match the manifest", async () => {
    const p = await mutate("short", async (_j, dir) => {
      await writeFile(join(dir, "group2-shard1of1.bin"), new Uint8Array(10));
    });
    await expectFormatError(readTfjsModel(p), /weight group 1 .* holds 10 bytes but its entries .* need 2600/);
  });
  it("rejects unknown dtypes and quantization dtypes", async () => {
    await expectFormatError(
      readTfjsModel(
        await mutate("dt", (j) => {
          j.weightsManifest[0].weights[0].dtype = "complex64";
        }),
      ),
      /unsupported dtype "complex64"/,
    );
    await expectFormatError(
      readTfjsModel(
        await mutate("qdt", (j) => {
          j.weightsManifest[1].weights[0].quantization = { dtype: "int4", min: 0, scale: 1 };
        }),
      ),
      /unsupported quantization dtype "int4"/,
    );
    await expectFormatError(
      readTfjsModel(
        await mutate("qmin", (j) => {
          j.weightsManifest[1].weights[0].quantization = { dtype: "uint8", scale: 1 };
        }),
      ),
      /lacks a finite "min" and "scale"/,
    );
    await expectFormatError(
      readTfjsModel(
        await mutate("orig", (j) => {
          j.weightsManifest[1].weights[0].quantization = { dtype: "float16", original_dtype: "int32" };
        }),
      ),
      /original_dtype "int32" but dtype "float32"/,
    );
  });
  it("rejects malformed JSON, a missing topology, duplicate names and bad shapes", async () => {
    const bad = join(s.dir, "bad.json");
    await writeFile(bad, "{ not json");
    await expectFormatError(readTfjsModel(bad), /is not valid JSON/);
    await expectFormatError(
      readTfjsModel(
        await mutate("topo", (j) => {
          delete j.modelTopology;
        }),
      ),
      /no "modelTopology"/,
    );
    await expectFormatError(
      readTfjsModel(
        await mutate("dup", (j) => {
          j.weightsManifest[1].weights[1].name = GRAPH_WEIGHTS.kernel;
        }),
      ),
      /appears twice/,
    );
    await expectFormatError(
      readTfjsModel(
        await mutate("shape", (j) => {
          j.weightsManifest[0].weights[0].shape = [3, -1];
        }),
      ),
      /invalid shape/,
    );
  });
  it("reports a missing model.json as QF_IO", async () => {
    const e = await readTfjsModel(join(s.dir, "nope", "model.json")).catch((x: unknown) => x);
    expect((e as { code: string }).code).toBe(ErrorCodes.IO);
  });
});

describe("graphModelTags channel axes", () => {
  const n = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
  it("knows the TensorFlow layouts of conv, depthwise, transposed-conv filters and (transposed) MatMul operands", () => {
    const topology = {
      node: [
        n("x", "Placeholder", []),
        n("f", "Const", []),
        n("dw", "Const", []),
        n("tf", "Const", []),
        n("b", "Const", []),
        n("bt", "Const", []),
        n("c", "_FusedConv2D", ["x", "f"]),
        n("d", "FusedDepthwiseConv2dNative", ["c", "dw"]),
        n("t", "Conv2DBackpropInput", ["s", "tf", "d"]),
        n("m", "MatMul", ["t", "b"]),
        n("mt", "_FusedMatMul", ["m", "bt"], { transpose_b: { b: true } }),
      ],
    };
    const tags = graphModelTags(topology, ["f", "dw", "tf", "b", "bt"]);
    expect([tags.get("f")!.outputAxis, tags.get("f")!.inputAxis]).toEqual([-1, -2]);
    expect([tags.get("dw")!.outputAxis, tags.get("dw")!.inputAxis]).toEqual([-2, -2]);
    expect([tags.get("tf")!.outputAxis, tags.get("tf")!.inputAxis]).toEqual([-2, -1]);
    expect([tags.get("b")!.outputAxis, tags.get("b")!.inputAxis]).toEqual([-1, -2]);
    expect([tags.get("bt")!.outputAxis, tags.get("bt")!.inputAxis]).toEqual([-2, -1]);
  });
});
