import { join } from "node:path";
import { outputAgreement } from "@quantforge/evaluator-fidelity";
import { loadCodedTfjsModel, loadTfjsFromArtifacts, readTfjsModel, runTfjsModel, tfjsArtifacts, tfjsInputSpecs, type ModelFeed, type ModelOutput } from "@quantforge/io-tfjs";
import { accumulationTolerance, createOnnxSession, encodeOnnxModel, loadOrt, maxReductionSize, readOnnxModel, reductionPathDepth, runOnnxSession, type OnnxOptimization, type OnnxWeightOutput } from "@quantforge/io-onnx";
import type { BatchOutput, ModelInputFeed } from "@quantforge/datasets";
import { fedShapes, onnxSpecs, prepareInputs, runPrepared, unknownInputReason, type PreparedInputs } from "./feeds.js";
import type { QuantizeModelOptions } from "./options.js";
import type { QuantizeReport } from "./report.js";
import type { QuantizeTarget, Source } from "./source.js";
import { outputsDiff, tfjsReduction, type ReloadTolerance } from "./reload-tolerance.js";

/** The output check could not run: why (the quantized model is still written). */
export interface SkippedCheck {
  readonly skipped: string;
}

type Runner = (feeds: ModelInputFeed[]) => Promise<readonly BatchOutput[]>;

/** Runs the prepared inputs through one ONNX session built on `bytes` (one session for every batch). */
async function onnxOutputs(bytes: Uint8Array, where: string, p: PreparedInputs, optimization?: OnnxOptimization): Promise<ModelOutput[]> {
  const ort = await loadOrt();
  const session = await createOnnxSession(ort, bytes, where, optimization ? { optimization } : {});
  try {
    return await runPrepared(p, (feeds) => runOnnxSession(ort, session, feeds, where));
  } finally {
    await session.release();
  }
}

/**
 * Evaluates the outputs: float model vs decoded weights, and the written file vs the prediction.
 * Returns why the check was skipped when an input's shape is unknown (and not given) or its
 * element type cannot be fed.
 */
