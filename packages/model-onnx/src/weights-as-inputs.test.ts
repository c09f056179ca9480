import { describe, expect, it } from "vitest";
import { encodeOnnxModel, parseOnnxModel, readOnnxTensor, runOnnxModel, type OnnxFeed, type OnnxModel, type OnnxOutput } from "@quantforge/io-onnx";
import { CONSTANT_WEIGHTS, buildConstantOnnxModel, buildSubgraphOnnxModel, randomInput } from "@quantforge/io-onnx/testing";
import { weightsAsInputs } from "./weights-as-inputs.js";

const N = 3;
const xSub = (sr: number): OnnxFeed[] => [
  { name: "x", shape: [N, 8], data: randomInput(2, N * 8) },
  { name: "sr", shape: [], data: BigInt64Array.of(BigInt(sr)) },
];
const xConv: OnnxFeed[] = [{ name: "x", shape: [N, 2, 5, 5], data: randomInput(1, N * 50) }];

/** Every weight of `m` as a feed, `name` scaled by `k`. */
async function weightFeeds(m: OnnxModel, name?: string, k = 1): Promise<OnnxFeed[]> {
  const out: OnnxFeed[] = [];
  for (const i of m.initializers) {
    const t = await readOnnxTensor(m, i);
    out.push({ name: t.name, shape: t.shape, data: t.name === name ? t.data.map((v) => v * k) : t.data });
  }
  return out;
}

/** The same model with `name` scaled by `k`, written in place by io-onnx. */
async function written(m: OnnxModel, name: string, k: number): Promise<Uint8Array> {
  const t = await readOnnxTensor(
    m,
    m.initializers.find((i) => i.name === name)!,
  );
  return (await encodeOnnxModel(m, new Map([[name, { kind: "float", data: t.data.map((v) => v * k) }]]), { target: "onnx" })).bytes;
}

function maxDiff(a: readonly OnnxOutput[], b: readonly OnnxOutput[]): number {
  let d = 0;
  a.forEach((o, i) =>
    o.data.forEach((v, j) => {
      d = Math.max(d, Math.abs(v - b[i]!.data[j]!));
    }),
  );
  return d;
}

describe("weightsAsInputs", () => {
  it("turns Constant-node weights into inputs: fed weights change the output as the written file does", async () => {
    const m = await parseOnnxModel(buildConstantOnnxModel(), "c.onnx");
    const probe = await weightsAsInputs(m, new Set(m.initializers.map((i) => i.name)));
    const pm = await parseOnnxModel(probe, "p.onnx");
    expect(pm.initializers.map((i) => i.name)).toEqual([]);
    expect(pm.nodes.some((n) => n.opType === "Constant" && n.outputs[0] !== CONSTANT_WEIGHTS.shape)).toBe(false);
    const base = await runOnnxModel(m.bytes, xConv);
    expect(maxDiff(await runOnnxModel(probe, [...xConv, ...(await weightFeeds(m))]), base)).toBeLessThan(1e-5);
    for (const name of [CONSTANT_WEIGHTS.convW, CONSTANT_WEIGHTS.fcB]) {
      const fed = await runOnnxModel(probe, [...xConv, ...(await weightFeeds(m, name, -2))]);
      expect(maxDiff(fed, base)).toBeGreaterThan(0.01);
      expect(maxDiff(fed, await runOnnxModel(await written(m, name, -2), xConv))).toBeLessThan(1e-5);
    }
  });

  it("feeds weights inside If branches (nested) through Identity nodes: each one changes the output when its branch runs", async () => {
    const m = await parseOnnxModel(buildSubgraphOnnxModel(), "s.onnx");
    const probe = await weightsAsInputs(m, new Set(m.initializers.map((i) => i.name)));
    const pm = await parseOnnxModel(probe, "p.onnx");
    expect(pm.initializers).toEqual([]);
    expect(pm.inputs.map((i) => i.name)).toEqual(["x", "sr", ...m.initializers.map((i) => i.name)]);
    for (const [name, sr] of [
      ["If_0/then_branch/W", 16000],
      ["If_0/then_branch/b", 16000],
      ["If_0/else_branch/if8k/then_branch/W", 8000],
      ["shared.W", 1],
      ["gain", 8000],
    ] as const) {
      const base = await runOnnxModel(m.bytes, xSub(sr));
      expect(maxDiff(await runOnnxModel(probe, [...xSub(sr), ...(await weightFeeds(m))]), base)).toBe(0);
      const fed = await runOnnxModel(probe, [...xSub(sr), ...(await weightFeeds(m, name, 3))]);
      expect(maxDiff(fed, base), name).toBeGreaterThan(0.01);
      expect(maxDiff(fed, await runOnnxModel(await written(m, name, 3), xSub(sr))), name).toBeLessThan(1e-5);
    }
  });
});
