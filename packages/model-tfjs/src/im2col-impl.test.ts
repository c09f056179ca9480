import type { Tensor4D } from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { convOutput, im2col } from "./im2col-impl.js";
import { lcg } from "./ref64.test-support.js";
import { getTf } from "./tf.js";

describe("im2col", () => {
  const cases = [
    { n: 2, h: 5, w: 6, c: 2, k: [3, 2], s: [1, 1], pad: "valid" },
    { n: 2, h: 7, w: 5, c: 3, k: [3, 3], s: [2, 2], pad: "same" },
    { n: 1, h: 6, w: 6, c: 1, k: [2, 3], s: [2, 1], pad: "same" },
    { n: 3, h: 9, w: 8, c: 2, k: [4, 4], s: [3, 2], pad: "valid" },
  ] as const;
  for (const cs of cases) {
    it(`patches × kernel = tf.conv2d (${cs.pad}, kernel ${cs.k.join("×")}, stride ${cs.s.join("×")})`, async () => {
      const tf = await getTf();
      const r = lcg(cs.h * 31 + cs.w);
      const co = 4;
      const x = Float32Array.from({ length: cs.n * cs.h * cs.w * cs.c }, () => r() - 0.5);
      const k = Float32Array.from({ length: cs.k[0] * cs.k[1] * cs.c * co }, () => r() - 0.5);
      const g = { height: cs.h, width: cs.w, channels: cs.c, kernelSize: cs.k, strides: cs.s, padding: cs.pad };
      const [oh, ow] = convOutput(g);
      const p = im2col(x, cs.n, g);
      const K = cs.k[0] * cs.k[1] * cs.c;
      expect(p.length).toBe(cs.n * oh * ow * K);
      const y = tf.conv2d(tf.tensor(x, [cs.n, cs.h, cs.w, cs.c]) as Tensor4D, tf.tensor(k, [cs.k[0], cs.k[1], cs.c, co]) as Tensor4D, [cs.s[0], cs.s[1]], cs.pad);
      expect(y.shape).toEqual([cs.n, oh, ow, co]);
      const yd = (await y.data()) as Float32Array;
      y.dispose();
      for (let row = 0; row < cs.n * oh * ow; row++) {
        for (let o = 0; o < co; o++) {
          let s = 0;
          for (let j = 0; j < K; j++) s += p[row * K + j]! * k[j * co + o]!;
          expect(Math.abs(s - yd[row * co + o]!)).toBeLessThan(1e-5);
        }
      }
    });
  }
});
