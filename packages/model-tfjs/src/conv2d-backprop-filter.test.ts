import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { lcg } from "./ref64.test-support.js";
import { getTf } from "./tf.js";

function randomArray(n: number, seed: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

/** d/dW Σ (conv2d(x, W) ⊙ dy) = Conv2DBackpropFilter(x, dy) on the current backend. */
async function filterGrad(backend: "wasm" | "cpu", xs: number[], ws: number[], stride: number, pad: "valid" | "same", seed: number): Promise<{ data: Float32Array; backend: string }> {
  const tf = await getTf(backend);
  const x = tf.tensor4d(
    randomArray(
      xs.reduce((a, b) => a * b),
      seed,
    ),
    xs as [number, number, number, number],
  );
  const w = tf.tensor4d(
    randomArray(
      ws.reduce((a, b) => a * b),
      seed + 1,
    ),
    ws as [number, number, number, number],
  );
  const y = tf.conv2d(x, w, stride, pad);
  const dy = tf.tensor(randomArray(y.size, seed + 2), y.shape);
  const g = tf.grad((f: Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as Tensor4D, stride, pad), dy)))(w);
  const data = (await g.data()) as Float32Array;
  tf.dispose([x, w, y, dy, g]);
  return { data, backend: tf.getBackend() };
}

describe("WASM Conv2DBackpropFilter kernel", () => {
  afterAll(async () => {
    await getTf("wasm");
  });
  const cases: [number[], number[], number][] = [
    [[3, 7, 6, 2], [3, 2, 2, 4], 1],
    [[2, 9, 8, 6], [5, 4, 6, 10], 7],
    [[1, 5, 5, 1], [5, 5, 1, 3], 3],
  ];
  for (const [xs, ws, seed] of cases) {
    it(`matches the CPU backend's gradient for x [${xs.join(",")}], W [${ws.join(",")}]`, async () => {
      const cpu = await filterGrad("cpu", [...xs], [...ws], 1, "valid", seed);
      const wasm = await filterGrad("wasm", [...xs], [...ws], 1, "valid", seed);
      expect(cpu.backend).toBe("cpu");
      expect(wasm.backend).toBe("wasm");
      expect(wasm.data.length).toBe(ws.reduce((a, b) => a * b));
      let scale = 0;
      for (const v of cpu.data) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < cpu.data.length; i++) {
        // Both sum the same products in float32 in different orders: ~1e-6 relative to the scale.
        expect(Math.abs(wasm.data[i]! - cpu.data[i]!)).toBeLessThanOrEqual(1e-5 * scale);
      }
    });
  }
  it("getTf() keeps the backend in use; getTf(backend) switches", async () => {
    expect((await getTf("cpu")).getBackend()).toBe("cpu");
    expect((await getTf()).getBackend()).toBe("cpu");
    expect((await getTf("wasm")).getBackend()).toBe("wasm");
    expect((await getTf()).getBackend()).toBe("wasm");
  });

  it("rejects strides other than 1 and 'same' padding with a clear error", async () => {
    await expect(filterGrad("wasm", [2, 8, 8, 1], [3, 3, 1, 2], 2, "valid", 1)).rejects.toMatchObject({ code: "QF_USAGE", message: expect.stringMatching(/stride 1, 'valid' padding/) });
    await expect(filterGrad("wasm", [2, 8, 8, 1], [3, 3, 1, 2], 1, "same", 1)).rejects.toMatchObject({ code: "QF_USAGE" });
  });
});
