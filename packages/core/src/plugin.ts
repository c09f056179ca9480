import type { AheadFacts } from "./ahead-facts.js";
import type { CodeFacts } from "./code-facts.js";
import type { DecodeLimits } from "./budget.js";
import { z } from "zod";
import type { AutoEligibility } from "./auto-eligibility.js";
import type { OptionAliases } from "./option-aliases.js";
import type { Capability } from "./capabilities.js";
import type { Codebook } from "./codebook.js";
import type { RunContext } from "./context.js";
import { InvalidOptionsError } from "./errors.js";
import type { PluginHost } from "./host.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { standaloneHost } from "./registry.js";
import type { WeightSet } from "./tensor.js";

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** The three kinds of plugin. */
export type PluginKind = "quantizer" | "coder" | "evaluator";

/** Metadata every plugin descriptor carries. */
export interface PluginMeta {
  /** kebab-case id, unique per kind (`rtn`, `huffman`, `sqnr`). */
  readonly id: string;
  /** The package version. */
  readonly version: string;
  /** One line for `quantforge list`. */
  readonly description: string;
}

/** Maps float weights to codes + codebooks. Deterministic given `ctx.seed`. */
export interface Quantizer {
  readonly id: string;
  /** Model capabilities this instance needs (checked before `quantize` runs). */
  readonly needs?: readonly Capability[];
  /**
   * What to do when a model lacks one of {@link needs}, said in the error (`QF_MISSING_CAPABILITY`)
   * instead of the generic "options that do not need it" — e.g. the option that needs none.
   */
  readonly capabilityAdvice?: string;
  /**
   * True when every tensor is quantized on its own (its codes and codebook depend on that
   * tensor only, and the codebook id is the tensor's name), so quantizing the tensors one at a
   * time gives exactly what quantizing them together gives. Streaming writers use it to hold
   * one tensor at a time; leave it unset for joint methods. `perTensorQuantizer` sets it.
   */
  readonly perTensor?: boolean;
  /** Quantizes the tensors selected for quantization, all at once (joint methods need that). */
  quantize(weights: WeightSet, ctx: RunContext): Awaitable<QuantizedModel>;
}

/**
 * Losslessly codes one quantized tensor (codes, grouping, sparse positions) to bytes. Codebooks
 * are stored by the container. Every stream carries a format version and a CRC32; `decode`
 * throws `DecodeError` on anything truncated, corrupted or of another version.
 */
export interface Coder {
  readonly id: string;
  /**
   * Optional: codes every tensor of one codebook together (container version 3), so tables,
   * state flushes and headers can be shared. Containers use it when present.
   */
  readonly group?: GroupCoder;
  /**
   * @param facts - What the caller already knows of `tensor.codes` (see {@link CodeFacts}); the
   *   stream must not depend on whether it is given.
   */
  encode(tensor: QuantizedTensor, codebook: Codebook, facts?: CodeFacts): Uint8Array;
  /**
   * @param limits - Budgets from the container; a coder checks the declared shape against
   *   `limits.maxElements` before allocating (older coders may ignore it: the container checks
   *   again after the call).
   */
  decode(bytes: Uint8Array, limits?: DecodeLimits): QuantizedTensor;
  /**
   * Optional fast path of the pipeline's round-trip check. `bytes` are byte for byte the stream
   * `encode(known, …)` returned; the coder parses them like `decode` but may take `known`'s codes
   * instead of decoding them where its format makes them follow from the bytes (fixed-width
   * packing of codes that fit the width is injective). Must return exactly what `decode(bytes)`
   * returns. Without it the pipeline decodes every stream again (issue 18).
   */
  decodeEncoded?(bytes: Uint8Array, known: QuantizedTensor, limits?: DecodeLimits, facts?: CodeFacts): QuantizedTensor;
  /**
   * Optional: the stream `encode` returns for the same tensor and codebook under the tensor name
   * `name` and codebook id `codebook`, from `bytes`, byte for byte a stream `encode` returned. A
   * version-2 container stores nameless streams: with this it renames the stream the pipeline
   * already coded (and checked) instead of coding the tensor again (issue 18).
   */
  renameStream?(bytes: Uint8Array, name: string, codebook: string): Uint8Array;
}

/**
 * Model-level coding of the tensors that share one codebook (container version 3). The group's
 * bytes are covered by the container's CRC-32; `decodeGroup` still validates everything it reads
 * and throws `DecodeError` on anything malformed.
 */
