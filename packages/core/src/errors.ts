import { printable } from "./printable.js";

/**
 * Stable error codes. Tools match on `code`, never on the message, so codes never change meaning.
 */
export const ErrorCodes = {
  UNKNOWN_PLUGIN: "QF_UNKNOWN_PLUGIN",
  DUPLICATE_PLUGIN: "QF_DUPLICATE_PLUGIN",
  INVALID_PLUGIN: "QF_INVALID_PLUGIN",
  INVALID_OPTIONS: "QF_INVALID_OPTIONS",
  SHAPE_MISMATCH: "QF_SHAPE_MISMATCH",
  NON_FINITE: "QF_NON_FINITE",
  DECODE: "QF_DECODE",
  FORMAT: "QF_FORMAT",
  IO: "QF_IO",
  MISSING_CAPABILITY: "QF_MISSING_CAPABILITY",
  INVALID_QUANTIZED: "QF_INVALID_QUANTIZED",
  ABORTED: "QF_ABORTED",
  TIMEOUT: "QF_TIMEOUT",
  VERIFY_MISMATCH: "QF_VERIFY_MISMATCH",
  PLUGIN_LOAD: "QF_PLUGIN_LOAD",
  PLUGIN_EXPORT: "QF_PLUGIN_EXPORT",
  PLUGIN_INCOMPATIBLE: "QF_PLUGIN_INCOMPATIBLE",
  /** A results file was made with a plugin that is not loaded (`compare --verify` never loads one from a file). */
  PLUGIN_MISSING: "QF_PLUGIN_MISSING",
  USAGE: "QF_USAGE",
  NOTHING_TO_QUANTIZE: "QF_NOTHING_TO_QUANTIZE",
  /** The job queue (`compare --queue`, `quantforge worker`): Redis unreachable, a job lost or malformed. */
  QUEUE: "QF_QUEUE",
  /** A queued job names an input path outside the worker's `--data-root`. */
  OUTSIDE_DATA_ROOT: "QF_OUTSIDE_DATA_ROOT",
  INTERNAL: "QF_INTERNAL",
} as const;

/** One of the stable error codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Base class of every error quantforge throws on purpose. `code` is stable; `message` is one
 * line saying what happened and what to do; `exitCode` is what a CLI should exit with
 * (2 = bad input or usage, 1 = runtime failure).
 */
export class QuantforgeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Suggested process exit code: 2 for usage/input errors, 1 for runtime failures. */
  readonly exitCode: 1 | 2;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: 1 | 2 }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** A plugin id that is not registered. The message lists the known ids. */
export class UnknownPluginError extends QuantforgeError {
  constructor(kind: string, id: string, known: readonly string[]) {
    super(ErrorCodes.UNKNOWN_PLUGIN, `${kind} "${id}" is not registered. Known ${kind}s: ${known.length ? known.join(", ") : "(none)"}. Pick one of them or register the plugin.`);
  }
}

/** Two different descriptors with the same kind and id. */
export class DuplicatePluginError extends QuantforgeError {
  constructor(kind: string, id: string, versions: readonly string[]) {
    super(ErrorCodes.DUPLICATE_PLUGIN, `${kind} "${id}" is registered twice (versions ${versions.join(" and ")}). Register only one of them.`);
  }
}

/** A descriptor that lacks a required field. */
export class InvalidPluginError extends QuantforgeError {
  constructor(what: string, field: string, cause?: unknown) {
    super(ErrorCodes.INVALID_PLUGIN, `plugin ${what} is malformed: field "${field}" is missing or invalid. Fix the plugin's descriptor.`, { cause });
  }
}

/** Options that fail a plugin's schema; names the plugin and the field path. */
export class InvalidOptionsError extends QuantforgeError {
  /** Dotted path of the offending field ("" for the root). */
  readonly field: string;
  constructor(pluginId: string, field: string, problem: string, cause?: unknown) {
    super(ErrorCodes.INVALID_OPTIONS, `invalid options for "${pluginId}": ${field ? `field "${field}"` : "options"} ${problem}. Fix that option.`, { cause });
    this.field = field;
  }
}

