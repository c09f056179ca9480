import fc from "fast-check";
import { describe } from "vitest";
import type { ModelProbe } from "../capabilities.js";
import { createRunContext } from "../context.js";
import { ErrorCodes } from "../errors.js";
import { runPipeline } from "../pipeline.js";
import type { QuantizerPlugin } from "../plugin.js";
import type { QuantizedModel } from "../quantized.js";
import type { PluginHost } from "../host.js";
import { assertPluginDescriptor, standaloneHost } from "../registry.js";
import { defaultSelector } from "../selection.js";
import type { WeightSet } from "../tensor.js";
import { assertQuantizedModel } from "../validate.js";
import { edgeTensor, gaussianTensorArb, laplacianTensorArb, sampleTensor, shapeArb, weightSetArb, weightTensorArb, type EdgeKind } from "./arbitraries.js";
import { assertCode, caught, firstDiff, optionSets, optionsLabel, sameBits, testRegistrar, type SkipEntry } from "./suite.js";
import { checkFinite, checkNamesAndShapes, checkRequantize, codebookBytes, withValue } from "./quantizer-checks.js";

/**
 * Ids of the quantizer conformance tests (use them in `skip`):
 * - `descriptor`: the descriptor passes `assertPluginDescriptor`, options parse, `create` gives `id`;
 * - `names-and-shapes`: every input tensor comes back once, same name and shape, in input order;
 * - `codes-in-range`: `assertQuantizedModel` (every code inside its codebook, params per group);
 * - `determinism`: same seed ⇒ bit-identical codes, positions and codebooks; the input is not modified;
 * - `requantize`: re-quantizing the dequantized weights with the *stored* codebook reproduces the codes;
 * - `properties`: the three checks above on random (fast-check) weight sets;
 * - `non-finite`: NaN/±Inf input ⇒ `runPipeline` rejects with `QF_NON_FINITE`;
 * - `degenerate`: all-zero, constant and single-element tensors ⇒ finite decoded output;
 * - `edge`: ±3e38, subnormal, outlier and one-signed tensors ⇒ valid codes, finite output, requantize holds;
 * - `invalid-options`: bad options ⇒ `InvalidOptionsError` (`QF_INVALID_OPTIONS`) naming a field.
 */
export const QUANTIZER_TESTS = ["descriptor", "names-and-shapes", "codes-in-range", "determinism", "requantize", "properties", "non-finite", "degenerate", "edge", "invalid-options"] as const;

