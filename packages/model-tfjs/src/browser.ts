/**
 * The browser-safe part of `@quantforge/model-tfjs` (no Node APIs, no backend selection): wrap a
 * tfjs model the caller loaded — on whatever backend it chose — as a runnable probe. Import it
 * as `@quantforge/model-tfjs/browser`.
 */
export { runnableTfjsProbe } from "./runnable-probe.js";
export type { RunnableTfjsParts, TfjsFileModelProbe } from "./runnable-probe.js";
export { graphModelSwapper, layersModelSwapper } from "./weight-swap.js";
export type { WeightSwapper } from "./weight-swap.js";
export type { Tf } from "./tf.js";
