import type { TemplateContext } from "./context.js";

/** `src/<id>-impl.ts`, `src/<id>-evaluator.ts` and their tests for an evaluator. */
export function evaluatorSources(c: TemplateContext): Record<string, string> {
  const n = c.names;
  const Stats = `${n.pascal}Stats`;
  const evaluateFn = `evaluate${n.pascal}`;
  return {
    [`src/${n.implFile}.ts`]: `/**
 * Pure numeric core of the \`${n.id}\` evaluator: mean absolute error between original and decoded
 * weights, absolute and relative to the mean magnitude of the originals. Replace it with your
 * metric; keep it pure (typed arrays in, plain numbers out) and accumulate in float64.
 */

/** Sums the metric is computed from; merge them to pool tensors. */
export interface ${Stats} {
  /** Σ |w − ŵ| */
  sumAbsError: number;
  /** Σ |w| */
  sumAbs: number;
  /** Number of values. */
  count: number;
}

/** Stats of nothing (the pooling identity). */
export function empty${Stats}(): ${Stats} {
  return { sumAbsError: 0, sumAbs: 0, count: 0 };
}

/** Adds the values of one tensor (same length) to \`s\` and returns it. */
export function accumulate${Stats}(s: ${Stats}, original: Float32Array, decoded: Float32Array): ${Stats} {
  let e = 0, a = 0;
  for (let i = 0; i < original.length; i++) {
    const w = original[i]!;
    e += Math.abs(w - decoded[i]!);
    a += Math.abs(w);
  }
  s.sumAbsError += e;
  s.sumAbs += a;
  s.count += original.length;
  return s;
}

/** Adds \`b\` into \`a\` and returns \`a\`. */
export function merge${Stats}(a: ${Stats}, b: ${Stats}): ${Stats} {
  a.sumAbsError += b.sumAbsError;
  a.sumAbs += b.sumAbs;
  a.count += b.count;
  return a;
}

/** Mean absolute error, or null for no values. */
export function meanAbsError(s: ${Stats}): number | null {
  return s.count === 0 ? null : s.sumAbsError / s.count;
}

/** Mean absolute error relative to the mean |w|, or null when the originals are all 0 (or none). */
export function relativeMeanAbsError(s: ${Stats}): number | null {
  return s.count === 0 || s.sumAbs === 0 ? null : s.sumAbsError / s.sumAbs;
}
`,
    [`src/${n.adapterFile}.ts`]: `import { defineEvaluator, ShapeMismatchError, z, type EvaluationSubject, type Evaluator, type EvaluatorPlugin, type Metric, type WeightTensor } from "@quantforge/core";
import { accumulate${Stats}, empty${Stats}, meanAbsError, merge${Stats}, relativeMeanAbsError, type ${Stats} } from "./${n.implFile}.js";
import { VERSION } from "./version.js";

/** zod schema of the ${n.id} options (none yet; unknown fields are rejected). */
export const ${n.schema} = z.strictObject({});
/** Validated ${n.id} options. */
export type ${n.options} = z.output<typeof ${n.schema}>;
/** ${n.id} options as a user writes them. */
export type ${n.optionsInput} = z.input<typeof ${n.schema}>;

function metrics(s: ${Stats}, tensor?: string): Metric[] {
  const where = tensor === undefined ? {} : { tensor };
  const mae = meanAbsError(s);
  const rel = relativeMeanAbsError(s);
  return [
    mae === null ? { name: "meanAbsError", value: null, reason: "no values", ...where } : { name: "meanAbsError", value: mae, ...where },
    rel === null ? { name: "relMeanAbsError", value: null, reason: s.count === 0 ? "no values" : "all original weights are 0", ...where } : { name: "relMeanAbsError", value: rel, ...where },
  ];
}

/**
 * Measures every quantized tensor of \`subject\` (decoded against original) and all of them pooled.
 *
 * @throws {ShapeMismatchError} when a decoded tensor is missing or differs in shape or length.
 */
export function ${evaluateFn}(subject: EvaluationSubject): Metric[] {
  const decoded = new Map<string, WeightTensor>(subject.decoded.map((t) => [t.name, t]));
  const out: Metric[] = [];
  const pooled = empty${Stats}();
  for (const original of subject.original) {
    if (!subject.quantizedNames.has(original.name)) continue;
    const d = decoded.get(original.name);
    if (!d || d.data.length !== original.data.length || d.shape.length !== original.shape.length || d.shape.some((x, i) => x !== original.shape[i])) {
      throw new ShapeMismatchError(\`${n.id}: decoded "\${original.name}" \${d ? \`has shape [\${d.shape.join(", ")}]\` : "is missing"} but the original has [\${original.shape.join(", ")}]. Evaluate the decoded model of the same weight set.\`);
    }
    const s = accumulate${Stats}(empty${Stats}(), original.data, d.data);
    merge${Stats}(pooled, s);
    out.push(...metrics(s, original.name));
  }
  out.push(...metrics(pooled));
  return out;
}

/**
 * The \`${n.id}\` evaluator plugin (scope \`tensor\`): \`meanAbsError\` and \`relMeanAbsError\` per
 * quantized tensor and pooled over all of them; both are 0 for an exact reconstruction.
 *
 * @param defaults - Options applied under the options given at run time (none yet).
 * @returns A side-effect-free evaluator descriptor (nothing is registered).
 * @example
 * \`\`\`ts
 * const r = await pipeline().weights(ws).quantize(rtnQuantizer({ bits: 4 })).evaluate(${n.factory}()).run();
 * \`\`\`
 */
export function ${n.factory}(defaults?: Partial<${n.optionsInput}>): EvaluatorPlugin<${n.options}> {
  return defineEvaluator({
    id: "${n.id}",
    version: VERSION,
    description: ${JSON.stringify(c.description)},
    options: ${n.schema},
    defaults,
    // create(options, host): \`host.registry\` looks other plugins up by id, \`host.coders\` names the
    // run's coders (see @quantforge/core's README, "Plugin authoring: the host"); this one needs neither.
    create: (): Evaluator => ({ id: "${n.id}", scope: "tensor", evaluate: (subject) => ${evaluateFn}(subject) }),
  });
}
`,
    [`src/${n.implFile}.test.ts`]: `import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { float32DataArb } from "@quantforge/core/testing";
import { accumulate${Stats}, empty${Stats}, meanAbsError, merge${Stats}, relativeMeanAbsError } from "./${n.implFile}.js";

const pairArb = fc.integer({ min: 1, max: 100 }).chain((len) => fc.tuple(float32DataArb(len, { min: -1e6, max: 1e6 }), float32DataArb(len, { min: -1e6, max: 1e6 })));

describe("${n.id} stats", () => {
  it("computes a small example", () => {
    const s = accumulate${Stats}(empty${Stats}(), Float32Array.of(1, -2, 0, 1), Float32Array.of(1, -1, 0.5, 1));
    expect(meanAbsError(s)).toBe(0.375);
    expect(relativeMeanAbsError(s)).toBe(0.375);
  });

  it("is null without values, and relative error is null for all-zero originals", () => {
    expect(meanAbsError(empty${Stats}())).toBeNull();
    const z = accumulate${Stats}(empty${Stats}(), new Float32Array(3), Float32Array.of(0, 1, 0));
    expect(meanAbsError(z)).toBeCloseTo(1 / 3, 12);
    expect(relativeMeanAbsError(z)).toBeNull();
  });

  test.prop([pairArb])("is 0 for identical inputs, symmetric, and non-negative", ([a, b]) => {
    expect(meanAbsError(accumulate${Stats}(empty${Stats}(), a, a))).toBe(0);
    const ab = meanAbsError(accumulate${Stats}(empty${Stats}(), a, b))!;
    const ba = meanAbsError(accumulate${Stats}(empty${Stats}(), b, a))!;
    expect(ab).toBeGreaterThanOrEqual(0);
    expect(ab).toBe(ba);
  });

  test.prop([pairArb, pairArb])("pooling two tensors equals accumulating them one after the other", ([a, b], [c, d]) => {
    const pooled = merge${Stats}(accumulate${Stats}(empty${Stats}(), a, b), accumulate${Stats}(empty${Stats}(), c, d));
    const seq = accumulate${Stats}(accumulate${Stats}(empty${Stats}(), a, b), c, d);
    expect(pooled).toEqual(seq);
  });
});
`,
    "src/conformance.test.ts": `import { describeEvaluatorConformance } from "@quantforge/core/testing";
import { ${n.factory} } from "./${n.adapterFile}.js";

// Identical original and decoded weights must give these exact values.
// Every test of the suite runs; a skip needs { test, reason } and a line in the README.
describeEvaluatorConformance(${n.factory}(), { ideal: { meanAbsError: 0, relMeanAbsError: 0 } });
`,
  };
}

/** The names `src/index.ts` exports for an evaluator. */
export function evaluatorExports(c: TemplateContext): { values: Record<string, string[]>; types: Record<string, string[]> } {
  const n = c.names;
  const Stats = `${n.pascal}Stats`;
  return {
    values: { [n.adapterFile]: [n.factory, n.schema, `evaluate${n.pascal}`], [n.implFile]: [`accumulate${Stats}`, `empty${Stats}`, `merge${Stats}`, "meanAbsError", "relativeMeanAbsError"] },
    types: { [n.adapterFile]: [n.options, n.optionsInput], [n.implFile]: [Stats] },
  };
}
