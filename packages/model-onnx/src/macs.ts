import { shapeSize } from "@quantforge/core";
import type { OnnxModel } from "@quantforge/io-onnx";

/**
 * Multiply-accumulates of an ONNX model's forward pass (core's `ForwardPass.macsPerSample`),
 * counted from shapes: the main graph's convolutions and matrix products, with the shapes of
 * their outputs and operands as one run reports them (pure; the run is the probe's).
 */

/** A node whose work is multiply-accumulates: `a` the data operand, `b` the weight (or second operand). */
export interface MacNode {
  readonly op: "Conv" | "ConvTranspose" | "MatMul" | "Gemm";
  readonly out: string;
  readonly a: string;
  readonly b: string;
  readonly transA: boolean;
  readonly transB: boolean;
}

const MAC_OPS = new Set<MacNode["op"]>(["Conv", "ConvTranspose", "MatMul", "Gemm"]);

/**
 * The main graph's MAC nodes, the values a run must also output for their shapes (node outputs
 * only: graph inputs' shapes are the feeds', initializers' are stored), and the stored shapes of
 * the main graph's initializers and Constant values. Nodes in subgraphs (If/Loop bodies) are
 * left out: their values cannot be graph outputs.
 */
export function macNodes(m: OnnxModel): { nodes: MacNode[]; values: string[]; stored: Map<string, readonly number[]> } {
  const stored = new Map<string, readonly number[]>();
  for (const i of m.initializers) if (i.graph === 0) stored.set(i.localName, i.dims);
  const produced = new Set<string>();
  for (const n of m.nodes) if ((n.graph ?? 0) === 0) for (const o of n.outputs) produced.add(o);
  const nodes: MacNode[] = [];
  const values = new Set<string>();
  for (const n of m.nodes) {
    if ((n.graph ?? 0) !== 0 || (n.domain !== "" && n.domain !== "ai.onnx") || !MAC_OPS.has(n.opType as MacNode["op"])) continue;
    const [a, b] = n.inputs,
      out = n.outputs[0];
    if (!a || !b || !out) continue;
    nodes.push({ op: n.opType as MacNode["op"], out, a, b, transA: (n.ints?.transA ?? 0) !== 0, transB: (n.ints?.transB ?? 0) !== 0 });
    for (const v of [out, a, b]) if (produced.has(v) && !stored.has(v)) values.add(v);
  }
  return { nodes, values: [...values], stored };
}

const size = (s: readonly number[] | undefined): number => (s ? shapeSize(s) : 0);

/**
 * MACs of `nodes` given each value's shape (`shapeOf`, undefined when unknown: that node counts
 * 0). Conv: output size × Π W[1:] (W = [C_out, C_in/group, k…]); ConvTranspose: input size ×
 * Π W[1:] (W = [C_in, C_out/group, k…]); MatMul: output size × K (A's last axis, else B's second
 * last); Gemm: M·N × K (by `transA`/`transB`).
 */
export function countMacs(nodes: readonly MacNode[], shapeOf: (name: string) => readonly number[] | undefined): number {
  let macs = 0;
  for (const n of nodes) {
    const out = shapeOf(n.out),
      a = shapeOf(n.a),
      b = shapeOf(n.b);
    if (!out) continue;
    if (n.op === "Conv" && b && b.length >= 3) macs += size(out) * size(b.slice(1));
    else if (n.op === "ConvTranspose" && a && b && b.length >= 3) macs += size(a) * size(b.slice(1));
    else if (n.op === "MatMul") {
      const K = a && a.length > 0 ? a[a.length - 1]! : b && b.length >= 2 ? b[b.length - 2]! : 0;
      macs += size(out) * K;
    } else if (n.op === "Gemm") {
      const K = a && a.length === 2 ? a[n.transA ? 0 : 1]! : b && b.length === 2 ? b[n.transB ? 1 : 0]! : 0;
      macs += size(out) * K;
    }
  }
  return macs;
}
