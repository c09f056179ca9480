/** Test support: seeded tensors of several distribution shapes. */
import { Rng, type WeightTensor } from "@quantforge/core";

/** Distribution shapes of {@link shapedTensor}. */
export type Shape = "laplace" | "gauss" | "uniform" | "heavy" | "skewed";

/**
 * `n` seeded samples of scale `sigma` around `mean`: Laplacian, Gaussian, uniform, heavy-tailed
 * (a Laplacian with 3 % of the weights 8× wider — real layers look like this) or skewed (one-sided
 * exponential: a mean-removing quantizer must handle it).
 */
export function shapedTensor(kind: Shape, n: number, seed: number, sigma: number, mean: number, name = "t"): WeightTensor {
  const r = new Rng(seed);
  const data = Float32Array.from({ length: n }, () => {
    switch (kind) {
      case "laplace":
        return mean + r.laplace(sigma);
      case "gauss":
        return mean + r.normal() * sigma;
      case "uniform":
        return mean + (2 * r.float() - 1) * sigma;
      case "heavy":
        return mean + r.laplace(sigma) * (r.float() < 0.03 ? 8 : 1);
      case "skewed":
        return mean - sigma * Math.log(1 - r.float());
    }
  });
  return { name, shape: [n], data };
}
