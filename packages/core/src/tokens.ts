import type { InjectionToken } from "tsyringe";
import type { CoderPlugin, EvaluatorPlugin, QuantizerPlugin } from "./plugin.js";
import type { PluginRegistry } from "./registry.js";
import type { RunContext } from "./context.js";

/**
 * Formerly the DI token of quantizer descriptors.
 * @deprecated Plugins are registered once, in the registry: resolve {@link PLUGIN_REGISTRY} and
 *   call `list("quantizer")`. Nothing is registered under this token any more.
 */
export const QUANTIZER_PLUGIN: InjectionToken<QuantizerPlugin> = Symbol.for("@quantforge/core:QuantizerPlugin");
/** @deprecated See {@link QUANTIZER_PLUGIN}: use {@link PLUGIN_REGISTRY} and `list("coder")`. */
export const CODER_PLUGIN: InjectionToken<CoderPlugin> = Symbol.for("@quantforge/core:CoderPlugin");
/** @deprecated See {@link QUANTIZER_PLUGIN}: use {@link PLUGIN_REGISTRY} and `list("evaluator")`. */
export const EVALUATOR_PLUGIN: InjectionToken<EvaluatorPlugin> = Symbol.for("@quantforge/core:EvaluatorPlugin");
/** DI token of the plugin registry: every descriptor is registered there, and only there. */
export const PLUGIN_REGISTRY: InjectionToken<PluginRegistry> = Symbol.for("@quantforge/core:PluginRegistry");
/** DI token for the per-run context (registered on a child container). */
export const RUN_CONTEXT: InjectionToken<RunContext> = Symbol.for("@quantforge/core:RunContext");
/** DI token for the per-run configuration object (registered on a child container). */
export const RUN_CONFIG: InjectionToken<unknown> = Symbol.for("@quantforge/core:RunConfig");
