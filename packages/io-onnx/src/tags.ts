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
/**
 * Ops that cut or join a tensor along an axis but keep its rank and axis meanings, so a weight
 * read through them is still tagged by its real consumer (with any input index for Concat). PyTorch
 * exports an LSTMCell/GRUCell this way: its `weight_ih` [gates·H, K] is sliced per gate, the gates
 * re-joined in ONNX order by Concat, then lifted to [1, gates·H, K] by Unsqueeze for LSTM/GRU.
 */
const SPLICE_OPS = new Set(["Slice", "Split", "Concat"]);

type Use = { readonly node: OnnxNode; readonly index: number };

/** A tensor the search reaches from a weight, and whether an Unsqueeze lies on the way. */
type Reached = { readonly name: string; readonly unsqueezed: boolean };

/**
 * Tags of one use, or undefined when the use says nothing about the tensor. `rank` is the
 * weight's own rank; `unsqueezed` says the consumer sees it through one Unsqueeze, which only
 * an RNN weight (rank 2 lifted to [1, gates·H, K]) is accepted through, as where the new axis
 * went is otherwise unknown.
 */
function tagOfUse({ node, index }: Use, rank: number, unsqueezed = false): OnnxWeightTags | undefined {
  const layer = node.name || node.outputs[0] || node.opType;
  if (unsqueezed) return RNN_OPS.has(node.opType) && (index === 1 || index === 2) && rank === 2 ? { role: "weight", layer, layerKind: "dense", outputAxis: 0, inputAxis: 1 } : undefined;
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
    const queue: Reached[] = [{ name: s.localName, unsqueezed: false }];
    const seen = new Set([s.localName]);
    for (let q = 0; q < queue.length && best?.role !== "weight"; q++) {
      const at = queue[q]!;
      for (const u of uses.get(at.name) ?? []) {
        if (!graphWithin(graphs, u.node.graph ?? 0, s.graph)) continue;
        const op = u.node.opType;
        const unsqueeze = op === "Unsqueeze" && u.index === 0 && !at.unsqueezed;
        if ((PASS_OPS.has(op) && u.index === 0) || (SPLICE_OPS.has(op) && (op === "Concat" || u.index === 0)) || unsqueeze) {
          for (const o of u.node.outputs) {
            if (o && !seen.has(o)) {
              seen.add(o);
              queue.push({ name: o, unsqueezed: at.unsqueezed || unsqueeze });
            }
          }
          continue;
        }
        const t = tagOfUse(u, s.rank, at.unsqueezed);
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
