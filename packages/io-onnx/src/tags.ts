import type { LayerKind, TensorRole } from "@quantforge/core";
import { graphWithin, type OnnxGraph, type OnnxNode } from "./graph.js";

/** Role, layer and layer kind of an initializer, from how the graph uses it. */
export interface OnnxWeightTags {
  readonly role: TensorRole;
  readonly layer?: string;
  readonly layerKind?: LayerKind;
  /** Output-channel axis (negative counts from the end); see core's `WeightTensor.outputAxis`. */
  readonly outputAxis?: number;
  /** Input-channel axis (negative counts from the end). */
  readonly inputAxis?: number;
}

/** A weight tensor to tag: its unique name, its name inside its graph, the graph. */
export interface TagSubject {
  readonly name: string;
  readonly localName: string;
  readonly graph: number;
  readonly rank: number;
}

const MATMUL_OPS = new Set(["Gemm", "MatMul", "MatMulInteger"]);
const CONV_OPS = new Set(["Conv", "ConvTranspose", "ConvInteger"]);
const RNN_OPS = new Set(["LSTM", "GRU", "RNN"]);
/** Ops that hand a tensor on unchanged in layout: a weight read through them is still tagged by its real consumer. */
const PASS_OPS = new Set(["Identity", "Cast", "DequantizeLinear"]);

type Use = { readonly node: OnnxNode; readonly index: number };

/** Tags of one use, or undefined when the use says nothing about the tensor. */
function tagOfUse({ node, index }: Use, rank: number): OnnxWeightTags | undefined {
  const layer = node.name || node.outputs[0] || node.opType;
  // Channel axes (ONNX layouts): MatMul B [.., K, N] → output −1; Gemm B [K, N], or [N, K] with
  // transB; Conv W [M, C/g, kh, kw] → output 0; ConvTranspose W [C, M/g, kh, kw] → output 1;
  // LSTM/GRU/RNN W/R [dirs, gates·H, K] → output 1 (gates·hidden), input 2.
  if (MATMUL_OPS.has(node.opType) && index === 1) {
    const axes = node.opType === "Gemm" && node.ints?.transB === 1 ? { outputAxis: -2, inputAxis: -1 } : { outputAxis: -1, inputAxis: -2 };
    return { role: "weight", layer, layerKind: "dense", ...axes };
  }
  if (node.opType === "Gemm" && node.ints?.transA === 1 && index === 0) return { role: "weight", layer, layerKind: "dense", outputAxis: -1, inputAxis: -2 };
  if (CONV_OPS.has(node.opType) && index === 1) {
    const axes = node.opType === "ConvTranspose" ? { outputAxis: 1, inputAxis: 0 } : { outputAxis: 0, inputAxis: 1 };
    return { role: "weight", layer, layerKind: "conv2d", ...axes };
  }
  if (RNN_OPS.has(node.opType) && (index === 1 || index === 2) && rank === 3) return { role: "weight", layer, layerKind: "dense", outputAxis: 1, inputAxis: 2 };
  if ((node.opType === "Gemm" || CONV_OPS.has(node.opType)) && index === 2) return { role: "bias", layer, layerKind: node.opType === "Gemm" ? "dense" : "conv2d" };
  if (RNN_OPS.has(node.opType) && index === 3) return { role: "bias", layer, layerKind: "dense" };
  if (node.opType === "Add" && index === 1 && rank === 1) return { role: "bias", layer };
  return undefined;
}

/**
 * Tags every weight from the nodes that read it: in its own graph or in a graph nested in it
 * (a subgraph sees the names of the graphs around it), also through Identity/Cast. A weight
 * several nodes share is one tensor; the first use that fixes a layout wins, a bias use only
 * when no weight use exists.
 */
export function tagWeights(graphs: readonly OnnxGraph[], subjects: readonly TagSubject[]): Map<string, OnnxWeightTags> {
  const uses = new Map<string, Use[]>();
  for (const g of graphs) {
    for (const node of g.nodes) {
      node.inputs.forEach((x, index) => {
        if (!x) return;
        let l = uses.get(x);
        if (!l) uses.set(x, (l = []));
        l.push({ node, index });
      });
    }
  }
  const out = new Map<string, OnnxWeightTags>();
  for (const s of subjects) {
    let best: OnnxWeightTags | undefined;
    // Follow pass-through ops breadth first, iteratively; `seen` stops cycles in a malformed graph.
    const queue = [s.localName];
    const seen = new Set(queue);
    for (let q = 0; q < queue.length && best?.role !== "weight"; q++) {
      for (const u of uses.get(queue[q]!) ?? []) {
        if (!graphWithin(graphs, u.node.graph ?? 0, s.graph)) continue;
        if (PASS_OPS.has(u.node.opType) && u.index === 0) {
          const o = u.node.outputs[0];
          if (o && !seen.has(o)) {
            seen.add(o);
            queue.push(o);
          }
          continue;
        }
        const t = tagOfUse(u, s.rank);
        if (t?.role === "weight") {
          best = t;
          break;
        }
        if (t && !best) best = t;
      }
    }
    out.set(s.name, best ?? { role: "other" });
  }
  return out;
}
