import { ErrorCodes, QuantforgeError, Rng, ShapeMismatchError } from "@quantforge/core";
import type { ModelInputLayout, ModelInputSlot } from "./model-inputs.js";

/** A closed-open value range `[lo, hi)` of generated inputs. */
export type InputRange = readonly [lo: number, hi: number];

/**
 * Default range of generated float inputs, every float input alike: `[0, 1)`. Images (4-D inputs
 * with 1, 3 or 4 channels, NHWC or NCHW) are pixels in [0, 1]; other float inputs (audio features,
 * embeddings) get the same range so that every command (`quantize`, `compare`, `sensitivity`,
 * `run --model`, `auto`'s calibration) measures the same model on the same inputs.
 */
export const DEFAULT_FLOAT_RANGE: InputRange = [0, 1];
/** Default range of generated int32/int64 inputs without declared values: integers 0…9. */
export const DEFAULT_INT_RANGE: InputRange = [0, 10];
/** Default range of generated bool inputs: 0 or 1, each with probability 1/2. */
export const DEFAULT_BOOL_RANGE: InputRange = [0, 2];
/**
 * At most this many values are generated per call (64 Mi values = 256 MiB of float32): a model
 * file declaring a huge input must not make quantforge allocate gigabytes before it is validated.
 */
export const MAX_GENERATED_VALUES = 1 << 26;

/** User ranges: one for every input (`--input-range lo,hi`) and/or per input (`name=lo,hi`). */
export interface InputRanges {
  readonly all?: InputRange;
  readonly byName?: ReadonlyMap<string, InputRange>;
}

/**
 * Parses `--input-range` values: `lo,hi` (every input) or `name=lo,hi` (one input).
 *
 * @throws {QuantforgeError} (code `QF_USAGE`) for a malformed value, lo ≥ hi, or a name given twice.
 */
export function parseInputRanges(values: readonly string[]): InputRanges {
  let all: InputRange | undefined;
  const byName = new Map<string, InputRange>();
  for (const v of values) {
    const eq = v.lastIndexOf("=");
    const name = eq >= 0 ? v.slice(0, eq) : undefined;
    const parts = v.slice(eq + 1).split(",");
    const [lo, hi] = parts.map((p) => (p.trim() === "" ? NaN : Number(p)));
    if (parts.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || lo! >= hi!) {
      throw new QuantforgeError(ErrorCodes.USAGE, `--input-range "${v}" must be lo,hi or name=lo,hi with finite lo < hi, e.g. --input-range 0,255.`);
    }
    if (name === undefined) {
      if (all) throw new QuantforgeError(ErrorCodes.USAGE, `--input-range lo,hi is given twice. Give it once, or name each input (name=lo,hi).`);
      all = [lo!, hi!];
    } else {
      if (name === "" || byName.has(name)) throw new QuantforgeError(ErrorCodes.USAGE, `--input-range "${v}": name each input once (name=lo,hi).`);
      byName.set(name, [lo!, hi!]);
    }
  }
  return { ...(all ? { all } : {}), ...(byName.size > 0 ? { byName } : {}) };
}

/**
 * Checks every name of `ranges.byName` against the layout's inputs (`x:0` may be written `x`).
 *
 * @throws {ShapeMismatchError} naming the unknown input and listing the valid names.
 */
export function checkRangeNames(layout: ModelInputLayout, ranges: InputRanges | undefined): void {
  const known = new Set(layout.inputs.flatMap((s) => [s.name, s.name.replace(/:0$/, "")]));
  for (const k of ranges?.byName?.keys() ?? []) {
    if (!known.has(k)) throw new ShapeMismatchError(`the model has no input "${k}" (inputs: ${layout.inputs.map((s) => s.name).join(", ")}). Name an input in --input-range.`);
  }
}

/** Whether a slot looks like an image: 3 sample dims with 1, 3 or 4 channels first or last. */
export function isImageSlot(s: ModelInputSlot): boolean {
  const d = s.sampleShape;
  const ch = (c: number | undefined) => c === 1 || c === 3 || c === 4;
  return s.dtype === "float32" && d.length === 3 && (ch(d[2]) || ch(d[0]));
}