/** Options of {@link describeQuantizerConformance}. */
export interface QuantizerConformanceOptions {
  /**
   * The host `create(options, host)` receives (a plugin that looks up other plugins needs them
   * registered here). Default: a host whose registry holds the plugin under test only.
   */
  readonly host?: PluginHost;
  /** Option sets to test (raw, as a user would pass them); default `[{}]`. */
  readonly options?: Record<string, unknown> | readonly Record<string, unknown>[];
  /** Raw options each of which must be rejected with `InvalidOptionsError` naming a field. */
  readonly invalidOptions?: readonly unknown[];
  /** Reviewed exceptions: test id (see {@link QUANTIZER_TESTS}) and the reason. */
  readonly skip?: readonly SkipEntry[];
  /**
   * The weight set of the fixed-input checks (default: Laplacian, Gaussian and uniform tensors of
   * 1–4 dimensions), or a function of the option set (e.g. shapes that fit a channel axis).
   */
  readonly tensors?: WeightSet | ((options: Record<string, unknown>) => WeightSet);
  /** A model for quantizers that need capabilities; its weights are the default tensors then. */
  readonly model?: ModelProbe;
  /** Seed of the runs (default 42). */
  readonly seed?: number;
  /** fast-check runs of the `properties` test (default 15). */
  readonly numRuns?: number;
  /** Shapes of the `properties` weight sets (default: 2–4 dims, ≤ 8 per side). */
  readonly shapes?: fc.Arbitrary<readonly number[]>;
  /** Shape of the edge-case tensors (default [4, 8]). */
  readonly edgeShape?: readonly number[];
  /** Per-test timeout in ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** The default weight set of the fixed-input checks. */
export function defaultQuantizerTensors(): WeightSet {
  return [
    sampleTensor("dense/kernel", [48, 16], { dist: "laplace", seed: 11, sigma: 0.05 }),
    sampleTensor("conv/kernel", [3, 3, 4, 6], { dist: "gaussian", seed: 12, sigma: 0.2 }),
    sampleTensor("vector", [37], { dist: "uniform", seed: 13, sigma: 2, mean: 0.5 }),
    sampleTensor("head/kernel", [10, 3], { dist: "laplace", seed: 14, sigma: 1 }),
  ];
}

async function quantize(plugin: QuantizerPlugin, host: PluginHost, options: Record<string, unknown>, weights: WeightSet, seed: number, model?: ModelProbe): Promise<QuantizedModel> {
  const q = plugin.create(plugin.parseOptions(options), host);
  return q.quantize(weights, createRunContext({ seed, model }));
}

/**
 * Registers the quantizer conformance suite (vitest `describe`/`it`) for `plugin`: one block per
 * option set. Call it at the top level of a `*.test.ts` file:
 *
 * ```ts
 * describeQuantizerConformance(rtnQuantizer(), {
 *   options: [{ bits: 8 }, { bits: 2, symmetric: true }],
 *   invalidOptions: [{ bits: 0 }, { bits: "x" }],
 * });
 * ```
 *
 * Every skipped test needs a reason and shows up as skipped with the reason in its title.
 */
export function describeQuantizerConformance(plugin: QuantizerPlugin, o: QuantizerConformanceOptions = {}): void {
  const host = o.host ?? standaloneHost([plugin]);
  const seed = o.seed ?? 42;
  const timeout = o.timeoutMs ?? 60_000;
  const sets = optionSets(o.options);
  const tensorsFor = (opts: Record<string, unknown>): WeightSet => {
    if (typeof o.tensors === "function") return o.tensors(opts);
    if (o.tensors) return o.tensors;
    if (o.model) return o.model.weights.filter(defaultSelector);
    return defaultQuantizerTensors();
  };
  const test = testRegistrar(`quantizer conformance (${plugin.id})`, QUANTIZER_TESTS, o.skip, timeout);
  describe(`quantizer conformance: ${plugin.id}`, () => {
    test("descriptor", "descriptor is well-formed, options parse and create() returns the plugin's quantizer", () => {
      assertPluginDescriptor(plugin);
      if (plugin.kind !== "quantizer") throw new Error(`descriptor kind is "${plugin.kind}", not "quantizer".`);
      for (const opts of sets) {
        const inst = plugin.create(plugin.parseOptions(opts), host);
        if (!inst || typeof inst.quantize !== "function") throw new Error(`create(${JSON.stringify(opts)}) returned no quantizer.`);
        if (inst.id !== plugin.id) throw new Error(`the quantizer's id "${inst.id}" differs from the descriptor's "${plugin.id}".`);
      }
      // Every option set offered to auto must parse at every width it is offered at.
      for (const c of [...(plugin.auto?.candidates ?? []), ...(plugin.auto?.optIn ?? [])]) {
        for (const bits of c.bits ?? [2, 4, 8]) plugin.parseOptions({ ...c.options, bits });
      }
    });

    test("invalid-options", "invalid options are rejected with InvalidOptionsError naming a field", async () => {
      // Non-object options are always invalid; each plugin adds its own field errors.
      const cases: unknown[] = [42, "bits=4", [1, 2], ...(o.invalidOptions ?? [])];
      for (const raw of cases) {
        const e = await caught(() => plugin.parseOptions(raw), `parseOptions(${JSON.stringify(raw)})`);
        assertCode(e, ErrorCodes.INVALID_OPTIONS, `parseOptions(${JSON.stringify(raw)})`);
        const err = e as Error & { field?: unknown };
        if (err.name !== "InvalidOptionsError" || typeof err.field !== "string") throw new Error(`parseOptions(${JSON.stringify(raw)}) threw ${err.name}, not InvalidOptionsError.`);
        const isObject = typeof raw === "object" && raw !== null && !Array.isArray(raw);
        if (isObject && (err.field === "" || !err.message.includes(err.field))) {
          throw new Error(`parseOptions(${JSON.stringify(raw)}) must name the offending field; message: ${err.message}`);
        }
        if (!err.message.includes(plugin.id)) throw new Error(`the InvalidOptionsError must name the plugin "${plugin.id}"; message: ${err.message}`);
      }
    });

    for (const opts of sets) {
      describe(optionsLabel(opts), () => {
        test("names-and-shapes", "every tensor comes back once with its name and shape, in input order", async () => {
          const ws = tensorsFor(opts);
          checkNamesAndShapes(await quantize(plugin, host, opts, ws, seed, o.model), ws);
        });

        test("codes-in-range", "every code lies inside its codebook (assertQuantizedModel)", async () => {
          const ws = tensorsFor(opts);
          assertQuantizedModel(await quantize(plugin, host, opts, ws, seed, o.model), ws);
        });

        test("determinism", "the same seed gives bit-identical codes, positions and codebooks; the input is left untouched", async () => {
          const ws = tensorsFor(opts);
          const before = ws.map((t) => t.data.slice());
          const a = await quantize(plugin, host, opts, ws, seed, o.model);
          ws.forEach((t, i) => {
            if (!sameBits(t.data, before[i])) throw new Error(`the quantizer modified its input tensor "${t.name}" (first change at ${firstDiff(t.data, before[i]!)}).`);
          });
          const b = await quantize(plugin, host, opts, ws, seed, o.model);
          if (a.codebooks.length !== b.codebooks.length) throw new Error(`run 1 made ${a.codebooks.length} codebooks, run 2 made ${b.codebooks.length}.`);
          a.codebooks.forEach((cb, i) => {
            if (!sameBits(codebookBytes(cb), codebookBytes(b.codebooks[i]!))) throw new Error(`codebook "${cb.id}" differs between two runs with seed ${seed}.`);
          });
          if (a.tensors.length !== b.tensors.length) throw new Error("the two runs quantized different tensors.");
          a.tensors.forEach((t, i) => {
            const u = b.tensors[i]!;
            if (t.name !== u.name || t.codebook !== u.codebook || JSON.stringify(t.grouping) !== JSON.stringify(u.grouping)) throw new Error(`tensor "${t.name}" differs in name, codebook or grouping between runs.`);
            if (!sameBits(t.codes, u.codes)) throw new Error(`codes of "${t.name}" differ between runs with seed ${seed} (first at ${firstDiff(t.codes, u.codes)}).`);
            if (!sameBits(t.sparse?.positions, u.sparse?.positions)) throw new Error(`sparse positions of "${t.name}" differ between runs.`);
          });
          const pa = a.passthrough ?? [],
            pb = b.passthrough ?? [];
          if (pa.length !== pb.length || pa.some((t, i) => t.name !== pb[i]!.name || !sameBits(t.data, pb[i]!.data))) throw new Error("passthrough tensors differ between runs.");
        });

        test("requantize", "re-quantizing the decoded weights with the stored codebook reproduces the codes", async () => {
          checkRequantize(await quantize(plugin, host, opts, tensorsFor(opts), seed, o.model));
        });

        const modelOnly = o.model ? "the quantizer runs on the given model's weights, not on synthetic tensors" : undefined;
        {
          test(
            "properties",
            "random weight sets: valid codes, finite output, requantize holds (fast-check)",
            async () => {
              const shapes = o.shapes ?? shapeArb({ minDims: 2, maxDims: 4, maxSide: 8, maxSize: 192 });
              const tensor = fc.oneof(laplacianTensorArb({ shape: shapes }), gaussianTensorArb({ shape: shapes, mean: [-1, 1] }), weightTensorArb({ shape: shapes, min: -1e3, max: 1e3 }));
              await fc.assert(
                fc.asyncProperty(weightSetArb({ tensor, maxTensors: 3 }), async (ws) => {
                  const q = await quantize(plugin, host, opts, ws, seed);
                  assertQuantizedModel(q, ws);
                  checkNamesAndShapes(q, ws);
                  checkRequantize(q);
                }),
                { numRuns: o.numRuns ?? 15, seed },
              );
            },
            modelOnly,
          );
        }

        test("non-finite", "NaN, +Inf and −Inf weights make runPipeline reject with QF_NON_FINITE", async () => {
          const ws = tensorsFor(opts);
          for (const v of [NaN, Infinity, -Infinity]) {
            const bad = ws.map((t, i) => (i === 0 ? withValue(t, Math.floor(t.data.length / 2), v) : t));
            const e = await caught(() => runPipeline({ weights: bad, model: o.model, quantizer: { plugin, options: opts }, options: { seed }, host }), `weights with ${v}`);
            assertCode(e, ErrorCodes.NON_FINITE, `weights with ${v}`);
          }
        });

        const edgeRun = async (kinds: readonly EdgeKind[], requant: boolean) => {
          for (const kind of kinds) {
            const t = edgeTensor(kind, { shape: o.edgeShape });
            const r = await runPipeline({ weights: [t], quantizer: { plugin, options: opts }, options: { seed }, host }).catch((e: unknown) => {
              throw new Error(`the ${kind} tensor [${t.shape.join(", ")}] failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
            });
            try {
              checkFinite(r.decoded);
              if (requant) checkRequantize(r.quantized);
            } catch (e) {
              throw new Error(`the ${kind} tensor: ${(e as Error).message}`, { cause: e });
            }
          }
        };

        test("degenerate", "all-zero, constant and single-element tensors decode to finite values", () => edgeRun(["zeros", "constant", "single"], false), modelOnly);
        test("edge", "±3e38, subnormal, outlier and one-signed tensors: valid codes, finite output, requantize holds", () => edgeRun(["large", "subnormal", "outlier", "negative", "positive"], true), modelOnly);
      });
    }
  });
}