export interface GroupCoder {
  /**
   * Codes `tensors` (all of `codebook`, in container order) as one byte string.
   * @returns the bytes and each tensor's share of them (summing to `bytes.length`).
   */
  encodeGroup(tensors: readonly QuantizedTensor[], codebook: Codebook): { readonly bytes: Uint8Array; readonly tensorBytes: readonly number[] };
  /**
   * Decodes `count` tensors written by `encodeGroup`, nameless (`name` and `codebook` are "": the
   * container holds them), checking each declared shape against `limits.maxElements` (the sum
   * over the group) before allocating.
   */
  decodeGroup(bytes: Uint8Array, count: number, codebook: Codebook, limits?: DecodeLimits): QuantizedTensor[];
  /**
   * Optional fast path of the pipeline's round-trip check, like {@link Coder.decodeEncoded}:
   * `bytes` are byte for byte what `encodeGroup(known, …)` returned; the coder parses and checks
   * them like `decodeGroup` but may take `known[i]`'s codes where its format makes them follow
   * from the bytes. Must return exactly what `decodeGroup(bytes, count, codebook)` returns.
   */
  decodeEncodedGroup?(bytes: Uint8Array, count: number, codebook: Codebook, known: readonly QuantizedTensor[], limits?: DecodeLimits): QuantizedTensor[];
}

/** Real sizes of a coded model, in bytes. */
export interface EncodedSize {
  /** The whole container: headers, codebooks, streams, passthrough tensors, checksums. */
  readonly totalBytes: number;
  readonly headerBytes: number;
  readonly codebookBytes: number;
  readonly passthroughBytes: number;
  /** Per quantized tensor: its stream plus its share of the codebooks it uses. */
  readonly tensors: readonly { readonly name: string; readonly count: number; readonly streamBytes: number; readonly bytes: number }[];
}

/** A metric value. `value` is a finite number or null with a `reason` (never ±Infinity/NaN). */
export interface Metric {
  readonly name: string;
  readonly value: number | null;
  /** Per-tensor metrics name their tensor; model-wide metrics leave it out. */
  readonly tensor?: string;
  readonly unit?: string;
  /** Why `value` is null (e.g. "exact reconstruction", "zero signal power"). */
  readonly reason?: string;
  /** Set on error metrics when the reconstruction is exact. */
  readonly exact?: boolean;
}

/** What evaluators look at. All weight sets are in the original order. */
export interface EvaluationSubject {
  /** The original float weights (every tensor of the input). */
  readonly original: WeightSet;
  /** The decoded weights (quantized tensors dequantized from the decoded stream; others as-is). */
  readonly decoded: WeightSet;
  /** Names of the tensors that were quantized. */
  readonly quantizedNames: ReadonlySet<string>;
  /** The quantized model as decoded from the coded bytes. */
  readonly quantized: QuantizedModel;
  /** Sizes from the coder, when the pipeline coded the model. */
  readonly encoded?: EncodedSize;
  /** Per-tensor results computed ahead on other threads (see {@link AheadFacts}); an evaluator may take them instead of computing them. */
  readonly ahead?: AheadFacts;
}

/** Scores a quantization. Pure; may use `ctx.model` for model-level metrics. */
export interface Evaluator {
  readonly id: string;
  readonly scope: "tensor" | "model" | "size";
  readonly needs?: readonly Capability[];
  evaluate(subject: EvaluationSubject, ctx: RunContext): Awaitable<readonly Metric[]>;
}

/** Descriptor shared by all plugin kinds: metadata, an options schema and a factory. */
export interface PluginDescriptor<K extends PluginKind, O, T> extends PluginMeta {
  readonly kind: K;
  /** zod schema of the options (defaults applied by it). */
  readonly optionsSchema: z.ZodType<O>;
  /** Validates untrusted options; throws {@link InvalidOptionsError} naming the field. */
  parseOptions(raw: unknown): O;
  /**
   * Old option spellings `parseOptions` still accepts (see `aliasedEnum`); hosts pass them to
   * `warnDeprecatedOptions` with the raw options. Absent when there are none.
   */
  readonly optionAliases?: OptionAliases;
  /**
   * Creates an instance bound to `options`. Touches no global state. `host` gives read-only
   * access to the other registered plugins (and the run's coders); hosts always pass it, and
   * descriptors made by `define*` default it to a host whose registry holds this plugin alone
   * (so callers written before hosts existed keep working). A factory that needs no host may
   * declare `create(options)` only.
   */
  create(options: O, host?: PluginHost): T;
}

