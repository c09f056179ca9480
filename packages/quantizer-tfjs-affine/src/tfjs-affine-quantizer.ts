import { defineQuantizer, perTensorQuantizer, z, type QuantizerPlugin, type RunContext, type TensorQuantization, type WeightTensor } from "@quantforge/core";
import { tfjsAffineQuantize, tfjsFloat16Quantize } from "./tfjs-affine-impl.js";
import { VERSION } from "./version.js";

/** The storage types tfjs-converter's `--quantize_*` flags offer. */
export type TfjsQuantizationDtype = "uint8" | "uint16" | "float16";

/** zod schema of the tfjs-affine options. */
export const tfjsAffineOptionsSchema = z
  .strictObject({
    /** `uint8`/`uint16` affine (min/scale, zero nudged onto a level) or `float16`. @default "uint8" (or from `bits`) */
    dtype: z.enum(["uint8", "uint16", "float16"]).optional(),
    /** Shorthand for the bit width the runner's `--bits` passes: 8 → uint8, 16 → uint16. */
    // zod's own message for a failed union is "invalid input": say which widths exist and where lower ones are.
    bits: z.union([z.literal(8), z.literal(16)], { error: "must be 8 (uint8) or 16 (uint16, float16): tfjs-converter stores no other widths; for fewer bits use rtn, uniform-mse or hqq" }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.bits === undefined || o.dtype === undefined) return;
    const width = o.dtype === "uint8" ? 8 : 16;
    if (o.bits !== width) ctx.addIssue({ code: "custom", path: ["bits"], message: `must be ${width} with dtype ${o.dtype} (tfjs-converter stores uint8 in 8 bits, uint16 and float16 in 16)` });
  })
  .transform((o): { dtype: TfjsQuantizationDtype } => ({ dtype: o.dtype ?? (o.bits === 16 ? "uint16" : "uint8") }));

/** Validated tfjs-affine options. */
export type TfjsAffineOptions = z.output<typeof tfjsAffineOptionsSchema>;
/** tfjs-affine options as a user writes them. */
export type TfjsAffineOptionsInput = z.input<typeof tfjsAffineOptionsSchema>;

/**
 * Quantizes one tensor the way tfjs-converter does (validated options).
 *
 * - `uint8`/`uint16`: an `affine` codebook (float32 scale, integer zero point when the range
 *   covers 0) with the converter's codes; see `tfjsAffineQuantize`.
 * - `float16`: a `levels` codebook of the half values used (ascending), codes indexing it.
 */
export function tfjsAffineQuantizeTensor(t: WeightTensor, o: TfjsAffineOptions, ctx?: RunContext): TensorQuantization {
  if (o.dtype === "float16") {
    const r = tfjsFloat16Quantize(t.data);
    if (ctx && r.overflow > 0) {
      ctx.diagnostics.report({
        severity: "warning",
        source: "tfjs-affine",
        ruleId: "float16-overflow",
        tensor: t.name,
        message: `${r.overflow} value(s) of "${t.name}" exceed float16's ±65504; they are stored as ±65504 (tfjs-converter would store ±Infinity). Use uint16 or keep the tensor in float32.`,
      });
    }
    return { codebook: { kind: "levels", levels: r.levels }, codes: r.codes, grouping: { kind: "tensor" } };
  }
  const r = tfjsAffineQuantize(t.data, o.dtype === "uint8" ? 255 : 65535);
  if (ctx && r.underflow) {
    ctx.diagnostics.report({
      severity: "warning",
      source: "tfjs-affine",
      ruleId: "scale-underflow",
      tensor: t.name,
      message: `the range of "${t.name}" is below float32 resolution (step underflows to 0); it decodes to 0. Keep the tensor in float32.`,
    });
  }
  return {
    codebook: { kind: "affine", levels: r.levels, scale: Float32Array.of(r.scale), zeroPoint: Float32Array.of(r.zeroPoint) },
    codes: r.codes,
    grouping: { kind: "tensor" },
  };
}

/**
 * The `tfjs-affine` quantizer plugin: tfjs-converter's own weight quantization
 * (`--quantize_uint8`, `--quantize_uint16`, `--quantize_float16`), per tensor, including its
 * zero-point nudging and clipping — the baseline of what tfjs users ship today.
 *
 * @param defaults - Options applied under the options given at run time.
 * @returns A side-effect-free quantizer descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(tfjsAffineQuantizer({ dtype: "uint8" })).run();
 * ```
 */
export function tfjsAffineQuantizer(defaults?: Partial<TfjsAffineOptionsInput>): QuantizerPlugin<TfjsAffineOptions> {
  return defineQuantizer({
    id: "tfjs-affine",
    version: VERSION,
    description: "tfjs-converter's weight quantization: uint8/uint16 affine with nudged zero (or float16), per tensor.",
    options: tfjsAffineOptionsSchema,
    defaults,
    create: (o) => perTensorQuantizer("tfjs-affine", (t, ctx) => tfjsAffineQuantizeTensor(t, o, ctx)),
  });
}
