import { defineEvaluator, shapeSize, ShapeMismatchError, valueCount, z, type EvaluationSubject, type Evaluator, type EvaluatorPlugin, type Metric } from "@quantforge/core";
import { codeEntropies } from "./size-impl.js";
import { VERSION } from "./version.js";

/** zod schema of the size options (none yet; unknown fields are rejected). */
export const sizeOptionsSchema = z.strictObject({});

/** Validated size options. */
export type SizeOptions = z.output<typeof sizeOptionsSchema>;
/** size options as a user writes them. */
export type SizeOptionsInput = z.input<typeof sizeOptionsSchema>;

const NO_CODER = "no coder ran";
const BPW = "bits/weight";

function checkSubject(s: EvaluationSubject): void {
  const decoded = new Map(s.decoded.map((t) => [t.name, t]));
  for (const o of s.original) {
    const d = decoded.get(o.name);
    // valueCount: the length without decoding a tensor the pipeline decodes only when read.
    if (!d || valueCount(d) !== o.data.length || d.shape.length !== o.shape.length || d.shape.some((x, i) => x !== o.shape[i])) {
      throw new ShapeMismatchError(`size: decoded "${o.name}" is missing or has another shape than the original [${o.shape.join(", ")}]. Evaluate the decoded model of the same weight set.`);
    }
  }
}

/**
 * Size metrics of `subject` from the real coded container (`subject.encoded`) and the codes:
 *
 * - per quantized tensor: `bytes` (its stream plus its share of the codebooks it uses),
 *   `bitsPerWeight` = 8·bytes / elements, `entropyBits` (zeroth-order entropy of its codes in
 *   bits per weight; pruned positions of a sparse tensor count as one extra symbol);
 * - overall: `bytes` (= the container's total, headers and passthrough tensors included),
 *   `bitsPerWeight` = 8·totalBytes / all parameters (quantized + passthrough),
 *   `compressionRatio` = 32·parameters / (8·totalBytes) (against float32), `entropyBits` (pooled
 *   over all quantized codes, per quantized weight), `codebookBytes`, `headerBytes`,
 *   `passthroughBytes`.
 *
 * Without `encoded` (no coder ran) the byte metrics are null with reason "no coder ran"; the
 * entropies do not need a coder and are still reported.
 *
 * @throws {ShapeMismatchError} when the subject is inconsistent (decoded vs original shapes, or
 * coded sizes that do not match the quantized tensors).
 */
export function evaluateSize(subject: EvaluationSubject): Metric[] {
  checkSubject(subject);
  const enc = subject.encoded;
  const sizes = new Map((enc?.tensors ?? []).map((t) => [t.name, t]));
  const quantized = subject.quantized.tensors.filter((t) => subject.quantizedNames.has(t.name));
  const metrics: Metric[] = [];
  let quantizedCount = 0;
  const entropies = codeEntropies(quantized, subject.ahead?.histograms);
  for (const [i, t] of quantized.entries()) {
    const count = shapeSize(t.shape);
    quantizedCount += count;
    const tensor = t.name;
    const h = entropies.each[i] ?? null;
    const entropy: Metric = h === null ? { name: "entropyBits", value: null, reason: "empty tensor", unit: BPW, tensor } : { name: "entropyBits", value: h, unit: BPW, tensor };
    if (!enc) {
      metrics.push({ name: "bytes", value: null, reason: NO_CODER, unit: "bytes", tensor }, { name: "bitsPerWeight", value: null, reason: NO_CODER, unit: BPW, tensor }, entropy);
      continue;
    }
    const s = sizes.get(t.name);
    if (!s || s.count !== count) {
      throw new ShapeMismatchError(`size: the coded sizes ${s ? `count ${s.count} elements` : "lack"} for quantized tensor "${t.name}" of ${count} elements. Pass the EncodedSize of this very model.`);
    }
    metrics.push(
      { name: "bytes", value: s.bytes, unit: "bytes", tensor },
      count === 0 ? { name: "bitsPerWeight", value: null, reason: "empty tensor", unit: BPW, tensor } : { name: "bitsPerWeight", value: (8 * s.bytes) / count, unit: BPW, tensor },
      entropy,
    );
  }
  let all = 0;
  for (const t of subject.original) all += t.data.length;
  const h = entropies.pooled;
  const entropy: Metric = h === null ? { name: "entropyBits", value: null, reason: quantizedCount === 0 ? "no quantized weights" : "empty tensor", unit: BPW } : { name: "entropyBits", value: h, unit: BPW };
  if (!enc) {
    for (const [name, unit] of [
      ["bytes", "bytes"],
      ["bitsPerWeight", BPW],
      ["compressionRatio", "x"],
    ] as const)
      metrics.push({ name, value: null, reason: NO_CODER, unit });
    metrics.push(entropy);
    for (const name of ["codebookBytes", "headerBytes", "passthroughBytes"]) metrics.push({ name, value: null, reason: NO_CODER, unit: "bytes" });
    return metrics;
  }
  const total = enc.totalBytes;
  metrics.push(
    { name: "bytes", value: total, unit: "bytes" },
    all === 0 ? { name: "bitsPerWeight", value: null, reason: "no weights", unit: BPW } : { name: "bitsPerWeight", value: (8 * total) / all, unit: BPW },
    total === 0 ? { name: "compressionRatio", value: null, reason: "empty container", unit: "x" } : { name: "compressionRatio", value: (32 * all) / (8 * total), unit: "x" },
    entropy,
    { name: "codebookBytes", value: enc.codebookBytes, unit: "bytes" },
    { name: "headerBytes", value: enc.headerBytes, unit: "bytes" },
    { name: "passthroughBytes", value: enc.passthroughBytes, unit: "bytes" },
  );
  return metrics;
}

/**
 * The `size` evaluator plugin (scope `size`): exact sizes from the bytes the coder actually
 * produced — bytes and bits per weight per tensor and overall (codebooks, headers and float32
 * passthrough tensors included), the compression ratio against float32, and the zeroth-order
 * entropy of the codes (the bound for a memoryless symbol coder).
 *
 * @param defaults - Options applied under the run-time options (none yet).
 * @returns A side-effect-free evaluator descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(rtnQuantizer()).code(fixedCoder()).evaluate(sizeEvaluator()).run();
 * ```
 */
export function sizeEvaluator(defaults?: Partial<SizeOptionsInput>): EvaluatorPlugin<SizeOptions> {
  return defineEvaluator({
    id: "size",
    version: VERSION,
    description: "Exact coded size: bytes, bits per weight (all overhead included), compression ratio vs float32, zeroth-order entropy of the codes.",
    options: sizeOptionsSchema,
    defaults,
    create: (): Evaluator => ({ id: "size", scope: "size", evaluate: (subject) => evaluateSize(subject) }),
  });
}
