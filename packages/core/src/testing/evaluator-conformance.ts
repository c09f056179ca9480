import { describe } from "vitest";
import type { ModelProbe } from "../capabilities.js";
import { createRunContext } from "../context.js";
import { ErrorCodes } from "../errors.js";
import { runPipeline, type PipelineResult } from "../pipeline.js";
import type { EvaluationSubject, EvaluatorPlugin, Metric, QuantizerPlugin } from "../plugin.js";
import type { PluginHost } from "../host.js";
import { assertPluginDescriptor, standaloneHost } from "../registry.js";
import type { WeightSet, WeightTensor } from "../tensor.js";
import { edgeTensor, sampleTensor } from "./arbitraries.js";
import { coarseTestQuantizer, exactTestQuantizer, rawTestCoder } from "./fixtures.js";
import { assertCode, caught, optionSets, optionsLabel, testRegistrar, type SkipEntry } from "./suite.js";

/**
 * Ids of the evaluator conformance tests (use them in `skip`):
 * - `descriptor`: the descriptor is well-formed and `create` gives the plugin's evaluator;
 * - `ideal`: identical original and decoded weights give the declared ideal values;
 * - `finite`: every value is finite or null with a reason (identical and lossy inputs);
 * - `constant`: all-zero, constant and single-element inputs give no NaN/∞;
 * - `deterministic`: the same subject gives the same metrics;
 * - `shape-mismatch`: decoded weights of another shape ⇒ `ShapeMismatchError` (`QF_SHAPE_MISMATCH`).
 */
export const EVALUATOR_TESTS = ["descriptor", "ideal", "finite", "constant", "deterministic", "shape-mismatch"] as const;

