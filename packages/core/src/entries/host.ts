/**
 * `@quantforge/core/host`: what code that *runs* plugins uses — the registry and the host plugins
 * receive, run contexts, tensor selection, the pipeline, `compare`, run summaries, the worker
 * hooks, the DI tokens and model-output fidelity ({@link FidelityMeter}). Plugins are written
 * against `@quantforge/core`; a plugin that needs host code (the `auto` quantizer measures
 * fidelity) imports it from here rather than from another plugin.
 */
export { CollectingDiagnostics, SILENT_PROGRESS, createRunContext } from "../context.js";
export { instantiate } from "../plugin.js";
export { createHost } from "../host.js";
export { PluginRegistry, registerPlugins, assertPluginDescriptor, standaloneHost } from "../registry.js";
export type { PluginOrigin } from "../registry.js";
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated tokens stay exported until their removal
export { QUANTIZER_PLUGIN, CODER_PLUGIN, EVALUATOR_PLUGIN, PLUGIN_REGISTRY, RUN_CONTEXT, RUN_CONFIG } from "../tokens.js";
export { defaultSelector, patternSelector, tallySelection, assertSomethingToQuantize } from "../selection.js";
export type { TensorSelector, SelectionTally } from "../selection.js";
export { runPipeline, pipeline, PipelineBuilder, sameTensorCodes } from "../pipeline.js";
export type { PipelineOptions, PipelineResult } from "../pipeline.js";
export { streamPipeline, codeTensor } from "../pipeline-stream.js";
export type { StreamedTensor, StreamPipelineArgs, StreamWork, StreamWorkers } from "../pipeline-stream.js";
export { compactStreamInput, precodedCoder } from "../tensor-workers.js";
export type { TensorWorkers, WorkerQuantization } from "../tensor-workers.js";
export { summarizeRun } from "../report.js";
export type { RunSummary, TensorRow } from "../report.js";
export { compare } from "../compare.js";
export type { CompareOptions, CompareQuantizer, CompareCell, CompareResult, CompareCellEnv, CompareCellRunner } from "../compare.js";
export { planCompare } from "../compare-plan.js";
export type { CompareCellSpec, CompareCoder, CompareEvaluator, ComparePlanInput } from "../compare-plan.js";
export { cellOutcome, sha256Hex } from "../compare-cell.js";
export type { CellNormalizer, CompareCellOutcome, NormalizedSqnr, NormalizedTensorSqnr } from "../compare-cell.js";
export { FidelityMeter, fidelityInputs, modelOutputs, DEFAULT_FIDELITY_SETTINGS } from "../fidelity/fidelity-meter.js";
export type { FidelitySettings, FidelityInputs, FidelityInputSource, FidelityResult, OutputFidelity, ClassifierMode } from "../fidelity/fidelity-meter.js";
export { outputFlag, classifierKind, classAxis, SATURATION_EPS, NEAR_ZERO_ABS, SPARSE_SHARE, MAX_LOGIT_CLASSES, CLASS_NAME } from "../fidelity/output-kind.js";
export type { OutputFlag } from "../fidelity/output-kind.js";
export { forwardUnitsPerSample, modelForwardShape, passSeconds, SECONDS_PER_FORWARD_UNIT, SECONDS_PER_MAC, SECONDS_PER_PASS_PARAM } from "../fidelity/forward-cost.js";
export type { ForwardShape } from "../fidelity/forward-cost.js";
