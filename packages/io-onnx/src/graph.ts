import protobuf from "protobufjs";
import { onnxTypes, toNumber } from "./schema.js";
import { malformed, scanFields, wireString, type WireField } from "./wire.js";

/** A graph node (the fields quantforge needs). */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes (e.g. Gemm's `transB`), by name. */
  readonly ints?: Readonly<Record<string, number>>;
  /** Index of the graph the node is in ({@link OnnxGraph.id}; 0 = the main graph). */
  readonly graph?: number;
  /** The NodeProto field in its GraphProto. */
  readonly wire?: WireField;
}

/** The `value` tensor of a `Constant` node, located on the wire. */
export interface ConstantValue {
  readonly node: OnnxNode;
  /** The AttributeProto field (5) of the NodeProto. */
  readonly attr: WireField;
  /** The TensorProto field (`t`, 5) of the AttributeProto. */
  readonly tensor: WireField;
}

/**
 * The main graph or a subgraph (an `If` branch, a `Loop`/`Scan` body, any graph-valued
 * attribute), located on the wire.
 */
export interface OnnxGraph {
  readonly id: number;
  /** The enclosing graph's id, −1 for the main graph. */
  readonly parent: number;
  /** Where the graph sits, for names: "" for the main graph, else e.g. `If_0/then_branch`. */
  readonly scope: string;
  /** Length-delimited fields enclosing the graph's content, outermost first; the last one's value is the GraphProto. */
  readonly containers: readonly WireField[];
  /** The GraphProto's fields in file order. */
  readonly fields: readonly WireField[];
  readonly nodes: readonly OnnxNode[];
  readonly constants: readonly ConstantValue[];
}

/** Most graphs (main + subgraphs) one file may hold; far above any real model, bounds the work a hostile file causes. */
export const MAX_GRAPHS = 100_000;

/** Deepest subgraph nesting read (real models nest 1–3 deep); each level's locator list grows with depth, so it is bounded. */
export const MAX_GRAPH_DEPTH = 1_000;

type NodeMessage = { name?: string; op_type?: string; domain?: string; input?: string[]; output?: string[]; attribute?: { name?: string; i?: unknown; type?: number }[] };

/**
 * Walks the main graph and every subgraph (graph-valued attributes of any node, at any depth)
 * with an explicit work list instead of recursion, because a file decides how deep subgraphs nest.
 *
 * @param graphField - ModelProto's graph field (7).
 */
export function walkGraphs(bytes: Uint8Array, graphField: WireField, where: string): OnnxGraph[] {
  const { NodeProto } = onnxTypes();
  const graphs: OnnxGraph[] = [];
  const work: { parent: number; scope: string; containers: WireField[] }[] = [{ parent: -1, scope: "", containers: [graphField] }];
  for (let next = 0; next < work.length; next++) {
    const g = work[next]!;
    if (graphs.length >= MAX_GRAPHS) throw malformed(where, `it holds more than ${MAX_GRAPHS} subgraphs`);
    if (g.containers.length > 3 * MAX_GRAPH_DEPTH) throw malformed(where, `its subgraphs nest more than ${MAX_GRAPH_DEPTH} deep`);
    const self = g.containers.at(-1)!;
    if (self.wire !== 2) throw malformed(where, "a graph field is not a message");
    const id = graphs.length;
    const fields = scanFields(bytes, self.valueStart, self.end, where);
    const nodes: OnnxNode[] = [];
    const constants: ConstantValue[] = [];
    for (const f of fields) {
      if (f.field !== 1) continue;
      if (f.wire !== 2) throw malformed(where, "a node field is not a message");
      let n: NodeMessage;
      try {
        n = NodeProto.decode(bytes.subarray(f.valueStart, f.end)) as unknown as NodeMessage;
      } catch (e) {
        throw malformed(where, `a node cannot be decoded (${(e as Error).message})`, e);
      }
      const ints: Record<string, number> = Object.create(null) as Record<string, number>;
      for (const a of n.attribute ?? []) if (a.name && a.type === 2 && a.i !== undefined) ints[a.name] = toNumber(a.i);
      const node: OnnxNode = { name: n.name ?? "", opType: n.op_type ?? "", domain: n.domain ?? "", inputs: n.input ?? [], outputs: n.output ?? [], ints, graph: id, wire: f };
      nodes.push(node);
      const label = node.name || node.outputs[0] || `${node.opType}#${nodes.length - 1}`;
      for (const af of scanFields(bytes, f.valueStart, f.end, where)) {
        if (af.field !== 5 || af.wire !== 2) continue;
        const inner = scanFields(bytes, af.valueStart, af.end, where);
        const nameField = inner.find((x) => x.field === 1 && x.wire === 2);
        const attrName = nameField ? wireString(bytes, nameField) : "";
        let k = 0;
        const many = inner.filter((x) => x.field === 11).length > 1;
        for (const x of inner) {
          if (x.wire !== 2) continue;
          if (x.field === 6 || x.field === 11) {
            const sub = `${label}/${attrName}${x.field === 11 && many ? `[${k++}]` : ""}`;
            work.push({ parent: id, scope: g.scope ? `${g.scope}/${sub}` : sub, containers: [...g.containers, f, af, x] });
          } else if (x.field === 5 && node.opType === "Constant" && (node.domain === "" || node.domain === "ai.onnx") && attrName === "value") {
            constants.push({ node, attr: af, tensor: x });
          }
        }
      }
    }
    graphs.push({ id, parent: g.parent, scope: g.scope, containers: g.containers, fields, nodes, constants });
  }
  return graphs;
}

/** True when graph `inner` is `outer` or nested in it. */
export function graphWithin(graphs: readonly OnnxGraph[], inner: number, outer: number): boolean {
  for (let g = inner; g !== -1; g = graphs[g]!.parent) if (g === outer) return true;
  return false;
}

/** Reads a varint field (wire type 0) as a number. */
export function wireInt(bytes: Uint8Array, f: WireField): number {
  return toNumber(protobuf.Reader.create(bytes.subarray(f.valueStart, f.end)).int64());
}
