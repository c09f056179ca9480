import type { OnnxModel } from "./types.js";

/** Which DequantizeLinear forms the model's opset allows (for the `onnx-qdq` target and the default target choice). */
export interface OnnxQdqSupport {
  /** Per-tensor scale/zero point: DequantizeLinear exists from opset 10. */
  readonly perTensor: boolean;
  /** Per-axis (`axis` attribute, 1-D scales): opset 13. */
  readonly perAxis: boolean;
  /** Blocked (`block_size`): opset 21. */
  readonly blocked: boolean;
}

/** The DequantizeLinear forms the model's declared opset (default domain) allows. */
export function onnxQdqSupport(model: Pick<OnnxModel, "opset">): OnnxQdqSupport {
  return { perTensor: model.opset >= 10, perAxis: model.opset >= 13, blocked: model.opset >= 21 };
}

/**
 * The largest number of products one output element of an op sums, over every graph of the
 * model, read from the weight tensors' dims: Conv W `[M, C/g, kh, kw]` → C/g·kh·kw;
 * ConvTranspose W `[C, M/g, kh, kw]` → C/g·kh·kw; Gemm B → K (`transB` picks the axis);
 * MatMul B `[…, K, N]` → K. 1 when no such op reads a known tensor.
 */
export function maxReductionSize(model: OnnxModel): number {
  const dims = new Map<string, readonly number[]>();
  for (const i of model.initializers) dims.set(i.localName, i.dims);
  let k = 1;
  for (const g of model.graphs) {
    for (const n of g.nodes) {
      const w = n.inputs[1] ? dims.get(n.inputs[1]) : undefined;
      if (!w || w.length < 2) continue;
      const group = Math.max(1, n.ints?.group ?? 1);
      let r = 0;
      if (n.opType === "Conv") r = w.slice(1).reduce((a, b) => a * b, 1);
      else if (n.opType === "ConvTranspose") r = (w[0]! / group) * w.slice(2).reduce((a, b) => a * b, 1);
      else if (n.opType === "Gemm") r = n.ints?.transB === 1 ? w[1]! : w[0]!;
      else if (n.opType === "MatMul") r = w.at(-2)!;
      if (Number.isFinite(r) && r > k) k = r;
    }
  }
  return k;
}

/**
 * Relative tolerance for comparing two float32 runs of the same arithmetic that may sum in a
 * different order (another graph-optimization level, a fused kernel, prepacked weights).
 *
 * Derivation: a float32 sum of K products, in any order, is within γ_K·Σ|terms| of the exact
 * sum, with γ_K = K·u/(1 − K·u) and u = 2⁻²⁴ (unit roundoff; Higham, *Accuracy and Stability of
 * Numerical Algorithms*, §3.1). Two orders can therefore differ by 2·γ_K·Σ|terms|. Measured
 * relative to the largest output magnitude, and allowing the error of one layer to pass through
 * the next (`depth` layers, each adding its own 2·γ_K), the bound is 2·depth·γ_K. K is the
 * largest reduction in the graph ({@link maxReductionSize}); depth defaults to the number of
 * reducing ops. It is a bound, not an estimate: cancellation (Σ|terms| ≫ |sum|) is what it
 * allows for, so a mismatch beyond it is not rounding.
 */
export function accumulationTolerance(reduction: number, depth = 1): number {
  const u = 2 ** -24;
  const ku = Math.max(1, reduction) * u;
  const gamma = ku / Math.max(1e-12, 1 - ku);
  return 2 * Math.max(1, depth) * gamma;
}

/** Number of reducing ops (Conv, ConvTranspose, Gemm, MatMul) over every graph: the `depth` of {@link accumulationTolerance}. */
export function reductionDepth(model: OnnxModel): number {
  let d = 0;
  for (const g of model.graphs) for (const n of g.nodes) if (n.opType === "Conv" || n.opType === "ConvTranspose" || n.opType === "Gemm" || n.opType === "MatMul") d++;
  return d;
}

const REDUCING = new Set(["Conv", "ConvTranspose", "Gemm", "MatMul"]);

/**
 * The most reducing ops (Conv, ConvTranspose, Gemm, MatMul) on any one path from the main
 * graph's inputs to an output — the `depth` of {@link accumulationTolerance}: rounding errors add
 * up along a path, not over parallel branches. A node holding subgraphs (`If`, `Loop`, `Scan`)
 * adds the deepest path of its own subgraphs (a loop body counts once). Nodes are visited in file
 * order (ONNX requires topological order). At most {@link reductionDepth}.
 */
export function reductionPathDepth(model: Pick<OnnxModel, "graphs">): number {
  const best = new Array<number>(model.graphs.length).fill(0);
  const children = new Map<number, OnnxModel["graphs"][number][]>();
  for (const g of model.graphs) if (g.parent >= 0) children.set(g.parent, [...(children.get(g.parent) ?? []), g]);
  // Subgraphs are found breadth-first (a child's id is larger than its parent's): reverse id order
  // knows every child before its parent.
  for (let id = model.graphs.length - 1; id >= 0; id--) {
    const g = model.graphs[id]!;
    const kids = children.get(id) ?? [];
    const depth = new Map<string, number>();
    let top = 0;
    g.nodes.forEach((n, index) => {
      let d = 0;
      for (const i of n.inputs) d = Math.max(d, depth.get(i) ?? 0);
      if (REDUCING.has(n.opType)) d += 1;
      if (kids.length > 0) {
        // The reader names a subgraph `<scope>/<node label>/<attribute>`, the label being the node's name, first output or `<op>#<index>`.
        const label = n.name || n.outputs[0] || `${n.opType}#${index}`;
        const prefix = `${g.scope ? `${g.scope}/` : ""}${label}/`;
        let inner = 0;
        for (const k of kids) if (k.scope.startsWith(prefix)) inner = Math.max(inner, best[k.id]!);
        d += inner;
      }
      for (const o of n.outputs) depth.set(o, d);
      top = Math.max(top, d);
    });
    best[id] = top;
  }
  return best[0] ?? 0;
}
