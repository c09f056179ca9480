import type { LayersModel } from "@tensorflow/tfjs";
import { FormatError } from "@quantforge/core";
import { inferShapes, makeNetSpec, type Activation, type NetOp, type NetSpec } from "./net.js";

type Cfg = Record<string, unknown>;

function pairOf(v: unknown, what: string): [number, number] {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) return [v[0] as number, v[1] as number];
  throw new FormatError(`${what} must be a number or a pair, got ${JSON.stringify(v)}. Fix the model.`);
}

function activationOf(v: unknown, layer: string, last: boolean): Activation | "softmax" {
  const a = (v ?? "linear") as string;
  if (a === "relu" || a === "linear") return a;
  if (a === "softmax" && last) return "softmax";
  throw new FormatError(`layer "${layer}" uses activation "${a}"; the tfjs adapter supports relu and linear (and softmax on the last layer), where the Hessian diagonal is exact. Use such a model.`);
}

function paddingOf(v: unknown, layer: string): "valid" | "same" {
  if (v === "valid" || v === "same") return v;
  throw new FormatError(`layer "${layer}" has padding ${JSON.stringify(v)}; only "valid" and "same" are supported. Fix the model.`);
}

function channelsLast(cfg: Cfg, layer: string): void {
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast") throw new FormatError(`layer "${layer}" uses dataFormat ${String(cfg.dataFormat)}; only channelsLast (NHWC) is supported. Convert the model.`);
}

/** Name of the tfjs weight `layer/<suffix>` as it appears in a weights manifest. */
function weightName(layer: { weights: { originalName: string }[] }, suffix: string): string | undefined {
  return layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`))?.originalName;
}

/**
 * Reads a tfjs LayersModel (Sequential or a functional chain with one input and one output) into
 * a {@link NetSpec}. Supported layers: InputLayer, Dense, Conv2D (dilation 1), MaxPooling2D,
 * Flatten, Reshape, Activation, Dropout (identity at inference). Activations: relu and linear;
 * softmax only at the end (split off so the Hessian can use the logits). Anything else throws
 * {@link FormatError} naming the layer.
 */
export function netSpecFromLayersModel(model: LayersModel): NetSpec {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new FormatError(`the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the tfjs adapter needs one of each. Use a single-input classifier.`);
  const inShape = model.inputs[0]!.shape.slice(1);
  if (inShape.some((d) => d === null || d === undefined)) throw new FormatError(`the model's input shape [${inShape.join(", ")}] has unknown dimensions. Give the model a fixed input shape.`);
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  const ops: NetOp[] = [];
  let prev: string | undefined;
  layers.forEach((layer, li) => {
    const nodes = (layer as unknown as { inboundNodes: { inboundLayers: { name: string; getClassName(): string }[] }[] }).inboundNodes;
    const inbound = nodes[0]?.inboundLayers ?? [];
    const from = inbound.filter((l) => l.getClassName() !== "InputLayer").map((l) => l.name);
    if (nodes.length !== 1 || inbound.length > 1 || (from[0] ?? undefined) !== prev) {
      throw new FormatError(`layer "${layer.name}" is not fed by the layer before it; the tfjs adapter supports plain chains (Sequential). Use a sequential model.`);
    }
    prev = layer.name;
    const cfg = layer.getConfig() as Cfg;
    const cls = layer.getClassName();
    const last = li === layers.length - 1;
    const name = layer.name;
    const wl = layer as unknown as { weights: { originalName: string; shape: (number | null)[] }[] };
    switch (cls) {
      case "Dense": {
        const act = activationOf(cfg.activation, name, last);
        const kernel = weightName(wl, "kernel");
        if (!kernel) throw new FormatError(`layer "${name}" has no kernel. Fix the model.`);
        const kshape = wl.weights.find((w) => w.originalName === kernel)!.shape as number[];
        ops.push({ kind: "dense", layer: name, kernel, bias: cfg.useBias === false ? undefined : weightName(wl, "bias"), inUnits: kshape[0]!, units: cfg.units as number, activation: act === "softmax" ? "linear" : act });
        break;
      }
      case "Conv2D": {
        channelsLast(cfg, name);
        const dil = pairOf(cfg.dilationRate ?? 1, `layer "${name}" dilationRate`);
        if (dil[0] !== 1 || dil[1] !== 1) throw new FormatError(`layer "${name}" uses dilation ${dil.join("×")}; only dilation 1 is supported. Use an undilated convolution.`);
        const act = activationOf(cfg.activation, name, last);
        const kernel = weightName(wl, "kernel");
        if (!kernel) throw new FormatError(`layer "${name}" has no kernel. Fix the model.`);
        const kshape = wl.weights.find((w) => w.originalName === kernel)!.shape as number[];
        ops.push({
          kind: "conv2d",
          layer: name,
          kernel,
          bias: cfg.useBias === false ? undefined : weightName(wl, "bias"),
          kernelSize: pairOf(cfg.kernelSize, `layer "${name}" kernelSize`),
          strides: pairOf(cfg.strides ?? 1, `layer "${name}" strides`),
          padding: paddingOf(cfg.padding ?? "valid", name),
          inChannels: kshape[2]!,
          filters: cfg.filters as number,
          activation: act === "softmax" ? "linear" : act,
        });
        break;
      }
      case "MaxPooling2D": {
        channelsLast(cfg, name);
        const pool = pairOf(cfg.poolSize ?? 2, `layer "${name}" poolSize`);
        ops.push({ kind: "maxPool", layer: name, poolSize: pool, strides: pairOf(cfg.strides ?? pool, `layer "${name}" strides`), padding: paddingOf(cfg.padding ?? "valid", name) });
        break;
      }
      case "Flatten":
        channelsLast(cfg, name);
        ops.push({ kind: "reshape", layer: name, shape: [-1] });
        break;
      case "Reshape":
        ops.push({ kind: "reshape", layer: name, shape: cfg.targetShape as number[] });
        break;
      case "Activation": {
        const act = activationOf(cfg.activation, name, last);
        if (act !== "softmax") ops.push({ kind: "activation", layer: name, activation: act });
        break;
      }
      case "Dropout":
        break;
      default:
        throw new FormatError(`layer "${name}" is a ${cls}; the tfjs adapter supports Dense, Conv2D, MaxPooling2D, Flatten, Reshape, Activation and Dropout. Use a model built from those.`);
    }
  });
  // Flatten's size is only known once the shapes before it are: resolve [-1] in a first pass.
  const resolved: NetOp[] = [];
  let shape: readonly number[] = inShape as number[];
  for (const op of ops) {
    const o = op.kind === "reshape" && op.shape.includes(-1) ? { ...op, shape: op.shape.map((d) => (d === -1 ? shape.reduce((a, b) => a * b, 1) / op.shape.filter((x) => x !== -1).reduce((a, b) => a * b, 1) : d)) } : op;
    resolved.push(o);
    shape = inferShapes(shape, [o])[1]!;
  }
  return makeNetSpec(inShape as number[], resolved);
}