/** The range a slot's generated values come from, and a human description. */
export function slotRange(s: ModelInputSlot, ranges?: InputRanges): { range: InputRange; values?: readonly number[]; what: string } {
  const own = ranges?.byName?.get(s.name) ?? ranges?.byName?.get(s.name.replace(/:0$/, ""));
  const given = own ?? ranges?.all;
  if (s.dtype === "bool") {
    if (given) return { range: given, what: `true where an integer drawn from [${given[0]}, ${given[1]}) is nonzero` };
    return { range: DEFAULT_BOOL_RANGE, what: "booleans, seeded 0/1" };
  }
  if (s.dtype !== "float32") {
    if (given) return { range: given, what: `integers in [${given[0]}, ${given[1]})` };
    if (s.values && s.values.length > 0) return { range: DEFAULT_INT_RANGE, values: s.values.slice(0, 1), what: `${s.values[0]}, the first value the model tests it for (${s.values.join(", ")})` };
    return { range: DEFAULT_INT_RANGE, what: "integers 0…9" };
  }
  const r = given ?? DEFAULT_FLOAT_RANGE;
  return { range: r, what: `${isImageSlot(s) ? "image pixels" : "floats"} uniform in [${r[0]}, ${r[1]})` };
}

/**
 * Seeded model inputs: `count` flat samples in the layout's order (each sample holds the inputs
 * one after the other; see {@link ModelInputLayout}). Floats are uniform in the input's range
 * ({@link DEFAULT_FLOAT_RANGE} unless `ranges` say otherwise); int32/int64 inputs get the first
 * (lowest) value the model declares it tests for when known (a sample rate of 8000 or 16000,
 * never a random one that sends the graph down an error branch), else integers uniform in their
 * range ({@link DEFAULT_INT_RANGE}); bool inputs are seeded 0/1 ({@link DEFAULT_BOOL_RANGE}). Deterministic in `seed`; the same layout, count,
 * seed and ranges give the same values in every command.
 *
 * @throws {ShapeMismatchError} when more than {@link MAX_GENERATED_VALUES} values would be made
 *   (the message names the largest input and the cap).
 */
export function generateSamples(layout: ModelInputLayout, count: number, seed: number, ranges?: InputRanges): Float32Array {
  const total = count * layout.sampleSize;
  if (!Number.isSafeInteger(total) || total > MAX_GENERATED_VALUES) {
    const big = layout.inputs.reduce((a, s) => (s.size > a.size ? s : a), layout.inputs[0]!);
    throw new ShapeMismatchError(
      `model input "${big.name}" of sample shape [${big.sampleShape.join(", ")}] needs ${count} × ${layout.sampleSize} generated values, more than the cap of ${MAX_GENERATED_VALUES}. Pass fewer --samples, a smaller --input-shape, or --data.`,
    );
  }
  const rng = new Rng(seed).fork("model-inputs");
  const out = new Float32Array(total);
  const plans = layout.inputs.map((s) => slotRange(s, ranges));
  for (let k = 0; k < count; k++) {
    let base = k * layout.sampleSize;
    layout.inputs.forEach((s, j) => {
      const {
        range: [lo, hi],
        values,
      } = plans[j]!;
      for (let i = 0; i < s.size; i++) {
        let v: number;
        if (values) v = values[Math.min(values.length - 1, Math.floor(rng.float() * values.length))]!;
        else if (s.dtype === "float32") v = lo + (hi - lo) * rng.float();
        else v = Math.floor(lo + (hi - lo) * rng.float());
        out[base + i] = v;
      }
      base += s.size;
    });
  }
  return out;
}

/** A one-line description of where generated inputs come from, for reports. */
export function describeGenerated(layout: ModelInputLayout, count: number, seed: number, ranges?: InputRanges): string {
  const parts = layout.inputs.map((s) => `${s.name}: ${slotRange(s, ranges).what}`);
  return `seeded random: ${count} samples (seed ${seed}); ${parts.join("; ")}`;
}
