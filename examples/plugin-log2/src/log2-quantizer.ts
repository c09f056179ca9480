import { assertFinite, defineQuantizer, perTensorQuantizer, z, type QuantizerPlugin, type RunContext, type TensorQuantization, type WeightTensor } from "@quantforge/core";
import { log2Quantize } from "./log2-impl.js";
import { VERSION } from "./version.js";

/** zod schema of the log2 options (defaults applied by it). */
export const log2OptionsSchema = z.strictObject({
  /** Bits per code, 2–8: 2^b − 1 levels (0 and 2^(b−1) − 1 magnitudes per sign). @default 4 */
  bits: z.number().int().min(2).max(8).default(4),
  /** Log base: `2` (levels are powers of two apart) or `"sqrt2"` (twice as fine, half the range). @default 2 */
  base: z.union([z.literal(2), z.literal("sqrt2")]).default(2),
  /** Top level: `pow2` = the power of the base that max |x| rounds to (shift-only hardware), `absmax` = max |x| itself. @default "pow2" */
  scale: z.enum(["pow2", "absmax"]).default("pow2"),
  /** `nearest` level (least squared error) or rounding in the `log` domain (the paper's Round(log₂|x|)). @default "nearest" */
  rounding: z.enum(["nearest", "log"]).default("nearest"),
});

/** Validated log2 options. */
export type Log2Options = z.output<typeof log2OptionsSchema>;
/** log2 options as a user writes them (every field optional). */
export type Log2OptionsInput = z.input<typeof log2OptionsSchema>;

/**
 * Quantizes one tensor: a `levels` codebook of 2^b − 1 signed powers of the base below the top
 * level, plus 0; one codebook per tensor (a `levels` codebook carries no per-group scale).
 *
 * @throws {NonFiniteError} when the tensor holds NaN or ±Infinity.
 */
export function log2QuantizeTensor(t: WeightTensor, o: Log2Options, ctx?: RunContext): TensorQuantization {
  assertFinite(t);
  const r = log2Quantize(t.data, o);
  if (ctx && r.underflow > 0) {
    const smallest = r.levels[(r.levels.length >> 1) + 1]!;
    ctx.diagnostics.report({
      severity: "info",
      source: "log2",
      ruleId: "underflow",
      tensor: t.name,
      message: `${r.underflow} of ${t.data.length} non-zero weights of "${t.name}" are below the smallest ${o.bits}-bit level (${smallest.toPrecision(3)}) and become 0. Use more bits or base 2 for more range.`,
    });
  }
  return { codebook: { kind: "levels", levels: r.levels }, codes: r.codes, grouping: { kind: "tensor" } };
}

/**
 * The `log2` quantizer plugin: logarithmic (power-of-two) levels, after Miyashita et al. 2016.
 * Built only on `@quantforge/core`'s public API; loadable by `quantforge --plugin quantforge-plugin-log2`.
 *
 * @param defaults - Options applied under the options given at run time.
 * @returns A side-effect-free quantizer descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(log2Quantizer({ bits: 4 })).run();
 * ```
 */
export function log2Quantizer(defaults?: Partial<Log2OptionsInput>): QuantizerPlugin<Log2Options> {
  return defineQuantizer({
    id: "log2",
    version: VERSION,
    description: "Logarithmic (power-of-two) levels ±top·B^-j and 0, per tensor (Miyashita et al. 2016); base 2 or √2.",
    options: log2OptionsSchema,
    defaults,
    create: (o) => perTensorQuantizer("log2", (t, ctx) => log2QuantizeTensor(t, o, ctx)),
  });
}
