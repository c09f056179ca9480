import type { InjectionToken } from "tsyringe";
import type { CoderPlugin, EvaluatorPlugin, QuantizerPlugin } from "./plugin.js";
import type { PluginRegistry } from "./registry.js";
import type { RunContext } from "./context.js";

/** DI token under which quantizer descriptors are registered (multi-registration). */
export const QUANTIZER_PLUGIN: InjectionToken<QuantizerPlugin> = Symbol.for("@quantforge/core:QuantizerPlugin");
/** DI token for coder descriptors. */
export const CODER_PLUGIN: InjectionToken<CoderPlugin> = Symbol.for("@quantforge/core:CoderPlugin");
/** DI token for evaluator descriptors. */
export const EVALUATOR_PLUGIN: InjectionToken<EvaluatorPlugin> = Symbol.for("@quantforge/core:EvaluatorPlugin");
/** DI token for the registry built from the registered descriptors. */
export const PLUGIN_REGISTRY: InjectionToken<PluginRegistry> = Symbol.for("@quantforge/core:PluginRegistry");
/** DI token for the per-run context (registered on a child container). */
export const RUN_CONTEXT: InjectionToken<RunContext> = Symbol.for("@quantforge/core:RunContext");
/** DI token for the per-run configuration object (registered on a child container). */
export const RUN_CONFIG: InjectionToken<unknown> = Symbol.for("@quantforge/core:RunConfig");
