import type { AnyPlugin, PluginKind } from "@quantforge/core";

/**
 * A built-in plugin as `quantforge list` shows it, and how to create its descriptor. The metadata
 * is written here, not read from the descriptor, so `list` imports no plugin package (issue 18:
 * importing all of them, and building their option schemas, was most of its start-up).
 */
export interface BuiltinPlugin {
  readonly kind: PluginKind;
  readonly id: string;
  readonly version: string;
  readonly description: string;
  /** Imports the plugin's package and creates its descriptor (the same factory call as {@link builtinPlugins}). */
  readonly load: () => Promise<AnyPlugin>;
}

/**
 * The built-in plugins of `builtinPlugins()` (plugins.ts), in the same order and with the same
 * metadata (`builtin-plugins.test.ts` compares them): the CLI registers these, importing each
 * package only when a command needs it. To add a plugin, add it to both lists.
 */
export const BUILTIN_PLUGINS: readonly BuiltinPlugin[] = Object.freeze([
  {
    kind: "quantizer",
    id: "rtn",
    version: "0.1.0",
    description: "Min/max affine round-to-nearest (tfjs-converter/TFLite baseline); asymmetric or symmetric, per tensor, channel or group.",
    load: async () => (await import("@quantforge/quantizer-rtn")).rtnQuantizer(),
  },
  {
    kind: "quantizer",
    id: "uniform-mse",
    version: "0.1.0",
    description: "MSE-optimal uniform quantizer for a Laplacian source (optimal or iterative x_max), matched or variance-mismatched, per tensor or channel; midrise (papers) or midtread (exact zero).",
    load: async () => (await import("@quantforge/quantizer-uniform-mse")).uniformMseQuantizer(),
  },
  {
    kind: "quantizer",
    id: "support-region",
    version: "0.1.0",
    description: "2–4 bit uniform quantizer of the Laplacian design with a chosen support region (optimal, iterative, max, k·σ, percentile, value, measured-MSE search), layer-wise or global; midrise (paper) or midtread (exact zero).",
    load: async () => (await import("@quantforge/quantizer-support-region")).supportRegionQuantizer(),
  },
  {
    kind: "quantizer",
    id: "msq",
    version: "0.1.0",
    description: "Plain memoryless scalar quantization to the uniform alphabet shared with preprocessed-msq and gpfq (c = max|w| per tensor)",
    load: async () => (await import("@quantforge/quantizer-preprocessed-msq")).msqQuantizer(),
  },
  {
    kind: "quantizer",
    id: "preprocessed-msq",
    version: "0.1.0",
    description: "Data-driven pre-processing (vertex walk keeping X·z = X·w) + memoryless scalar quantization (Maly & Saab 2023)",
    load: async () => (await import("@quantforge/quantizer-preprocessed-msq")).preprocessedMsqQuantizer(),
  },
  {
    kind: "quantizer",
    id: "gpfq",
    version: "0.1.0",
    description: "Greedy path-following quantization (GPFQ, Lybrand & Saab 2021) on the alphabet shared with msq and preprocessed-msq",
    load: async () => (await import("@quantforge/quantizer-gpfq")).gpfqQuantizer(),
  },
  {
    kind: "quantizer",
    id: "gptq",
    version: "0.1.0",
    description: "GPTQ (Frantar et al. 2022): layer-wise quantization with Hessian error feedback (Cholesky of H⁻¹, blocks of 128, act order) onto rtn's affine grids",
    load: async () => (await import("@quantforge/quantizer-gptq")).gptqQuantizer(),
  },
  {
    kind: "quantizer",
    id: "hqq",
    version: "0.1.0",
    description: "HQQ (Badri & Shaji 2023): data-free half-quadratic quantization, per-group zero point fitted under an lp (p<1) error",
    load: async () => (await import("@quantforge/quantizer-hqq")).hqqQuantizer(),
  },
  {
    kind: "quantizer",
    id: "nf4",
    version: "0.1.0",
    description: "NF4/FP4 (Dettmers et al. 2023, QLoRA): shared 4-bit levels × per-group float16 absmax scale (scaledLevels codebook), optional double quantization",
    load: async () => (await import("@quantforge/quantizer-nf4")).nf4Quantizer(),
  },
  {
    kind: "quantizer",
    id: "hessian-ecsq",
    version: "0.1.0",
    description: "Hessian-weighted k-means, uniform and iterative entropy-constrained scalar quantization, joint codebook, optional pruning (Choi et al. 2017).",
    load: async () => (await import("@quantforge/quantizer-hessian-ecsq")).hessianEcsqQuantizer(),
  },
  {
    kind: "quantizer",
    id: "tfjs-affine",
    version: "0.1.0",
    description: "tfjs-converter's weight quantization: uint8/uint16 affine with nudged zero (or float16), per tensor.",
    load: async () => (await import("@quantforge/quantizer-tfjs-affine")).tfjsAffineQuantizer(),
  },
  {
    kind: "quantizer",
    id: "auto",
    version: "0.1.0",
    description: "Per-tensor choice of method, granularity and bit width under a size budget (bits/weight or bytes) by measured rate–output-error slopes; verified end to end",
    load: async () => (await import("@quantforge/quantizer-auto")).autoQuantizer(),
  },
  {
    kind: "coder",
    id: "fixed",
    version: "0.1.0",
    description: "fixed-length bit packing of codes (⌈log2 K⌉ bits each) with a CRC-32",
    load: async () => (await import("@quantforge/coder-fixed")).fixedCoder(),
  },
  {
    kind: "coder",
    id: "huffman",
    version: "0.1.0",
    description: "Canonical length-limited Huffman coding of codes and sparse positions (table-lookup decoding).",
    load: async () => (await import("@quantforge/coder-huffman")).huffmanCoder(),
  },
  {
    kind: "coder",
    id: "rans",
    version: "0.1.0",
    description: "Static rANS coding (per-stream precision, interleaved 32-bit states) of codes and sparse positions, within ~0.01 bit of the entropy.",
    load: async () => (await import("@quantforge/coder-rans")).ransCoder(),
  },
  {
    kind: "evaluator",
    id: "accuracy",
    version: "0.1.0",
    description: "Top-1 accuracy of the decoded network on the test set, float accuracy, top-1 agreement and output KL divergence",
    load: async () => (await import("@quantforge/evaluator-accuracy")).accuracyEvaluator(),
  },
  {
    kind: "evaluator",
    id: "sqnr",
    version: "0.1.0",
    description: "MSE, max-abs error and SQNR (dB) of the decoded weights, per tensor and over all quantized weights.",
    load: async () => (await import("@quantforge/evaluator-sqnr")).sqnrEvaluator(),
  },
  {
    kind: "evaluator",
    id: "size",
    version: "0.1.0",
    description: "Exact coded size: bytes, bits per weight (all overhead included), compression ratio vs float32, zeroth-order entropy of the codes.",
    load: async () => (await import("@quantforge/evaluator-size")).sizeEvaluator(),
  },
  {
    kind: "evaluator",
    id: "fidelity",
    version: "0.1.0",
    description: "Model-output fidelity: relative output error per output and worst, output KL and top-1 agreement on calibration or seeded random inputs",
    load: async () => (await import("@quantforge/evaluator-fidelity")).fidelityEvaluator(),
  },
]);
