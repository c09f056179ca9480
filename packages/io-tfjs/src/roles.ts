import type { LayerKind, TensorRole } from "@quantforge/core";

/** What a model tells about one weight: its role, layer and layer kind. */
export interface WeightTags {
  readonly role: TensorRole;
  readonly layer?: string;
  readonly layerKind?: LayerKind;
  /** Output-channel axis of the weight (negative counts from the end); see core's `WeightTensor.outputAxis`. */
  readonly outputAxis?: number;
  /** Input-channel axis of the weight (negative counts from the end). */
  readonly inputAxis?: number;
}

/**
 * Channel axes of tfjs kernels (TensorFlow layouts): dense `[in, out]` and conv `[kh, kw, cin, cout]`
 * → output −1, input −2; depthwise `[kh, kw, c, multiplier]` → −2 for both (the channel axis;
 * the multiplier is 1 in nearly every model); transposed conv `[kh, kw, cout, cin]` → −2, −1.
 */
const AXES = {
  standard: { outputAxis: -1, inputAxis: -2 },
  depthwise: { outputAxis: -2, inputAxis: -2 },
  transposed: { outputAxis: -2, inputAxis: -1 },
  /** `[vocab, dim]` embedding tables: one row per token. */
  embedding: { outputAxis: -2, inputAxis: -1 },
} as const;

const KERNEL_SUFFIXES = new Set(["kernel", "depthwise_kernel", "pointwise_kernel", "embeddings", "recurrent_kernel"]);
const LAYER_KINDS: Readonly<Record<string, LayerKind>> = {
  Dense: "dense",
  Conv1D: "conv2d",
  Conv2D: "conv2d",
  Conv3D: "conv2d",
  DepthwiseConv2D: "conv2d",
  SeparableConv2D: "conv2d",
  Conv2DTranspose: "conv2d",
};

/**
 * Layer class names by layer name, from a layers-model topology (nested models included).
 * Walked with an explicit stack, not recursion: a hostile topology may nest 200,000 levels deep.
 */
function layerClasses(topology: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const stack: unknown[] = [topology];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
      continue;
    }
    const o = node as Record<string, unknown>;
    const cfg = o.config as Record<string, unknown> | undefined;
    if (typeof o.class_name === "string" && cfg && typeof cfg === "object" && typeof cfg.name === "string") out.set(cfg.name, o.class_name);
    const vs = Object.values(o);
    for (let i = vs.length - 1; i >= 0; i--) if (vs[i] && typeof vs[i] === "object") stack.push(vs[i]);
  }
  return out;
}

/**
 * Tags of a layers model's weights from their names (`<layer>/kernel`, `<layer>/bias`, …) and
 * the layer classes in the topology: kernels, depthwise/pointwise kernels, embeddings and
 * recurrent kernels are `weight`s; `bias` is a bias; anything else (batch-norm statistics,
 * gammas, …) is `other`.
 */
export function layersModelTags(topology: unknown, names: readonly string[]): Map<string, WeightTags> {
  const classes = layerClasses(topology);
  const out = new Map<string, WeightTags>();
  for (const name of names) {
    const parts = name.split("/");
    const last = parts[parts.length - 1]!;
    const layer = parts.length > 1 ? parts[parts.length - 2]! : undefined;
    const cls = layer === undefined ? undefined : classes.get(layer);
    const role: TensorRole = KERNEL_SUFFIXES.has(last) ? "weight" : last === "bias" ? "bias" : "other";
    const layerKind = cls === undefined ? undefined : (LAYER_KINDS[cls] ?? "other");
    const axes =
      role !== "weight"
        ? undefined
        : last === "depthwise_kernel" || cls === "DepthwiseConv2D"
          ? AXES.depthwise
          : cls === "Conv2DTranspose" || cls === "Conv3DTranspose"
            ? AXES.transposed
            : last === "embeddings"
              ? AXES.embedding
              : AXES.standard;
    out.set(name, { role, ...(layer !== undefined ? { layer } : {}), ...(layerKind ? { layerKind } : {}), ...(axes ?? {}) });
  }
  return out;
}

const MATMUL_OPS = new Set(["MatMul", "BatchMatMul", "BatchMatMulV2", "_FusedMatMul", "Einsum"]);
const CONV_OPS = new Set(["Conv2D", "Conv1D", "Conv3D", "DepthwiseConv2d", "DepthwiseConv2dNative", "_FusedConv2D", "FusedConv2D", "FusedDepthwiseConv2dNative", "Conv2DBackpropInput", "Conv3DBackpropInputV2"]);
const FUSED_OPS = new Set(["_FusedMatMul", "_FusedConv2D", "FusedConv2D", "FusedDepthwiseConv2dNative"]);
const BIAS_OPS = new Set(["BiasAdd", "Add", "AddV2"]);
const PASS_OPS = new Set(["Identity", "IdentityN", "StopGradient"]);

interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Record<string, { b?: boolean } | undefined>;
}

