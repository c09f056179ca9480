import { Rng, type WeightTensor } from "@quantforge/core";
import { UsageError } from "./errors.js";

/** Distribution of synthetic weights. */
export type SynthDistribution = "laplace" | "gauss";

/** One synthetic tensor: its name, shape and standard deviation. */
export interface SynthTensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly sigma: number;
}

/**
 * The default synthetic model: trained weights are close to Laplacian (seeds 000/002), with a
 * different scale per layer; the first tensor has exactly 1,000,000 weights so per-tensor header
 * overhead is negligible there (bits/weight close to the code width).
 */
export const DEFAULT_SYNTH_SPEC: readonly SynthTensorSpec[] = Object.freeze([
  { name: "layer1.weight", shape: [1000, 1000], sigma: 0.02 },
  { name: "layer2.weight", shape: [256, 1000], sigma: 0.05 },
  { name: "layer3.weight", shape: [10, 256], sigma: 0.2 },
  { name: "layer3.bias", shape: [10], sigma: 0.01 },
]);

const MAX_SYNTH_WEIGHTS = 1 << 28;

/**
 * Parses a `--tensors` spec: comma-separated `name:DIMS[:SIGMA]` with DIMS like `300x784`
 * (σ defaults to 0.05), e.g. `fc1:300x784:0.04,fc2:100x300`.
 */
export function parseTensorSpec(spec: string): SynthTensorSpec[] {
  const items = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`--tensors is empty. Give e.g. "fc1:300x784:0.04,fc2:100x300".`);
  const seen = new Set<string>();
  let total = 0;
  return items.map((item) => {
    const parts = item.split(":");
    if (parts.length < 2 || parts.length > 3 || !parts[0]) throw new UsageError(`--tensors entry "${item}" is not name:DIMS[:SIGMA]. Write e.g. "fc1:300x784:0.04".`);
    const [name, dims, sigmaText] = parts as [string, string, string | undefined];
    if (seen.has(name)) throw new UsageError(`--tensors names "${name}" twice. Tensor names must be unique.`);
    seen.add(name);
    const shape = dims.split("x").map((d) => (/^\d+$/.test(d) ? Number(d) : NaN));
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 1)) throw new UsageError(`--tensors entry "${item}" has bad dimensions "${dims}". Use positive integers joined by "x", e.g. 300x784.`);
    const sigma = sigmaText === undefined ? 0.05 : Number(sigmaText);
    // Samples reach ~40σ, and float32 ends at 3.4e38: a larger σ would write ±Inf weights.
    if (!Number.isFinite(sigma) || sigma <= 0 || sigma > MAX_SIGMA) throw new UsageError(`--tensors entry "${item}" has σ "${sigmaText}". Use a positive number up to ${MAX_SIGMA}.`);
    total += shape.reduce((a, b) => a * b, 1);
    if (total > MAX_SYNTH_WEIGHTS) throw new UsageError(`--tensors asks for more than ${MAX_SYNTH_WEIGHTS} weights. Use smaller shapes.`);
    return { name, shape, sigma };
  });
}

/** Largest σ accepted: every Laplace/Gauss sample of it stays far inside float32's range. */
export const MAX_SIGMA = 1e30;

/**
 * Generates seeded synthetic weights. Each tensor draws from its own generator forked from the
 * seed by the tensor's name, so adding or reordering tensors never changes another tensor's
 * values. Laplacian samples have variance σ² (scale b = σ/√2).
 */
export function synthesizeWeights(specs: readonly SynthTensorSpec[], seed: number, dist: SynthDistribution = "laplace"): WeightTensor[] {
  const root = new Rng(seed);
  return specs.map((s) => {
    const rng = root.fork(s.name);
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (dist === "laplace") for (let i = 0; i < n; i++) data[i] = rng.laplace(s.sigma);
    else for (let i = 0; i < n; i++) data[i] = s.sigma * rng.normal();
    return { name: s.name, shape: [...s.shape], data };
  });
}

/** Validates `--dist`. */
export function parseDistribution(raw: string | undefined): SynthDistribution {
  if (raw === undefined || raw === "laplace") return "laplace";
  if (raw === "gauss") return "gauss";
  throw new UsageError(`--dist "${raw}" is not known. Use laplace or gauss.`);
}