/** Options of {@link describeEvaluatorConformance}. */
export interface EvaluatorConformanceOptions {
  /**
   * The host `create(options, host)` receives (a plugin that looks up other plugins needs them
   * registered here). Default: a host whose registry holds the plugin under test only.
   */
  readonly host?: PluginHost;
  /**
   * Metric name → its value when decoded equals original (e.g. `{ mse: 0, sqnrDb: null }`).
   * Every metric of that name (per tensor and overall) must have exactly this value; a null
   * ideal also needs a reason. Each declared name must occur.
   */
  readonly ideal?: Readonly<Record<string, number | null>>;
  /** Option sets to test (raw); default `[{}]`. */
  readonly options?: Record<string, unknown> | readonly Record<string, unknown>[];
  /** Reviewed exceptions: test id (see {@link EVALUATOR_TESTS}) and the reason. */
  readonly skip?: readonly SkipEntry[];
  /** A model for evaluators that need capabilities (its weights become the input). */
  readonly model?: ModelProbe;
  /** Input weights (default: Laplacian, Gaussian and uniform tensors). */
  readonly weights?: WeightSet;
  /** Seed of the runs (default 42). */
  readonly seed?: number;
  /** Per-test timeout in ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** The default input of the evaluator checks. */
export function defaultEvaluatorWeights(): WeightSet {
  return [
    sampleTensor("dense/kernel", [32, 16], { dist: "laplace", seed: 21, sigma: 0.1 }),
    sampleTensor("conv/kernel", [3, 3, 2, 4], { dist: "gaussian", seed: 22, sigma: 0.3 }),
    sampleTensor("vector", [50], { dist: "uniform", seed: 23, sigma: 1, mean: -0.25 }),
  ];
}

function checkMetrics(ms: readonly Metric[], names: ReadonlySet<string>, what: string): void {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- `as unknown` stops Array.isArray from narrowing a readonly T[] to any[]
  if (!Array.isArray(ms as unknown)) throw new Error(`${what}: evaluate() did not return an array.`);
  for (const m of ms) {
    const where = `${what}: metric "${m.name}"${m.tensor ? ` of "${m.tensor}"` : ""}`;
    if (typeof m.name !== "string" || m.name.length === 0) throw new Error(`${what}: a metric has no name.`);
    if (m.tensor !== undefined && !names.has(m.tensor)) throw new Error(`${where} names a tensor that is not in the input.`);
    if (m.value === null) {
      if (typeof m.reason !== "string" || m.reason.length === 0) throw new Error(`${where} is null without a reason.`);
    } else if (typeof m.value !== "number" || !Number.isFinite(m.value)) {
      throw new Error(`${where} is ${m.value}; values must be finite numbers or null with a reason.`);
    }
  }
}

/**
 * Registers the evaluator conformance suite (vitest `describe`/`it`) for `plugin`. The subjects
 * come from real pipeline runs (a lossless levels quantizer, a coarse 4-level one, and a plain
 * reference coder, so `encoded` sizes are real):
 *
 * ```ts
 * describeEvaluatorConformance(sqnrEvaluator(), { ideal: { mse: 0, maxAbsError: 0, sqnrDb: null } });
 * ```
 */
export function describeEvaluatorConformance(plugin: EvaluatorPlugin, o: EvaluatorConformanceOptions = {}): void {
  const host = o.host ?? standaloneHost([plugin]);
  const seed = o.seed ?? 42;
  const timeout = o.timeoutMs ?? 60_000;
  const sets = optionSets(o.options);
  const weights = (): WeightSet => o.weights ?? o.model?.weights ?? defaultEvaluatorWeights();
  const run = (opts: Record<string, unknown>, quantizer: QuantizerPlugin, ws: WeightSet): Promise<PipelineResult> =>
    runPipeline({
      weights: ws,
      model: o.model,
      quantizer,
      coder: rawTestCoder(),
      evaluators: [{ plugin, options: opts }],
      options: { seed },
      ...(o.host ? { host: o.host } : {}),
    });
  const test = testRegistrar(`evaluator conformance (${plugin.id})`, EVALUATOR_TESTS, o.skip, timeout);
  describe(`evaluator conformance: ${plugin.id}`, () => {
    test("descriptor", "descriptor is well-formed and create() returns the plugin's evaluator", () => {
      assertPluginDescriptor(plugin);
      if (plugin.kind !== "evaluator") throw new Error(`descriptor kind is "${plugin.kind}", not "evaluator".`);
      for (const opts of sets) {
        const e = plugin.create(plugin.parseOptions(opts), host);
        if (typeof e.evaluate !== "function") throw new Error("create() returned no evaluator.");
        if (e.id !== plugin.id) throw new Error(`the evaluator's id "${e.id}" differs from the descriptor's "${plugin.id}".`);
        if (!["tensor", "model", "size"].includes(e.scope)) throw new Error(`scope "${e.scope}" is not tensor, model or size.`);
      }
    });

    for (const opts of sets) {
      describe(optionsLabel(opts), () => {
        test("ideal", "identical original and decoded weights give the declared ideal values", async () => {
          const ws = weights();
          const r = await run(opts, exactTestQuantizer(), ws);
          for (const t of r.decoded) {
            const src = ws.find((u) => u.name === t.name)!;
            if (!src.data.every((v, i) => Object.is(v, t.data[i]))) throw new Error(`internal: the lossless fixture did not reproduce "${t.name}".`);
          }
          checkMetrics(r.metrics, new Set(ws.map((t) => t.name)), "identical inputs");
          for (const [name, ideal] of Object.entries(o.ideal ?? {})) {
            const ms = r.metrics.filter((m) => m.name === name);
            if (ms.length === 0) throw new Error(`no metric named "${name}" was reported; reported: ${[...new Set(r.metrics.map((m) => m.name))].join(", ")}.`);
            for (const m of ms) {
              if (m.value !== ideal) throw new Error(`metric "${name}"${m.tensor ? ` of "${m.tensor}"` : ""} is ${m.value} on identical inputs; its ideal is ${ideal}.`);
            }
          }
        });

        test("finite", "every value is finite, or null with a reason (identical and lossy inputs)", async () => {
          const ws = weights();
          const names = new Set(ws.map((t) => t.name));
          checkMetrics((await run(opts, exactTestQuantizer(), ws)).metrics, names, "identical inputs");
          const lossy = await run(opts, coarseTestQuantizer(), ws);
          checkMetrics(lossy.metrics, names, "lossy inputs");
          if (lossy.metrics.length === 0) throw new Error("the evaluator reported no metrics.");
        });

        test(
          "constant",
          "all-zero, constant and single-element inputs give no NaN or ∞",
          async () => {
            const ws: WeightTensor[] = [edgeTensor("zeros", { shape: [16] }), edgeTensor("constant", { shape: [4, 4], value: 0.5 }), edgeTensor("single", { shape: [1] })];
            const names = new Set(ws.map((t) => t.name));
            for (const q of [exactTestQuantizer(), coarseTestQuantizer()]) checkMetrics((await run(opts, q, ws)).metrics, names, `constant inputs (${q.id})`);
          },
          o.model ? "the evaluator runs on the given model's weights" : undefined,
        );

        test("deterministic", "the same subject gives the same metrics", async () => {
          const r = await run(opts, coarseTestQuantizer(), weights());
          const subject: EvaluationSubject = { original: r.original, decoded: r.decoded, quantizedNames: r.quantizedNames, quantized: r.quantized, encoded: r.encoded?.size };
          const again = await plugin.create(plugin.parseOptions(opts), host).evaluate(subject, createRunContext({ seed, model: o.model }));
          if (JSON.stringify(again) !== JSON.stringify(r.metrics)) throw new Error("two evaluations of the same subject differ.");
        });

        test("shape-mismatch", "decoded weights of another shape are a ShapeMismatchError", async () => {
          const r = await run(opts, exactTestQuantizer(), weights());
          const first = r.decoded[0]!;
          const n = first.data.length + 1;
          const wrong: WeightTensor = { ...first, shape: [n], data: new Float32Array(n) };
          const subject: EvaluationSubject = {
            original: r.original,
            decoded: [wrong, ...r.decoded.slice(1)],
            quantizedNames: r.quantizedNames,
            quantized: r.quantized,
            encoded: r.encoded?.size,
          };
          const e = await caught(async () => plugin.create(plugin.parseOptions(opts), host).evaluate(subject, createRunContext({ seed, model: o.model })), `decoded "${first.name}" of shape [${n}]`);
          assertCode(e, ErrorCodes.SHAPE_MISMATCH, `decoded "${first.name}" of shape [${n}]`);
        });
      });
    }
  });
}