const DEPTHWISE_OPS = new Set(["DepthwiseConv2d", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"]);
const TRANSPOSED_OPS = new Set(["Conv2DBackpropInput", "Conv3DBackpropInputV2"]);

/** Channel axes of operand `index` of a MatMul-like node (its transpose attributes decide). */
function matmulAxes(node: GraphNode, index: number): { outputAxis: number; inputAxis: number } {
  const t = node.attr?.[index === 1 ? "transpose_b" : "transpose_a"]?.b === true || node.attr?.[index === 1 ? "adj_y" : "adj_x"]?.b === true;
  // B: [K, N] (N outputs) or transposed [N, K]; a constant A: [M, K] rows are the outputs.
  if (index === 1) return t ? { outputAxis: -2, inputAxis: -1 } : { outputAxis: -1, inputAxis: -2 };
  return t ? { outputAxis: -1, inputAxis: -2 } : { outputAxis: -2, inputAxis: -1 };
}

/**
 * Tags of a graph model's weights from how the graph uses each constant: the filter of a
 * convolution (input 1) or a matrix operand of a MatMul is a `weight` (layer = the consuming
 * node), input 1 of BiasAdd/Add or the extra arguments of fused ops are `bias`es, everything
 * else is `other`. Identity nodes are looked through.
 */
export function graphModelTags(topology: unknown, names: readonly string[]): Map<string, WeightTags> {
  const nodes = ((topology as { node?: unknown }).node ?? []) as GraphNode[];
  const consumers = new Map<string, { node: GraphNode; index: number }[]>();
  if (Array.isArray(nodes)) {
    for (const n of nodes) {
      if (!n || typeof n !== "object" || !Array.isArray(n.input)) continue;
      n.input.forEach((raw, index) => {
        if (typeof raw !== "string" || raw.startsWith("^")) return;
        const src = raw.replace(/:\d+$/, "");
        const list = consumers.get(src) ?? [];
        list.push({ node: n, index });
        consumers.set(src, list);
      });
    }
  }
  const classify = (name: string, depth: number): WeightTags => {
    let best: WeightTags = { role: "other" };
    for (const { node, index } of consumers.get(name) ?? []) {
      if (PASS_OPS.has(node.op) && depth < 4) {
        const t = classify(node.name, depth + 1);
        if (t.role === "weight") return t;
        if (t.role === "bias") best = t;
        continue;
      }
      if (MATMUL_OPS.has(node.op) && index <= 1) return { role: "weight", layer: node.name, layerKind: "dense", ...(node.op === "Einsum" ? {} : matmulAxes(node, index)) };
      if (CONV_OPS.has(node.op) && index === 1) {
        const axes = DEPTHWISE_OPS.has(node.op) ? AXES.depthwise : TRANSPOSED_OPS.has(node.op) ? AXES.transposed : AXES.standard;
        return { role: "weight", layer: node.name, layerKind: "conv2d", ...axes };
      }
      if ((FUSED_OPS.has(node.op) && index >= 2) || (BIAS_OPS.has(node.op) && index === 1)) best = { role: "bias", layer: node.name };
    }
    return best;
  };
  const out = new Map<string, WeightTags>();
  for (const name of names) out.set(name, classify(name, 0));
  return out;
}

const BIAS_NAME = /(^|_)(bias|biases|beta|offset)$/i;
const WEIGHT_NAME = /(^|_)(weights?|kernel|filters?|fc|w|matrix)$/i;

/**
 * Tags of the weights of a bare weights manifest (no topology) from their names and shapes, using
 * TensorFlow's layouts: a rank-4 tensor is a convolution filter `[kh, kw, cin, cout]` (HWIO) —
 * a depthwise one `[kh, kw, c, multiplier]` when its name says `depthwise` —, a rank-2 tensor
 * named like a weight (`…/weights`, `…/kernel`, `…/fc`) is a dense `[in, out]` matrix; rank ≤ 1
 * tensors named `bias`/`biases`/`beta`/`…_offset` are biases; everything else is `other`. The
 * layer is the name without its last component.
 */
export function manifestTags(specs: readonly { readonly name: string; readonly shape: readonly number[] }[]): Map<string, WeightTags> {
  const out = new Map<string, WeightTags>();
  for (const { name, shape } of specs) {
    const parts = name.split("/");
    const last = parts[parts.length - 1]!;
    const layer = parts.length > 1 ? parts.slice(0, -1).join("/") : undefined;
    const at = layer !== undefined ? { layer } : {};
    if (shape.length === 4) {
      out.set(name, { role: "weight", ...at, layerKind: "conv2d", ...(/depthwise/i.test(last) ? AXES.depthwise : AXES.standard) });
    } else if (shape.length === 2 && WEIGHT_NAME.test(last)) {
      out.set(name, { role: "weight", ...at, layerKind: "dense", ...AXES.standard });
    } else if (shape.length <= 1 && BIAS_NAME.test(last)) {
      out.set(name, { role: "bias", ...at });
    } else {
      out.set(name, { role: "other", ...at });
    }
  }
  return out;
}
