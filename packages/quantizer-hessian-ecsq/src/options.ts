import { z } from "@quantforge/core";

/** The four algorithms of the paper (spec §3). */
export const MODES = ["kmeans", "hessian-kmeans", "uniform", "iterative-ecsq"] as const;

/** Options of the `hessian-ecsq` quantizer (defaults applied by the schema). */
export const hessianEcsqOptionsSchema = z
  .object({
    /**
     * `kmeans` (plain 1-D Lloyd), `hessian-kmeans` (centres = importance-weighted means),
     * `uniform` (equal-width bins centred on multiples of Δ; the ECSQ heuristic) or
     * `iterative-ecsq` (Lagrangian J = D + λH).
     * @default "hessian-kmeans"
     */
    mode: z.enum(MODES).default("hessian-kmeans"),
    /**
     * Per-weight importance h: the Hessian diagonal of the loss (`hessian`), Adam's √v̂
     * (`adam`) or 1 (`none`). `hessian`/`adam` need a model (`--model`). Ignored by `kmeans`.
     * @default "hessian"
     */
    importance: z.enum(["hessian", "adam", "none"]).default("hessian"),
    /** Samples for the Hessian diagonal. @default 1000 */
    hessianSamples: z.number().int().min(1).default(1000),
    /** h is clamped below at this fraction of its mean (spec §2: a small positive floor). @default 1e-6 */
    importanceFloor: z.number().positive().max(1).default(1e-6),
    /** `joint`: one codebook for all quantized tensors (the paper's choice); `layer`: one per tensor. @default "joint" */
    scope: z.enum(["joint", "layer"]).default("joint"),
    /** Fixed-length bits: sets `clusters` to 2^bits when `clusters` is not given. */
    bits: z.number().int().min(1).max(16).optional(),
    /** Number of clusters k (the start count for iterative ECSQ; empty clusters are dropped). */
    clusters: z.number().int().min(1).max(65536).optional(),
    /** Bin width Δ for `uniform` (in weight units). */
    step: z.number().positive().optional(),
    /** Lagrange multiplier λ for `iterative-ecsq` (h has mean 1, so D and λ share weight² units). */
    lambda: z.number().min(0).optional(),
    /** Target zeroth-order entropy (bits/weight) for `uniform` (searches Δ) or `iterative-ecsq` (searches λ). */
    targetBits: z.number().positive().optional(),
    /** Accepted distance of the reached entropy from `targetBits`. @default 0.01 */
    tolerance: z.number().positive().default(0.01),
    /** `uniform`: levels are importance-weighted (true) or plain (false) means of their bin. @default true */
    weightedMeans: z.boolean().default(true),
    /** `uniform`: the level of the bin around 0 is exactly 0. @default false */
    pinZero: z.boolean().default(false),
    /** k-means start: exact optimal k-means on a fine histogram (`optimal`) or k linearly spaced centres (`linear`). @default "optimal" */
    init: z.enum(["optimal", "linear"]).default("optimal"),
    /** Histogram bins of the optimal start. @default 4096 */
    histogramBins: z
      .number()
      .int()
      .min(16)
      .max(1 << 20)
      .default(4096),
    /** Iteration cap of Lloyd / iterative ECSQ (they normally stop by the rule of spec §3 first). @default 1000 */
    maxIterations: z.number().int().min(1).default(1000),
    /** Evaluations allowed when searching Δ or λ for `targetBits`. @default 40 */
    maxSearchSteps: z.number().int().min(2).max(200).default(40),
    /** Magnitude pruning before quantization: fraction of weights kept, in (0, 1]. */
    density: z.number().gt(0).max(1).optional(),
    /** Pruning threshold over all tensors (`joint`) or per tensor (`layer`). @default "joint" */
    pruneScope: z.enum(["joint", "layer"]).default("joint"),
    /** Prune bias tensors too (when they are selected for quantization). @default false */
    pruneBiases: z.boolean().default(false),
  })
  .strict()
  .superRefine((o, ctx) => {
    const bad = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (o.step !== undefined && o.mode !== "uniform") bad("step", `is only used by mode "uniform" (mode is "${o.mode}")`);
    if (o.lambda !== undefined && o.mode !== "iterative-ecsq") bad("lambda", `is only used by mode "iterative-ecsq" (mode is "${o.mode}")`);
    if (o.targetBits !== undefined && o.mode !== "uniform" && o.mode !== "iterative-ecsq") bad("targetBits", `is only used by modes "uniform" and "iterative-ecsq" (mode is "${o.mode}")`);
    if (o.lambda !== undefined && o.targetBits !== undefined) bad("targetBits", "cannot be combined with lambda; give one of them");
    if (o.step !== undefined && o.targetBits !== undefined) bad("targetBits", "cannot be combined with step; give one of them");
  });

/** Parsed options of the `hessian-ecsq` quantizer. */
export type HessianEcsqOptions = z.output<typeof hessianEcsqOptionsSchema>;
/** Options accepted before defaults. */
export type HessianEcsqOptionsInput = z.input<typeof hessianEcsqOptionsSchema>;

/** Number of clusters the options ask for (k = clusters, else 2^bits, else a per-mode default). */
export function resolveClusters(o: HessianEcsqOptions): number {
  if (o.clusters !== undefined) return o.clusters;
  if (o.bits !== undefined) return 2 ** o.bits;
  return o.mode === "iterative-ecsq" && o.targetBits !== undefined ? 256 : 16;
}
