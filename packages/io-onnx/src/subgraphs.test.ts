import { codebookMap, type WeightTensor } from "@quantforge/core";
import { runPipeline } from "@quantforge/core/host";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { describe, expect, it } from "vitest";
import { parseOnnxModel, streamOnnxWeights, type OnnxModel } from "./read.js";
import { runOnnxModel, type OnnxFeed, type OnnxOutput } from "./run.js";
import { CONSTANT_WEIGHTS, buildConstantOnnxModel, buildSubgraphOnnxModel } from "./testing/graph-fixtures.js";
import { MATMUL_WEIGHTS, buildMatMulOnnxModel, randomInput } from "./testing/fixtures.js";
import { encodeOnnxModel, type OnnxTarget, type OnnxWeightOutput } from "./write.js";

const N = 3;
const xConv: OnnxFeed[] = [{ name: "x", shape: [N, 2, 5, 5], data: randomInput(1, N * 50) }];
const xSub = (sr: number): OnnxFeed[] => [
  { name: "x", shape: [N, 8], data: randomInput(2, N * 8) },
  { name: "sr", shape: [], data: BigInt64Array.of(BigInt(sr)) },
];

async function weightsOf(m: OnnxModel): Promise<WeightTensor[]> {
  const out: WeightTensor[] = [];
  for await (const t of streamOnnxWeights(m)) out.push(t);
  return out;
}

/** rtn 8-bit (per channel where the layout is known) on every float tensor, written with `target`. */
async function quantized(m: OnnxModel, target: OnnxTarget): Promise<Uint8Array> {
  const weights = await weightsOf(m);
  const r = await runPipeline({ weights, quantizer: { plugin: rtnQuantizer(), options: { bits: 8 } }, select: () => true });
  const cbs = codebookMap(r.quantized);
  const outputs = new Map<string, OnnxWeightOutput>(r.quantized.tensors.map((t) => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }]));
  return (await encodeOnnxModel(m, outputs, { target })).bytes;
}

const scaled = (m: OnnxModel, name: string, k: number) => async () => {
  const t = (await weightsOf(m)).find((w) => w.name === name)!;
  return (await encodeOnnxModel(m, new Map([[name, { kind: "float", data: t.data.map((v) => v * k) }]]), { target: "onnx" })).bytes;
};

function maxDiff(a: readonly OnnxOutput[], b: readonly OnnxOutput[]): number {
  let d = 0;
  a.forEach((o, i) =>
    o.data.forEach((v, k) => {
      d = Math.max(d, Math.abs(v - b[i]!.data[k]!));
    }),
  );
  return d;
}

describe("Constant-node weights (paddle2onnx style, no initializers)", () => {
  it("are weight tensors named by their output, tagged from their consumer", async () => {
    const m = await parseOnnxModel(buildConstantOnnxModel(), "c.onnx");
    const ws = await weightsOf(m);
    expect(ws.map((t) => [t.name, t.role, t.layerKind, t.outputAxis, t.inputAxis])).toEqual([
      [CONSTANT_WEIGHTS.convW, "weight", "conv2d", 0, 1],
      [CONSTANT_WEIGHTS.convB, "bias", "conv2d", undefined, undefined],
      [CONSTANT_WEIGHTS.fcW, "weight", "dense", -1, -2],
      [CONSTANT_WEIGHTS.fcB, "bias", undefined, undefined, undefined],
    ]);
    expect(m.initializers.every((i) => i.kind === "constant")).toBe(true);
  });

  it("are written back in place (onnx and onnx-qdq): onnxruntime runs both, they agree, and a changed weight changes the output", async () => {
    const m = await parseOnnxModel(buildConstantOnnxModel(), "c.onnx");
    const y0 = await runOnnxModel(m.bytes, xConv);
    const asFloat = await quantized(m, "onnx");
    const back = await parseOnnxModel(asFloat, "back.onnx");
    expect(back.initializers.map((i) => [i.name, i.kind])).toEqual(m.initializers.map((i) => [i.name, i.kind]));
    const yf = await runOnnxModel(asFloat, xConv);
    const yq = await runOnnxModel(await quantized(m, "onnx-qdq"), xConv, "qdq", { optimization: "basic" });
    expect(maxDiff(yf, y0)).toBeGreaterThan(0);
    expect(maxDiff(yq, yf)).toBeLessThan(1e-5);
    expect(maxDiff(await runOnnxModel(await scaled(m, CONSTANT_WEIGHTS.fcW, 2)(), xConv), y0)).toBeGreaterThan(0.01);
  });
});