export async function evaluateModel(src: Source, tmp: string, target: QuantizeTarget, decoded: ReadonlyMap<string, Float32Array>, o: QuantizeModelOptions): Promise<QuantizeReport["model"] | SkippedCheck> {
  if (src.tfjs) {
    if (!o.tf) return null;
    const tf = await o.tf();
    const m = src.tfjs;
    const orig = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m), m.format, m.path);
    const tfRun =
      (model: Parameters<typeof runTfjsModel>[1]): Runner =>
      (feeds) =>
        runTfjsModel(tf, model, feeds as ModelFeed[]);
    let p: PreparedInputs, y: ModelOutput[];
    try {
      const specs = tfjsInputSpecs(orig);
      const why = unknownInputReason(specs, o);
      if (why) return { skipped: why };
      p = await prepareInputs(specs, o, m.path);
      y = await runPrepared(p, tfRun(orig));
    } finally {
      orig.dispose();
    }
    const qm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m, { weights: decoded }), m.format, m.path);
    const yq = await runPrepared(p, tfRun(qm)).finally(() => qm.dispose());
    let reloaded: ModelOutput[] | null = null;
    let runtime = "";
    if (target === "tfjs-coded") {
      const lm = await loadCodedTfjsModel(join(tmp, "model.json"), tf, o.coder ? { coders: [o.coder.instance] } : {});
      reloaded = await runPrepared(p, tfRun(lm)).finally(() => lm.dispose());
      runtime = "tfjs + quantforge loader (loadCodedTfjsModel)";
    } else if (target === "tfjs-native" || target === "tfjs-float") {
      const back = await readTfjsModel(join(tmp, "model.json"));
      const sm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(back, { stock: true }), back.format, back.path);
      reloaded = await runPrepared(p, tfRun(sm)).finally(() => sm.dispose());
      runtime = `stock tfjs (${back.format === "graph-model" ? "loadGraphModel" : "loadLayersModel"} of the written files)`;
    }
    const r = tfjsReduction(m);
    return modelBlock("tfjs", p, y, yq, reloaded, runtime, { value: accumulationTolerance(r.reduction, r.depth), ...r });
  }
  if (src.onnx) {
    const m = src.onnx;
    const specs = onnxSpecs(m);
    if ("skipped" in specs) return specs;
    const why = unknownInputReason(specs, o);
    if (why) return { skipped: why };
    const p = await prepareInputs(specs, o, m.path, m.outputs);
    // onnx-qdq is checked at ORT's `basic` level on both sides (the evaluated weights and the
    // written file): at its default level ORT may fuse DequantizeLinear → MatMul into its own
    // kernels (MatMulNBits), which compute differently — that difference is reported, not judged.
    const level: OnnxOptimization | undefined = target === "onnx-qdq" ? "basic" : undefined;
    const y = await onnxOutputs(m.bytes, m.path, p);
    const floatOut = new Map<string, OnnxWeightOutput>([...decoded].map(([k, v]) => [k, { kind: "float", data: v }]));
    const yq = await onnxOutputs((await encodeOnnxModel(m, floatOut, { target: "onnx" })).bytes, m.path, p, level);
    const reduction = maxReductionSize(m),
      depth = reductionPathDepth(m);
    const tolerance: ReloadTolerance = { value: accumulationTolerance(reduction, depth), reduction, depth };
    let reloaded: ModelOutput[] | null = null;
    let fused: { maxAbsDiff: number; maxRelDiff: number } | undefined;
    let control: (() => Promise<boolean>) | undefined;
    // onnx-nbits is checked at ORT's default level on both sides: MatMulNBits' fp32 kernel
    // computes (q − z)·s exactly as the evaluated weights, so only float32 sum order differs.
    if (target === "onnx" || target === "onnx-qdq" || target === "onnx-nbits") {
      const back = await readOnnxModel(join(tmp, "model.onnx"));
      reloaded = await onnxOutputs(back.bytes, back.path, p, level);
      if (level) {
        const d = outputsDiff(await onnxOutputs(back.bytes, back.path, p), reloaded, tolerance.value);
        fused = { maxAbsDiff: d.abs, maxRelDiff: d.rel };
      }
      // The control, at the same level: the unquantized model in a second session, and written
      // back through the same writer. If either differs beyond the tolerance, the runtime itself
      // does not reproduce its outputs at this level, and a mismatch is not quantforge's bug.
      control = async () => {
        const c0 = level ? await onnxOutputs(m.bytes, m.path, p, level) : y;
        const again = await onnxOutputs(m.bytes, m.path, p, level);
        const rewritten = await onnxOutputs((await encodeOnnxModel(m, new Map(), { target: "onnx" })).bytes, m.path, p, level);
        return outputsDiff(again, c0, tolerance.value).rel <= tolerance.value && outputsDiff(rewritten, c0, tolerance.value).rel <= tolerance.value;
      };
    }
    const block = modelBlock("onnxruntime-node (CPU)", p, y, yq, reloaded, `onnxruntime-node (CPU) on the written model.onnx${level ? ` (graph optimization level ${level}, as the evaluated weights)` : ""}`, tolerance);
    if (block && !block.reload.matches && control && !(await control())) {
      return { ...block, reload: { ...block.reload, ...(fused ? { defaultOptimization: fused } : {}), runtimeNondeterministic: true } };
    }
    return block && fused ? { ...block, reload: { ...block.reload, defaultOptimization: fused } } : block;
  }
  return null;
}

/**
 * The reload check's former fixed relative tolerance. The check now uses the float32
 * accumulation bound of the model ({@link ReloadTolerance}); kept for importers.
 * @deprecated
 */
export const RELOAD_TOLERANCE = 1e-5;

function modelBlock(runtime: string, p: PreparedInputs, y: ModelOutput[], yq: ModelOutput[], reloaded: ModelOutput[] | null, reloadRuntime: string, tolerance: ReloadTolerance): QuantizeReport["model"] {
  // Output agreement is the fidelity evaluator's per-output comparison (one formula for every command).
  const outputs = y.map((r, i) => outputAgreement(r, yq[i]!));
  const rel = outputs.map((x) => x.relativeError).filter((v): v is number => v !== null);
  let reload: NonNullable<QuantizeReport["model"]>["reload"];
  if (reloaded) {
    const d = outputsDiff(reloaded, yq, tolerance.value);
    // Float tolerance: the reloaded model must compute what the evaluated weights compute, up to
    // the order of float32 sums.
    reload = {
      runtime: reloadRuntime,
      maxAbsDiff: d.abs,
      maxRelDiff: d.rel,
      matches: d.rel <= tolerance.value,
      tolerance,
      ...(d.pinned.length > 0 ? { pinnedOutputs: d.pinned } : {}),
    };
  } else {
    reload = { runtime: "not runnable (qf holds weights only)", maxAbsDiff: 0, maxRelDiff: 0, matches: true };
  }
  return {
    runtime,
    inputs: fedShapes(p),
    inputSource: p.source,
    outputs,
    worstRelativeError: rel.length > 0 ? rel.reduce((m, v) => Math.max(m, v), -Infinity) : null,
    reload,
  };
}