/**
 * A run that would quantize no tensor: the input has no float weights, or the selection
 * (roles, `--include`/`--exclude`) leaves none. The message says which; `--allow-empty` runs anyway.
 */
export class NothingToQuantizeError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.NOTHING_TO_QUANTIZE, message);
  }
}

/** A tensor whose data length or shape does not match what was expected. */
export class ShapeMismatchError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.SHAPE_MISMATCH, message);
  }
}

/** NaN or ±Inf in weights. */
export class NonFiniteError extends QuantforgeError {
  constructor(tensor: string, index: number, value: number) {
    super(ErrorCodes.NON_FINITE, `tensor "${tensor}" has a non-finite value (${value}) at index ${index}. Clean the weights (NaN/Inf cannot be quantized).`);
  }
}

/** A coded stream or container that is truncated, corrupted or of an unknown version. */
export class DecodeError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.DECODE, message, { cause });
  }
}

/** A malformed input file (safetensors, model.json, IDX, ONNX, …). */
export class FormatError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.FORMAT, message, { cause });
  }
}

/** A missing or unreadable file, or a failed write. */
export class IoError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.IO, message, { cause });
  }
}

/** A quantizer or evaluator needs a model capability the input does not provide. */
export class MissingCapabilityError extends QuantforgeError {
  /**
   * @param model - The model that was given but lacks the capability (its id and the capabilities it
   *   does offer). Without it the input is a weights file, and the message says to run on a model;
   *   with it that advice would be wrong (the user did), so the message names the model and what it offers.
   * @param advice - The plugin's own way out (`Quantizer.capabilityAdvice`, e.g. the option that
   *   needs no capability), said instead of the generic "options that do not need it".
   */
  constructor(pluginId: string, capability: string, model?: { readonly id: string; readonly offers: readonly string[] }, advice?: string) {
    // The plugin's own advice replaces the generic "options that do not need it".
    const or = advice !== undefined ? `. Or: ${advice}` : undefined;
    super(
      ErrorCodes.MISSING_CAPABILITY,
      model
        ? `"${pluginId}" needs the model capability "${capability}", which model "${printable(model.id)}" does not offer (it offers: ${model.offers.length > 0 ? model.offers.join(", ") : "none"}). Choose a quantizer that needs only those (data-free ones such as rtn, uniform-mse or hqq need none)${or ?? `, or options that do not need "${capability}".`}`
        : `"${pluginId}" needs the model capability "${capability}", which this input lacks. Run it on a model (--model)${or ?? " or choose options that do not need it."}`,
    );
  }
}

/** A quantizer returned something that breaks the QuantizedModel invariants (a plugin bug). */
export class InvalidQuantizedError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_QUANTIZED, message, { exitCode: 1 });
  }
}

/** The run was cancelled through its AbortSignal. */
export class AbortedError extends QuantforgeError {
  constructor() {
    super(ErrorCodes.ABORTED, "the run was aborted. Start it again to finish.", { exitCode: 1 });
  }
}

/** A unit of work (e.g. one cell of a comparison) did not finish within its time limit. */
export class TimeoutError extends QuantforgeError {
  /** The limit that was exceeded, in seconds. */
  readonly seconds: number;
  constructor(what: string, seconds: number) {
    super(ErrorCodes.TIMEOUT, `${what} did not finish within ${seconds} s. Raise the time limit (--timeout) or leave it out.`, { exitCode: 1 });
    this.seconds = seconds;
  }
}

/** True when `e` is a {@link QuantforgeError} (works across duplicate installs by duck typing). */
export function isQuantforgeError(e: unknown): e is QuantforgeError {
  return e instanceof QuantforgeError || (typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" && String((e as { code: string }).code).startsWith("QF_"));
}
