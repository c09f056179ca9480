import { join } from "node:path";
import { DEFAULT_KL_EPSILON, meanKlDivergence, top1Agreement, topClasses } from "@quantforge/evaluator-accuracy";
import {
  loadCodedTfjsModel, loadTfjsFromArtifacts, readTfjsModel, runTfjsModel, tfjsArtifacts, tfjsInputSpecs,
  type ModelFeed, type ModelOutput,
} from "@quantforge/io-tfjs";
import { encodeOnnxModel, feedableType, readOnnxModel, runOnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx";
import { UsageError } from "../errors.js";
import { makeFeeds, type InputSpec } from "./feeds.js";
import type { QuantizeModelOptions } from "./options.js";
import type { OutputAgreement, QuantizeReport } from "./report.js";
import type { QuantizeTarget, Source } from "./source.js";

/** ‖a − b‖ metrics of model outputs (b the reference). */
function agreement(ref: ModelOutput, got: ModelOutput): OutputAgreement {
  let num = 0, den = 0, maxAbs = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = got.data[i]! - ref.data[i]!;
    num += d * d;
    den += ref.data[i]! * ref.data[i]!;
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  const row: OutputAgreement = { name: ref.name, shape: ref.shape, relativeError: den === 0 ? (num === 0 ? 0 : null) : Math.sqrt(num / den), maxAbsError: maxAbs };
  if (ref.shape.length === 2 && ref.shape[1]! >= 2) {
    const [n, c] = ref.shape as [number, number];
    const p = probabilities(ref.data, n, c), q = probabilities(got.data, n, c);
    return { ...row, kl: meanKlDivergence(p, q, n, c, DEFAULT_KL_EPSILON), top1Agreement: top1Agreement(topClasses(p, n, c), topClasses(q, n, c), n) };
  }
  return row;
}

/** Rows as they are when they already are distributions (non-negative, summing to 1), else softmax. */
function probabilities(x: Float32Array, n: number, c: number): Float32Array {
  let isDist = true;
  for (let r = 0; r < n && isDist; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) { const v = x[r * c + k]!; if (v < 0) { isDist = false; break; } s += v; }
    if (Math.abs(s - 1) > 1e-3) isDist = false;
  }
  if (isDist) return x;
  const out = new Float32Array(x.length);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, x[r * c + k]!);
    let s = 0;
    for (let k = 0; k < c; k++) { const e = Math.exp(x[r * c + k]! - m); out[r * c + k] = e; s += e; }
    for (let k = 0; k < c; k++) out[r * c + k] = out[r * c + k]! / s;
  }
  return out;
}

function maxDiff(a: readonly ModelOutput[], b: readonly ModelOutput[]): { abs: number; rel: number } {
  let abs = 0, scale = 0;
  a.forEach((o, i) => o.data.forEach((v, k) => {
    abs = Math.max(abs, Math.abs(v - b[i]!.data[k]!));
    scale = Math.max(scale, Math.abs(b[i]!.data[k]!));
  }));
  return { abs, rel: abs / Math.max(scale, Number.MIN_VALUE) };
}