// `any`, not `unknown`, as the default options type: a list of descriptors with different option
// types must be assignable to one element type, and `create(options: O)` takes them back.
/* eslint-disable @typescript-eslint/no-explicit-any */
/** A quantizer plugin descriptor. */
export interface QuantizerPlugin<O = any> extends PluginDescriptor<"quantizer", O, Quantizer> {
  /** Present when meta-quantizers (`auto`) may use this quantizer as a candidate. */
  readonly auto?: AutoEligibility;
}
/** A coder plugin descriptor. */
export type CoderPlugin<O = any> = PluginDescriptor<"coder", O, Coder>;
/** An evaluator plugin descriptor. */
export type EvaluatorPlugin<O = any> = PluginDescriptor<"evaluator", O, Evaluator>;
/* eslint-enable @typescript-eslint/no-explicit-any */
/** Any plugin descriptor. */
export type AnyPlugin = QuantizerPlugin | CoderPlugin | EvaluatorPlugin;

/** What `define*` takes: metadata, a zod object schema, defaults and a factory. */
export interface PluginSpec<S extends z.ZodType, T> extends PluginMeta {
  readonly options: S;
  /** Defaults merged under the raw options before validation (a factory's arguments). */
  readonly defaults?: Partial<z.input<S>>;
  /** Old option spellings the schema accepts through `aliasedEnum` (same table), for deprecation warnings. */
  readonly optionAliases?: OptionAliases;
  /** The factory (see {@link PluginDescriptor.create}); `host` may be left out of the signature. */
  create(options: z.output<S>, host: PluginHost): T;
}

/** What {@link defineQuantizer} takes: a {@link PluginSpec} plus the optional `auto` declaration. */
export interface QuantizerSpec<S extends z.ZodType> extends PluginSpec<S, Quantizer> {
  /** Declares the quantizer eligible as an `auto` candidate (see {@link AutoEligibility}). */
  readonly auto?: AutoEligibility;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
}

/** Validates `raw` against a zod schema, turning the first issue into {@link InvalidOptionsError}. */
export function parseWithSchema<S extends z.ZodType>(pluginId: string, schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  // An unknown key is reported at its parent's path; name the key itself so users see which option is wrong.
  const path = issue.code === "unrecognized_keys" && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : issue.path;
  return ((): never => {
    throw new InvalidOptionsError(pluginId, formatPath(path), issue.message.replace(/^Invalid input: /, "is invalid: ").toLowerCase(), r.error);
  })();
}

function define<K extends PluginKind, S extends z.ZodType, T>(kind: K, spec: PluginSpec<S, T>, extra: object = {}): PluginDescriptor<K, z.output<S>, T> {
  // The descriptor keeps the spec's factory itself, so `create` is called without `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { options, defaults, create, id, version, description, optionAliases } = spec;
  const descriptor: PluginDescriptor<K, z.output<S>, T> = Object.freeze({
    ...extra,
    ...(optionAliases ? { optionAliases: Object.freeze(Object.fromEntries(Object.entries(optionAliases).map(([k, m]) => [k, Object.freeze({ ...m })]))) } : {}),
    kind,
    id,
    version,
    description,
    optionsSchema: options as unknown as z.ZodType<z.output<S>>,
    parseOptions(raw: unknown) {
      const merged = defaults && (raw === undefined || (typeof raw === "object" && raw !== null && !Array.isArray(raw))) ? { ...defaults, ...raw } : raw;
      return parseWithSchema(id, options, merged);
    },
    create(o: z.output<S>, host?: PluginHost): T {
      return create(o, host ?? standaloneHost([descriptor as unknown as AnyPlugin]));
    },
  });
  return descriptor;
}

/** Defines a quantizer descriptor. Side-effect free: nothing is registered. */
export function defineQuantizer<S extends z.ZodType>(spec: QuantizerSpec<S>): QuantizerPlugin<z.output<S>> {
  return define("quantizer", spec, spec.auto ? { auto: Object.freeze({ ...spec.auto }) } : {});
}
/** Defines a coder descriptor. */
export function defineCoder<S extends z.ZodType>(spec: PluginSpec<S, Coder>): CoderPlugin<z.output<S>> {
  return define("coder", spec);
}
/** Defines an evaluator descriptor. */
export function defineEvaluator<S extends z.ZodType>(spec: PluginSpec<S, Evaluator>): EvaluatorPlugin<z.output<S>> {
  return define("evaluator", spec);
}

/**
 * Creates an instance from a descriptor and raw options.
 * @param host - What the plugin may look up; default: a host whose registry holds `p` only.
 */
export function instantiate<O, T>(p: PluginDescriptor<PluginKind, O, T>, raw?: unknown, host?: PluginHost): T {
  return p.create(p.parseOptions(raw ?? {}), host ?? standaloneHost([p as unknown as AnyPlugin]));
}
