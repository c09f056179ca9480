/**
 * `@quantforge/core`: what a plugin is written against — the contracts (`Quantizer`, `Coder`,
 * `Evaluator`, `RunContext`, `ModelProbe`), `define*`, codebook and grid math, the shared
 * granularity/axis/group-size option schema, typed errors and tensor types. Code that *runs*
 * plugins (registry, pipeline, compare, fidelity) is `@quantforge/core/host`; the `.qf` container
 * and its byte/bit I/O, CRC-32 and float16 are `@quantforge/core/format`; conformance suites are
 * `@quantforge/core/testing`; Node-only file helpers are `@quantforge/core/node`.
 */
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
export { granularitySchema, groupSizeSchema, scopeSchema } from "./grouping-options.js";
export type { Granularity, Scope } from "./grouping-options.js";
export { aliasedEnum, deprecatedSpellings, warnDeprecatedOptions, DEPRECATED_OPTION_RULE } from "./option-aliases.js";
export type { OptionAliases, DeprecatedSpelling } from "./option-aliases.js";
export type { ChannelAxis } from "./channel-axis.js";
export { codebookSize, codebookGroupParams, gridStep, dequantizeScaleCode } from "./codebook.js";
export type { Codebook, CodebookKind, LevelsCodebook, AffineCodebook, GridCodebook, ScaledLevelsCodebook, ScaleCodes } from "./codebook.js";
export { TENSOR_GROUPING, groupCount, groupIndexMap } from "./grouping.js";
export { FLT_MAX, GridFit, encodeGrid, gridLevels, gridEndsFinite, roundHalfEven, ulp32 } from "./grid.js";
export type { AffineGridSpec, GridScheme, GridZero } from "./grid.js";
export type { Grouping } from "./grouping.js";
export type { QuantizedTensor, QuantizedModel, SparseLayout, CodeArray } from "./quantized.js";
export { codeArray, uint32Codes, isCodeArray, wordAligned } from "./code-array.js";
export type { WordAligned } from "./code-array.js";
export { dequantizeCodes, requantizeValues, dequantizeTensor, dequantizeTensorBlocks, visitDequantized, requantizeTensor, codedGroups, codeValueTable } from "./codebook-impl.js";
export { dequantizeModel, dequantizeModelAhead, valueCount } from "./dequantize.js";
export type { DequantizedAhead } from "./dequantize.js";
export { codebookMap, assertQuantizedTensor, assertQuantizedModel, largestCode } from "./validate.js";
export { hasCapability, requireCapabilities } from "./capabilities.js";
export type { Capability, Dataset, LayerInfo, ForwardOutput, ForwardPass, LayerInputMatrix, LayerInputs, HessianDiagonal, OptimizerMoments, ModelProbe } from "./capabilities.js";
export { Rng } from "./rng.js";
export { throwIfAborted } from "./context.js";
export type { RunContext, Diagnostic, DiagnosticsSink, ProgressReporter, Severity } from "./context.js";
export { defineQuantizer, defineCoder, defineEvaluator, parseWithSchema } from "./plugin.js";
export type { CodeFacts } from "./code-facts.js";
export type { AheadFacts, ErrorStatsAhead } from "./ahead-facts.js";
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
export type { PluginHost, PluginLookup } from "./host.js";
/** The decode limits a coder's `decode` takes (the checks themselves are in `@quantforge/core/format`). */
export type { DecodeLimits } from "./budget.js";
export { DEFAULT_AUTO_ORDER } from "./auto-eligibility.js";
export type { AutoEligibility, AutoCandidateSpec } from "./auto-eligibility.js";
export { perTensorQuantizer } from "./lift.js";
export type { CodebookSpec, TensorQuantization } from "./lift.js";
export { printable } from "./printable.js";
/** zod, re-exported so plugins validate options with the same instance as core. */
export { z } from "zod";
export { uniformAlphabet, alphabetForWeights, alphabetSize, alphabetCodebook, layerScale, nearestCode, floorCode, roundToAlphabet, isOnAlphabet, fillCells, MIN_ALPHABET_BITS, MAX_ALPHABET_BITS } from "./alphabet.js";
export type { Alphabet, AlphabetKind, CellConstraint } from "./alphabet.js";
