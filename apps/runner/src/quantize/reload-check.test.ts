import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { codebookMap, type ProgressReporter, type WeightTensor } from "@quantforge/core";
import { defaultSelector, runPipeline } from "@quantforge/core/host";
import { encodeOnnxModel, streamOnnxWeights, type OnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx";
import { buildOnnxModel, put } from "@quantforge/io-onnx/testing";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../__tests__/harness.js";
import { evaluateModel } from "./reload-check.js";
import { openSource, type Source } from "./source.js";
import type { QuantizeModelOptions } from "./options.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let src: Source;
beforeAll(async () => {
  t = await tempDir();
  src = await openSource(await put(t.dir, "m.onnx", buildOnnxModel({ seed: 3 })), "onnx");
});
afterAll(async () => {
  await src.close();
  await t.cleanup();
});

const progress: ProgressReporter = { update() {} };

async function rtn8(m: OnnxModel) {
  const weights: WeightTensor[] = [];
  for await (const w of streamOnnxWeights(m)) weights.push(w);
  const r = await runPipeline({ weights, quantizer: { plugin: rtnQuantizer(), options: { bits: 8 } }, select: defaultSelector });
  const cbs = codebookMap(r.quantized);
  const outputs = new Map<string, OnnxWeightOutput>(r.quantized.tensors.map((q) => [q.name, { kind: "quantized", tensor: q, codebook: cbs.get(q.codebook)! }]));
  const decoded = new Map(r.decoded.filter((d) => r.quantizedNames.has(d.name)).map((d) => [d.name, d.data]));
  return { outputs, decoded };
}

async function check(dir: string, bytes: Uint8Array, target: "onnx" | "onnx-qdq", decoded: ReadonlyMap<string, Float32Array>) {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.onnx"), bytes);
  const o = { input: src.onnx!.path, out: dir, seed: 0, samples: 4, evaluate: true, progress, select: defaultSelector } as unknown as QuantizeModelOptions;
  const r = await evaluateModel(src, dir, target, decoded, o);
  if (!r || "skipped" in r) throw new Error("the check did not run");
  return r.reload;
}

describe("reload check", () => {
  it("passes the file as written, with the float32 accumulation tolerance of the model", async () => {
    const { outputs, decoded } = await rtn8(src.onnx!);
    for (const target of ["onnx", "onnx-qdq"] as const) {
      const reload = await check(t.path(`ok-${target}`), (await encodeOnnxModel(src.onnx!, outputs, { target })).bytes, target, decoded);
      expect(reload.matches, `${target}: ${reload.maxRelDiff}`).toBe(true);
      // Gemm B [4, 75] (transB) is the largest reduction; Conv → Gemm is the deepest path.
      expect(reload.tolerance).toMatchObject({ reduction: 75, depth: 2 });
      expect(reload.tolerance!.value).toBeLessThan(1e-4);
    }
  });

  it("catches one corrupted written weight (a bug, not the runtime: the unquantized control passes)", async () => {
    const { outputs, decoded } = await rtn8(src.onnx!);
    const [name, out] = [...outputs].find(([, o]) => o.kind === "quantized" && o.tensor.shape.length === 4)!;
    if (out.kind !== "quantized") throw new Error("unreachable");
    // One code of the conv filter moved by 64 levels: one weight changes by 64 steps.
    const codes = out.tensor.codes.slice();
    codes[0] = codes[0]! >= 128 ? codes[0]! - 64 : codes[0]! + 64;
    const corrupt = new Map(outputs).set(name, { ...out, tensor: { ...out.tensor, codes } });
    for (const target of ["onnx", "onnx-qdq"] as const) {
      const reload = await check(t.path(`bad-${target}`), (await encodeOnnxModel(src.onnx!, corrupt, { target })).bytes, target, decoded);
      expect(reload.matches, target).toBe(false);
      expect(reload.runtimeNondeterministic, target).toBeUndefined();
      expect(reload.maxRelDiff).toBeGreaterThan(10 * reload.tolerance!.value);
    }
  });
});
