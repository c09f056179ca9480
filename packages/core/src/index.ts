export {
  ErrorCodes,
  QuantforgeError,
  UnknownPluginError,
  DuplicatePluginError,
  InvalidPluginError,
  InvalidOptionsError,
  ShapeMismatchError,
  NonFiniteError,
  DecodeError,
  FormatError,
  IoError,
  MissingCapabilityError,
  InvalidQuantizedError,
  NothingToQuantizeError,
  AbortedError,
  TimeoutError,
  isQuantforgeError,
} from "./errors.js";
export type { ErrorCode } from "./errors.js";
export { shapeSize, assertTensorShape, assertFinite, assertWeightSet } from "./tensor.js";
export type { WeightTensor, WeightSet, TensorRole, LayerKind } from "./tensor.js";
export { channelAxisSchema, resolveChannelAxis } from "./channel-axis.js";
export { granularitySchema, groupSizeSchema } from "./grouping-options.js";
export type { Granularity } from "./grouping-options.js";
export type { ChannelAxis } from "./channel-axis.js";
export { codebookSize, codebookGroupParams, gridStep, dequantizeScaleCode } from "./codebook.js";
export type { Codebook, CodebookKind, LevelsCodebook, AffineCodebook, GridCodebook, ScaledLevelsCodebook, ScaleCodes } from "./codebook.js";
export { TENSOR_GROUPING, groupCount, groupIndexMap } from "./grouping.js";
export { FLT_MAX, GridFit, encodeGrid, gridLevels, gridEndsFinite, roundHalfEven, ulp32 } from "./grid.js";
export type { AffineGridSpec, GridScheme, GridZero } from "./grid.js";
export type { Grouping } from "./grouping.js";
export type { QuantizedTensor, QuantizedModel, SparseLayout } from "./quantized.js";
export { dequantizeCodes, requantizeValues, dequantizeTensor, requantizeTensor, codedGroups } from "./codebook-impl.js";
export { dequantizeModel } from "./dequantize.js";
export type { DequantizedAhead } from "./dequantize.js";
export { codebookMap, assertQuantizedTensor, assertQuantizedModel } from "./validate.js";
export { hasCapability, requireCapabilities } from "./capabilities.js";
export type { Capability, Dataset, LayerInfo, ForwardOutput, ForwardPass, LayerInputMatrix, LayerInputs, HessianDiagonal, OptimizerMoments, ModelProbe } from "./capabilities.js";
export { Rng } from "./rng.js";
export { CollectingDiagnostics, SILENT_PROGRESS, createRunContext, throwIfAborted } from "./context.js";
export type { RunContext, Diagnostic, DiagnosticsSink, ProgressReporter, Severity } from "./context.js";
export { defineQuantizer, defineCoder, defineEvaluator, parseWithSchema, instantiate } from "./plugin.js";
export type {
  Awaitable,
  PluginKind,
  PluginMeta,
  Quantizer,
  Coder,
  GroupCoder,
  Evaluator,
  EncodedSize,
  Metric,
  EvaluationSubject,
  PluginDescriptor,
  QuantizerPlugin,
  CoderPlugin,
  EvaluatorPlugin,
  AnyPlugin,
  PluginSpec,
  QuantizerSpec,
} from "./plugin.js";
export { createHost } from "./host.js";
export type { PluginHost, PluginLookup } from "./host.js";
export { DEFAULT_AUTO_ORDER } from "./auto-eligibility.js";
export type { AutoEligibility, AutoCandidateSpec } from "./auto-eligibility.js";
export { perTensorQuantizer } from "./lift.js";
export type { CodebookSpec, TensorQuantization } from "./lift.js";
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated tokens stay exported until their removal
export { QUANTIZER_PLUGIN, CODER_PLUGIN, EVALUATOR_PLUGIN, PLUGIN_REGISTRY, RUN_CONTEXT, RUN_CONFIG } from "./tokens.js";
export { PluginRegistry, registerPlugins, assertPluginDescriptor, standaloneHost } from "./registry.js";
export type { PluginOrigin } from "./registry.js";
export { crc32 } from "./crc32.js";
export { MAX_DIMS, MAX_CODEBOOK_LEVELS, DECODED_BYTES_PER_ELEMENT, DEFAULT_MAX_DECODED_BYTES, FREE_ELEMENTS, EXPANSION, containerElementBudget, checkedShapeSize, assertFiniteValues } from "./budget.js";
export type { DecodeLimits, DecodeContainerOptions } from "./budget.js";
export { ByteWriter, ByteReader } from "./bytes.js";
export { BitWriter, BitReader } from "./bits.js";
export { writeCodebook, readCodebook } from "./codebook-io.js";
export { CONTAINER_MAGIC, CONTAINER_VERSION, COMPACT_CONTAINER_VERSION, GROUPED_CONTAINER_VERSION, encodeContainer, decodeContainer } from "./container.js";
export type { EncodedModel, DecodedContainer, EncodeContainerOptions } from "./container.js";
export { ContainerEncoder, assembleContainer } from "./container-stream.js";
export type { ContainerEncoderOptions } from "./container-stream.js";
export { FLOAT16_MAX, toFloat16Bits, fromFloat16Bits, encodeFloat16, decodeFloat16Bits } from "./float16.js";
export { defaultSelector, patternSelector, tallySelection, assertSomethingToQuantize } from "./selection.js";
export { printable } from "./printable.js";
export type { TensorSelector, SelectionTally } from "./selection.js";
export { runPipeline, pipeline, PipelineBuilder, sameTensorCodes } from "./pipeline.js";
export type { PipelineOptions, PipelineResult } from "./pipeline.js";
export { streamPipeline, codeTensor } from "./pipeline-stream.js";
export type { StreamedTensor, StreamPipelineArgs, StreamWork, StreamWorkers } from "./pipeline-stream.js";
export { compactStreamInput, precodedCoder } from "./tensor-workers.js";
export type { TensorWorkers, WorkerQuantization } from "./tensor-workers.js";
export { summarizeRun } from "./report.js";
export type { RunSummary, TensorRow } from "./report.js";
export { compare } from "./compare.js";
export type { CompareOptions, CompareQuantizer, CompareCell, CompareResult, CompareCellEnv, CompareCellRunner } from "./compare.js";
export { planCompare } from "./compare-plan.js";
export type { CompareCellSpec, CompareCoder, CompareEvaluator, ComparePlanInput } from "./compare-plan.js";
export { cellOutcome, sha256Hex } from "./compare-cell.js";
export type { CellNormalizer, CompareCellOutcome, NormalizedSqnr, NormalizedTensorSqnr } from "./compare-cell.js";
/** zod, re-exported so plugins validate options with the same instance as core. */
export { z } from "zod";
export { uniformAlphabet, alphabetForWeights, alphabetSize, alphabetCodebook, layerScale, nearestCode, floorCode, roundToAlphabet, isOnAlphabet, fillCells, MIN_ALPHABET_BITS, MAX_ALPHABET_BITS } from "./alphabet.js";
export type { Alphabet, AlphabetKind, CellConstraint } from "./alphabet.js";
