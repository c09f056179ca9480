import { codebookGroupParams, codebookSize, type Codebook } from "./codebook.js";
import { InvalidQuantizedError } from "./errors.js";
import { groupCount } from "./grouping.js";
import type { CodeArray, QuantizedModel, QuantizedTensor } from "./quantized.js";
import { isCodeArray } from "./code-array.js";
import { shapeSize, type WeightSet } from "./tensor.js";

/** Codebooks of a model indexed by id; throws on duplicate ids. */
export function codebookMap(qm: QuantizedModel): Map<string, Codebook> {
  const m = new Map<string, Codebook>();
  for (const cb of qm.codebooks) {
    if (m.has(cb.id)) throw new InvalidQuantizedError(`two codebooks share the id "${cb.id}". Codebook ids must be unique.`);
    m.set(cb.id, cb);
  }
  return m;
}

/**
 * The largest code (0 for none): what every validation of a codes array reads. The array is the
 * only argument, so the loop stays one monomorphic, branch-free pass whatever the shape of the
 * tensor object holding it (reading `t.codes[i]` through a tensor of varying hidden class cost
 * ~3× more in whole runs); four independent maxima keep four compares in flight.
 */
export function largestCode(c: CodeArray): number {
  let m0 = 0,
    m1 = 0,
    m2 = 0,
    m3 = 0,
    i = 0;
  const n = c.length;
  for (; i + 3 < n; i += 4) {
    const a = c[i]!,
      b = c[i + 1]!,
      d = c[i + 2]!,
      e = c[i + 3]!;
    m0 = a > m0 ? a : m0;
    m1 = b > m1 ? b : m1;
    m2 = d > m2 ? d : m2;
    m3 = e > m3 ? e : m3;
  }
  for (; i < n; i++) {
    const v = c[i]!;
    m0 = v > m0 ? v : m0;
  }
  return Math.max(m0, m1, m2, m3);
}

/** Checks one quantized tensor against its codebook: lengths, code range, positions, params. */
export function assertQuantizedTensor(t: QuantizedTensor, cb: Codebook | undefined): asserts cb is Codebook {
  checkQuantizedTensor(t, cb);
}

/**
 * The largest code of each codes array a check has read, so the pipeline's second check of the
 * same arrays (after its coder round trip hands them back) costs no pass over the codes.
 * Internal to core: only valid while nobody writes to the arrays (the pipeline owns them).
 */
export type KnownMaxCodes = Map<CodeArray, number>;

/** {@link assertQuantizedTensor}, reading and recording the largest code in `maxes` when given. */
export function checkQuantizedTensor(t: QuantizedTensor, cb: Codebook | undefined, maxes?: KnownMaxCodes): asserts cb is Codebook {
  if (!cb) throw new InvalidQuantizedError(`tensor "${t.name}" refers to a missing codebook "${t.codebook}". The quantizer must emit every codebook it references.`);
  if (!isCodeArray(t.codes)) throw new InvalidQuantizedError(`tensor "${t.name}" has codes that are not a Uint8Array, Uint16Array or Uint32Array. The quantizer must return its codes in one (core's codeArray).`);
  const n = shapeSize(t.shape);
  const expected = t.sparse ? t.sparse.positions.length : n;
  if (t.codes.length !== expected) throw new InvalidQuantizedError(`tensor "${t.name}" has ${t.codes.length} codes but needs ${expected}.`);
  const size = codebookSize(cb);
  let top = maxes?.get(t.codes);
  if (top === undefined) {
    top = largestCode(t.codes);
    maxes?.set(t.codes, top);
  }
  if (top >= size) {
    const i = t.codes.findIndex((c) => c >= size);
    throw new InvalidQuantizedError(`tensor "${t.name}" has code ${t.codes[i]} at ${i}, outside its codebook's ${size} codes.`);
  }
  const params = codebookGroupParams(cb);
  const groups = groupCount(t.shape, t.grouping);
  if (params !== 1 && params !== groups) throw new InvalidQuantizedError(`tensor "${t.name}" has ${groups} groups but codebook "${cb.id}" carries ${params} parameter sets.`);
  if (t.sparse) {
    const p = t.sparse.positions;
    for (let i = 0; i < p.length; i++) {
      if (p[i]! >= n || (i > 0 && p[i]! <= p[i - 1]!)) throw new InvalidQuantizedError(`tensor "${t.name}" has sparse positions that are not strictly increasing inside 0…${n - 1}.`);
    }
  }
}

/**
 * Checks a quantizer's output against its input: one quantized or passthrough tensor per input
 * tensor, same names and shapes, every code inside its codebook.
 */
export function assertQuantizedModel(qm: QuantizedModel, input: WeightSet): void {
  checkQuantizedModel(qm, input);
}

/** {@link assertQuantizedModel}, recording each codes array's largest code in `maxes` when given. */
export function checkQuantizedModel(qm: QuantizedModel, input: WeightSet, maxes?: KnownMaxCodes): void {
  const cbs = codebookMap(qm);
  const byName = new Map(input.map((t) => [t.name, t]));
  const seen = new Set<string>();
  const check = (name: string, shape: readonly number[]) => {
    const src = byName.get(name);
    if (!src) throw new InvalidQuantizedError(`the quantizer returned a tensor "${name}" that was not in its input.`);
    if (seen.has(name)) throw new InvalidQuantizedError(`the quantizer returned "${name}" twice.`);
    seen.add(name);
    if (src.shape.length !== shape.length || src.shape.some((d, i) => d !== shape[i])) {
      throw new InvalidQuantizedError(`the quantizer changed the shape of "${name}" from [${src.shape.join(", ")}] to [${shape.join(", ")}].`);
    }
  };
  for (const t of qm.tensors) {
    check(t.name, t.shape);
    checkQuantizedTensor(t, cbs.get(t.codebook), maxes);
  }
  for (const t of qm.passthrough ?? []) {
    check(t.name, t.shape);
    if (t.data.length !== shapeSize(t.shape)) throw new InvalidQuantizedError(`passthrough tensor "${t.name}" has the wrong length.`);
  }
  for (const t of input) if (!seen.has(t.name)) throw new InvalidQuantizedError(`the quantizer dropped tensor "${t.name}".`);
}