describe("subgraph weights (If branches, nested)", () => {
  it("are found with unique names, tagged from nodes in the branch; main-graph weights read only in branches are tagged too", async () => {
    const m = await parseOnnxModel(buildSubgraphOnnxModel(), "s.onnx");
    const ws = await weightsOf(m);
    expect(ws.map((t) => [t.name, t.role, t.outputAxis])).toEqual([
      ["gain", "other", undefined],
      ["shared.W", "weight", -1],
      ["If_0/then_branch/W", "weight", -1],
      ["If_0/then_branch/b", "bias", undefined],
      ["If_0/else_branch/if8k/then_branch/W", "weight", -1],
    ]);
    expect(m.graphs.map((g) => g.scope)).toEqual(["", "If_0/then_branch", "If_0/else_branch", "If_0/else_branch/if8k/then_branch", "If_0/else_branch/if8k/else_branch"]);
  });

  it("changing a branch's weight changes the output exactly when that branch runs", async () => {
    const m = await parseOnnxModel(buildSubgraphOnnxModel(), "s.onnx");
    const base16 = await runOnnxModel(m.bytes, xSub(16000)),
      base8 = await runOnnxModel(m.bytes, xSub(8000));
    const w16 = await scaled(m, "If_0/then_branch/W", 3)(),
      w8 = await scaled(m, "If_0/else_branch/if8k/then_branch/W", 3)();
    expect(maxDiff(await runOnnxModel(w16, xSub(16000)), base16)).toBeGreaterThan(0.01);
    expect(maxDiff(await runOnnxModel(w16, xSub(8000)), base8)).toBe(0);
    expect(maxDiff(await runOnnxModel(w8, xSub(8000)), base8)).toBeGreaterThan(0.01);
    expect(maxDiff(await runOnnxModel(await scaled(m, "gain", -1)(), xSub(8000)), base8)).toBeGreaterThan(0.01);
  });

  it("are written in place as float and as DequantizeLinear inside their branch; both run and agree in every branch", async () => {
    const m = await parseOnnxModel(buildSubgraphOnnxModel(), "s.onnx");
    const f = await quantized(m, "onnx"),
      q = await quantized(m, "onnx-qdq");
    const qm = await parseOnnxModel(q, "q.onnx");
    expect(qm.graphs[1]!.nodes[0]!.opType).toBe("DequantizeLinear");
    for (const sr of [16000, 8000, 1]) {
      const yf = await runOnnxModel(f, xSub(sr)),
        yq = await runOnnxModel(q, xSub(sr), "q", { optimization: "basic" });
      expect(maxDiff(yq, yf)).toBeLessThan(1e-5);
      expect(maxDiff(yf, await runOnnxModel(m.bytes, xSub(sr)))).toBeGreaterThan(0);
    }
  });
});

describe("names that are object keys", () => {
  it("an initializer named __proto__ or constructor reads, writes and runs", async () => {
    const bytes = buildMatMulOnnxModel({ names: { w1: "__proto__", b1: "constructor" } });
    const m = await parseOnnxModel(bytes, "p.onnx");
    expect((await weightsOf(m)).map((t) => [t.name, t.role])).toEqual([
      ["__proto__", "weight"],
      ["constructor", "bias"],
      [MATMUL_WEIGHTS.w2, "weight"],
    ]);
    const feeds: OnnxFeed[] = [{ name: "x", shape: [2, 64], data: randomInput(4, 128) }];
    const y = await runOnnxModel(await quantized(m, "onnx-qdq"), feeds, "p", { optimization: "basic" });
    expect(maxDiff(y, await runOnnxModel(await quantized(m, "onnx"), feeds))).toBeLessThan(1e-5);
  });
});
