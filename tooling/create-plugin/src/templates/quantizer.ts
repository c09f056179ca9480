import type { TemplateContext } from "./context.js";

/** `src/<id>-impl.ts`, `src/<id>-quantizer.ts` and their tests for a quantizer. */
export function quantizerSources(c: TemplateContext): Record<string, string> {
  const n = c.names;
  const Result = `${n.pascal}Result`;
  const quantize = `${n.camel}Quantize`;
  const tensorFn = `${n.camel}QuantizeTensor`;
  return {
    [`src/${n.implFile}.ts`]: `/**
 * Pure numeric core of the \`${n.id}\` quantizer: symmetric round-to-nearest on a uniform grid
 * scaled by max |x| (the "absmax" scheme). Replace it with your method, and keep it pure: typed
 * arrays in and out, no per-element allocation, no plugin plumbing — so properties are easy to test.
 */

/** What {@link ${quantize}} returns. */
export interface ${Result} {
  /** Grid step s (float32); 0 when every value is 0 or max |x| underflows. */
  readonly scale: number;
  /** Code of the value 0: Q = 2^(bits−1) − 1. */
  readonly zeroPoint: number;
  /** Number of codes: 2Q + 1 = 2^bits − 1. */
  readonly levels: number;
  /** One code per value, in 0 … levels − 1; value = (code − zeroPoint)·scale. */
  readonly codes: Uint32Array;
}

/** Largest |x| (0 for an empty array). */
export function absMax(data: Float32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** The largest float32 below a positive float32 \`x\`. */
export function previousFloat32(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = u[0]! - 1;
  return f[0]!;
}

/**
 * Quantizes \`data\` to the 2^bits − 1 levels (q − Q)·s with Q = 2^(bits−1) − 1 and
 * s = fround(max|x| / Q): q = clamp(round(x / s), −Q, Q) + Q. Every value is within s/2 of its level.
 */
export function ${quantize}(data: Float32Array, bits: number): ${Result} {
  const Q = 2 ** (bits - 1) - 1;
  let scale = Math.fround(absMax(data) / Q);
  // Near the float32 maximum, Q·s can round past it: one ulp down keeps every level finite.
  if (!Number.isFinite(Math.fround(Q * scale))) scale = previousFloat32(scale);
  const codes = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    let q = scale === 0 ? 0 : Math.round(data[i]! / scale);
    if (q < -Q) q = -Q;
    else if (q > Q) q = Q;
    codes[i] = q + Q;
  }
  return { scale, zeroPoint: Q, levels: 2 * Q + 1, codes };
}
`,
    [`src/${n.adapterFile}.ts`]: `import { assertFinite, defineQuantizer, perTensorQuantizer, z, type QuantizerPlugin, type TensorQuantization, type WeightTensor } from "@quantforge/core";
import { ${quantize} } from "./${n.implFile}.js";
import { VERSION } from "./version.js";

/** zod schema of the ${n.id} options (defaults applied by it; unknown fields are rejected). */
export const ${n.schema} = z.strictObject({
  /** Bits per code, 2–16: 2^bits − 1 levels. @default 8 */
  bits: z.number().int().min(2).max(16).default(8),
});

/** Validated ${n.id} options. */
export type ${n.options} = z.output<typeof ${n.schema}>;
/** ${n.id} options as a user writes them (every field optional). */
export type ${n.optionsInput} = z.input<typeof ${n.schema}>;

/**
 * Quantizes one tensor with validated options: one \`affine\` codebook (one scale and zero point)
 * per tensor.
 *
 * @throws {NonFiniteError} when the tensor holds NaN or ±Infinity.
 */
export function ${tensorFn}(t: WeightTensor, o: ${n.options}): TensorQuantization {
  assertFinite(t);
  const r = ${quantize}(t.data, o.bits);
  return {
    codebook: { kind: "affine", levels: r.levels, scale: Float32Array.of(r.scale), zeroPoint: Float32Array.of(r.zeroPoint) },
    codes: r.codes,
    grouping: { kind: "tensor" },
  };
}

/**
 * The \`${n.id}\` quantizer plugin.
 *
 * @param defaults - Options applied under the options given at run time.
 * @returns A side-effect-free quantizer descriptor (nothing is registered).
 * @example
 * \`\`\`ts
 * const r = await pipeline().weights(ws).quantize(${n.factory}({ bits: 4 })).run();
 * \`\`\`
 */
export function ${n.factory}(defaults?: Partial<${n.optionsInput}>): QuantizerPlugin<${n.options}> {
  return defineQuantizer({
    id: "${n.id}",
    version: VERSION,
    description: ${JSON.stringify(c.description)},
    options: ${n.schema},
    defaults,
    // create(options, host): \`host.registry\` looks other plugins up by id, \`host.coders\` names the
    // run's coders (see @quantforge/core's README, "Plugin authoring: the host"); this one needs neither.
    create: (o) => perTensorQuantizer("${n.id}", (t) => ${tensorFn}(t, o)),
    // Offers this quantizer to \`auto\` as a candidate at these widths (core's AutoEligibility: also
    // \`optIn\`, \`order\`, \`costly\`). Delete it to keep the quantizer out of auto's default candidates.
    auto: { candidates: [{ options: {}, bits: [2, 3, 4, 6, 8] }] },
  });
}
`,
    [`src/${n.implFile}.test.ts`]: `import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { float32DataArb } from "@quantforge/core/testing";
import { absMax, ${quantize} } from "./${n.implFile}.js";

// Finite float32 values up to ±3.4e38 and every supported bit width. Values below 1e-30 become 0:
// a scale that underflows into the subnormals loses precision (the conformance suite's "edge"
// test covers subnormal tensors through the stored codebook instead).
const dataArb = fc.integer({ min: 1, max: 300 }).chain((len) => float32DataArb(len)).map((d) => d.map((v) => (Math.abs(v) < 1e-30 ? 0 : v)));
const bitsArb = fc.integer({ min: 2, max: 16 });

describe("${quantize}", () => {
  it("quantizes a small example exactly", () => {
    const r = ${quantize}(Float32Array.of(-1, -0.6, 0, 0.26, 1), 2);
    expect(r).toMatchObject({ scale: 1, zeroPoint: 1, levels: 3 });
    expect(Array.from(r.codes)).toEqual([0, 0, 1, 1, 2]);
  });

  it("maps an all-zero tensor to the zero code with scale 0", () => {
    const r = ${quantize}(new Float32Array(5), 8);
    expect(r.scale).toBe(0);
    expect(Array.from(r.codes)).toEqual([127, 127, 127, 127, 127]);
  });

  test.prop([dataArb, bitsArb])("codes are in range and every value is within s/2 of its level", (data, bits) => {
    const r = ${quantize}(data, bits);
    const m = absMax(data);
    for (let i = 0; i < data.length; i++) {
      expect(r.codes[i]).toBeLessThan(r.levels);
      const v = Math.fround((r.codes[i]! - r.zeroPoint) * r.scale);
      // s is float32-rounded, so allow one float32 ulp of max |x| on top of s/2.
      expect(Math.abs(data[i]! - v)).toBeLessThanOrEqual(r.scale / 2 + m * 2 ** -23 + Number.MIN_VALUE);
    }
  });

  test.prop([dataArb, bitsArb])("is idempotent: quantizing the reconstruction gives the same codes", (data, bits) => {
    const r = ${quantize}(data, bits);
    const rec = Float32Array.from(r.codes, (q) => Math.fround((q - r.zeroPoint) * r.scale));
    expect(${quantize}(rec, bits).codes).toEqual(r.codes);
  });
});
`,
    "src/conformance.test.ts": `import { describeQuantizerConformance } from "@quantforge/core/testing";
import { ${n.factory} } from "./${n.adapterFile}.js";

// Every test of the suite runs; a skip needs { test, reason } and a line in the README.
describeQuantizerConformance(${n.factory}(), {
  options: [{}, { bits: 2 }, { bits: 4 }, { bits: 16 }],
  invalidOptions: [{ bits: 1 }, { bits: 17 }, { bits: 2.5 }, { bits: "8" }, { unknownOption: true }],
});
`,
  };
}

/** The names `src/index.ts` exports for a quantizer (values, then types). */
export function quantizerExports(c: TemplateContext): { values: Record<string, string[]>; types: Record<string, string[]> } {
  const n = c.names;
  return {
    values: { [n.adapterFile]: [n.factory, n.schema, `${n.camel}QuantizeTensor`], [n.implFile]: [`${n.camel}Quantize`, "absMax", "previousFloat32"] },
    types: { [n.adapterFile]: [n.options, n.optionsInput], [n.implFile]: [`${n.pascal}Result`] },
  };
}