/** Evaluates the outputs: float model vs decoded weights, and the written file vs the prediction. */
export async function evaluateModel(src: Source, tmp: string, target: QuantizeTarget, decoded: ReadonlyMap<string, Float32Array>, o: QuantizeModelOptions): Promise<QuantizeReport["model"]> {
  if (src.tfjs) {
    if (!o.tf) return null;
    const tf = await o.tf();
    const m = src.tfjs;
    const orig = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m), m.format, m.path);
    const specs = tfjsInputSpecs(orig);
    const { feeds, source } = await makeFeeds(specs, o);
    const y = await runTfjsModel(tf, orig, feeds);
    orig.dispose();
    const qm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m, { weights: decoded }), m.format, m.path);
    const yq = await runTfjsModel(tf, qm, feeds);
    qm.dispose();
    let reloaded: ModelOutput[] | null = null;
    let runtime = "";
    if (target === "tfjs-coded") {
      const lm = await loadCodedTfjsModel(join(tmp, "model.json"), tf, o.coder ? { coders: [o.coder.instance] } : {});
      reloaded = await runTfjsModel(tf, lm, feeds);
      lm.dispose();
      runtime = "tfjs + quantforge loader (loadCodedTfjsModel)";
    } else if (target === "tfjs-native" || target === "tfjs-float") {
      const back = await readTfjsModel(join(tmp, "model.json"));
      const sm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(back, { stock: true }), back.format, back.path);
      reloaded = await runTfjsModel(tf, sm, feeds);
      sm.dispose();
      runtime = `stock tfjs (${back.format === "graph-model" ? "loadGraphModel" : "loadLayersModel"} of the written files)`;
    }
    return modelBlock("tfjs", feeds, source, y, yq, reloaded, runtime);
  }
  if (src.onnx) {
    const m = src.onnx;
    const specs: InputSpec[] = m.inputs.map((i) => {
      const dtype = feedableType(i.elemType);
      if (!dtype) throw new UsageError(`ONNX input "${i.name}" has element type ${i.elemType}; quantforge feeds float32, int32 or int64 inputs. Pass --no-eval.`);
      if (!i.shape) throw new UsageError(`ONNX input "${i.name}" has no shape. Give it with --input-shape ${i.name}=… or pass --no-eval.`);
      return { name: i.name, shape: i.shape, dtype };
    });
    const { feeds, source } = await makeFeeds(specs, o);
    const y = await runOnnxModel(m.bytes, feeds, m.path);
    const floatOut = new Map<string, OnnxWeightOutput>([...decoded].map(([k, v]) => [k, { kind: "float", data: v }]));
    const yq = await runOnnxModel((await encodeOnnxModel(m, floatOut, { target: "onnx" })).bytes, feeds, m.path);
    let reloaded: ModelOutput[] | null = null;
    let fused: { maxAbsDiff: number; maxRelDiff: number } | undefined;
    if (target === "onnx" || target === "onnx-qdq") {
      const back = await readOnnxModel(join(tmp, "model.onnx"));
      if (target === "onnx-qdq") {
        // The file's arithmetic is checked at ORT's `basic` level; at its default level ORT may
        // fuse DequantizeLinear → MatMul into MatMulNBits, which computes differently — reported.
        reloaded = await runOnnxModel(back.bytes, feeds, back.path, { optimization: "basic" });
        const d = maxDiff(await runOnnxModel(back.bytes, feeds, back.path), reloaded);
        fused = { maxAbsDiff: d.abs, maxRelDiff: d.rel };
      } else {
        reloaded = await runOnnxModel(back.bytes, feeds, back.path);
      }
    }
    const block = modelBlock("onnxruntime-node (CPU)", feeds, source, y, yq, reloaded, `onnxruntime-node (CPU) on the written model.onnx${target === "onnx-qdq" ? " (graph optimization level basic)" : ""}`);
    return block && fused ? { ...block, reload: { ...block.reload, defaultOptimization: fused } } : block;
  }
  return null;
}

function modelBlock(runtime: string, feeds: readonly ModelFeed[], source: string, y: ModelOutput[], yq: ModelOutput[], reloaded: ModelOutput[] | null, reloadRuntime: string): QuantizeReport["model"] {
  const outputs = y.map((r, i) => agreement(r, yq[i]!));
  const rel = outputs.map((x) => x.relativeError).filter((v): v is number => v !== null);
  let reload: NonNullable<QuantizeReport["model"]>["reload"];
  if (reloaded) {
    const d = maxDiff(reloaded, yq);
    // Float tolerance: the reloaded model must compute what the evaluated weights compute.
    reload = { runtime: reloadRuntime, maxAbsDiff: d.abs, maxRelDiff: d.rel, matches: d.rel <= 1e-5 };
  } else {
    reload = { runtime: "not runnable (qf holds weights only)", maxAbsDiff: 0, maxRelDiff: 0, matches: true };
  }
  return {
    runtime, inputs: feeds.map((f) => ({ name: f.name, shape: [...f.shape] })), inputSource: source, outputs,
    worstRelativeError: rel.length > 0 ? Math.max(...rel) : null, reload,
  };
}
