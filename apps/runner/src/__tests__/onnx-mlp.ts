import { buildMatMulOnnxModel, put } from "@quantforge/io-onnx/testing";
import { afterAll, beforeAll } from "vitest";
import { tempDir } from "./harness.js";

/**
 * A temp directory holding a 64 → 128 → 10 ONNX MLP (MatMul + Add bias + Relu, seed 7: both
 * MatMul K, 64 and 128, are multiples of 32), made before the enclosing block's tests and removed
 * after them. Read `mlp` and `path` inside the tests.
 */
export function useOnnxMlp(): { readonly mlp: string; path: (name: string) => string } {
  let t: Awaited<ReturnType<typeof tempDir>> | undefined;
  let mlp = "";
  beforeAll(async () => {
    t = await tempDir();
    mlp = await put(t.dir, "mlp.onnx", buildMatMulOnnxModel({ seed: 7, dims: [64, 128, 10] }));
  });
  afterAll(async () => {
    await t?.cleanup();
  });
  return {
    get mlp() {
      return mlp;
    },
    path: (name) => t!.path(name),
  };
}
