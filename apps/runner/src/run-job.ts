import { inject, injectable } from "tsyringe";
import { warnDeprecatedOptions, type Coder, type CoderPlugin, type Diagnostic, type Evaluator, type EvaluatorPlugin, type ModelProbe, type Quantizer, type QuantizerPlugin, type RunContext, type WeightSet } from "@quantforge/core";
import { CollectingDiagnostics, PLUGIN_REGISTRY, RUN_CONFIG, RUN_CONTEXT, createHost, runPipeline, type PipelineResult, type PluginRegistry, type TensorSelector, type TensorWorkers } from "@quantforge/core/host";
import { optionsEntry } from "./recorded-options.js";

/** A plugin id with raw (unvalidated) options, as the command line gives them. */
export interface PluginChoice {
  readonly id: string;
  readonly options?: Record<string, unknown>;
}

/** Everything one `run` needs besides the weights; registered under RUN_CONFIG. */
export interface RunConfig {
  readonly quantizer: PluginChoice;
  readonly coder: PluginChoice;
  readonly evaluators: readonly PluginChoice[];
  /** Which tensors are quantized (default: core's `defaultSelector`). */
  readonly select?: TensorSelector;
  /** Extra, deterministic metadata stored in the `.qf` header. */
  readonly metadata?: Record<string, unknown>;
  /** Run even when the selection picks no tensor (`--allow-empty`; else `QF_NOTHING_TO_QUANTIZE`). */
  readonly allowEmpty?: boolean;
}

/** Plugins resolved and options validated: what {@link RunJob.execute} runs. */
export interface PreparedRun {
  /** `raw`: the options as given, for the `.qf` header's record of deprecated spellings. */
  readonly quantizer: { readonly plugin: QuantizerPlugin; readonly options: unknown; readonly raw?: unknown; readonly instance: Quantizer };
  readonly coder: { readonly plugin: CoderPlugin; readonly options: unknown; readonly instance: Coder };
  readonly evaluators: readonly { readonly plugin: EvaluatorPlugin; readonly options: unknown; readonly instance: Evaluator }[];
  /** `deprecated-option` warnings for old option spellings (the run's diagnostics start with them). */
  readonly deprecations?: readonly Diagnostic[];
}

/**
 * One pipeline run, resolved from a per-run child container: the registry comes from the root,
 * the configuration and context from the child. Every constructor parameter carries an explicit
 * `@inject` (decorator metadata is not emitted by every transformer; toolchain guide §4).
 */
@injectable()
export class RunJob {
  constructor(
    @inject(PLUGIN_REGISTRY) private readonly registry: PluginRegistry,
    @inject(RUN_CONFIG) private readonly config: RunConfig,
    @inject(RUN_CONTEXT) private readonly ctx: RunContext,
  ) {}

  /**
   * Resolves every id and validates every option set, before any weights are loaded, so a typo
   * fails fast. Throws `UnknownPluginError` (listing the known ids) or `InvalidOptionsError`
   * (naming the field).
   */
  prepare(): PreparedRun {
    const c = this.config;
    // Plugins see the registry (built-in and loaded ones) and this run's coder through the host.
    const host = createHost(this.registry, { coders: [c.coder.id] });
    // Old spellings parse to the new values, so only the raw options here can tell them apart.
    const deprecations = new CollectingDiagnostics();
    const make = <P extends QuantizerPlugin | CoderPlugin | EvaluatorPlugin>(plugin: P, raw: unknown) => {
      const options: unknown = plugin.parseOptions(raw ?? {});
      warnDeprecatedOptions(raw, plugin.optionAliases, deprecations, plugin.id);
      return { plugin, options, raw, instance: plugin.create(options, host) as ReturnType<P["create"]> };
    };
    return {
      quantizer: make(this.registry.quantizer(c.quantizer.id), c.quantizer.options),
      coder: make(this.registry.coder(c.coder.id), c.coder.options),
      evaluators: c.evaluators.map((e) => make(this.registry.evaluator(e.id), e.options)),
      deprecations: deprecations.items,
    };
  }

  /**
   * Runs quantize → code → decode → dequantize → evaluate on `weights`. The container header
   * records the input's tensor order (so `decode` restores the file in the same order) and the
   * validated quantizer options that differ from the defaults (recorded-options.ts).
   */
  async execute(weights: WeightSet, prepared: PreparedRun = this.prepare(), model?: ModelProbe, workers?: TensorWorkers): Promise<PipelineResult> {
    const metadata = { tensorOrder: weights.map((t) => t.name), ...optionsEntry(prepared.quantizer.plugin, prepared.quantizer.options, prepared.quantizer.raw), ...this.config.metadata };
    const r = await runPipeline({
      weights,
      // A model (--model) gives evaluators and quantizers its capabilities (forward, data, …).
      ...(model ? { model } : {}),
      quantizer: prepared.quantizer.instance,
      coder: prepared.coder.instance,
      evaluators: prepared.evaluators.map((e) => e.instance),
      select: this.config.select,
      options: { seed: this.ctx.seed, progress: this.ctx.progress, signal: this.ctx.signal, metadata, ...(this.config.allowEmpty ? { allowEmpty: true } : {}), ...(workers ? { workers } : {}) },
    });
    // runPipeline only sees the instance; report the validated options (defaults applied).
    const diagnostics = prepared.deprecations?.length ? [...prepared.deprecations, ...r.diagnostics] : r.diagnostics;
    return { ...r, diagnostics, quantizer: { id: r.quantizer.id, options: prepared.quantizer.options } };
  }
}
