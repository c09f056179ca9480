import { ByteWriter } from "../bytes.js";
import type { Codebook } from "../codebook.js";
import { codedGroups, dequantizeCodes, dequantizeTensor, requantizeTensor } from "../codebook-impl.js";
import { writeCodebook } from "../codebook-io.js";
import type { QuantizedModel } from "../quantized.js";
import type { WeightSet, WeightTensor } from "../tensor.js";
import { codebookMap } from "../validate.js";

// The quantizer conformance suite's checks on one result (quantizer-conformance.ts registers the tests).

/** A codebook's serialized record (two codebooks are the same when these bytes are). */
export function codebookBytes(cb: Codebook): Uint8Array {
  const w = new ByteWriter(64);
  writeCodebook(w, cb);
  return w.finish();
}

/** Names and shapes come back once each, quantized tensors in input order. */
export function checkNamesAndShapes(q: QuantizedModel, input: WeightSet): void {
  const order = new Map(input.map((t, i) => [t.name, i]));
  const seen = new Set<string>();
  let last = -1;
  for (const t of q.tensors) {
    const i = order.get(t.name);
    if (i === undefined) throw new Error(`quantized tensor "${t.name}" is not in the input.`);
    if (i < last) throw new Error(`quantized tensor "${t.name}" is out of input order.`);
    last = i;
  }
  for (const t of [...q.tensors, ...(q.passthrough ?? [])]) {
    if (seen.has(t.name)) throw new Error(`tensor "${t.name}" is returned twice.`);
    seen.add(t.name);
    const src = input[order.get(t.name)!]!;
    if (src.shape.length !== t.shape.length || src.shape.some((d, k) => d !== t.shape[k])) {
      throw new Error(`tensor "${t.name}" changed shape [${src.shape.join(", ")}] → [${t.shape.join(", ")}].`);
    }
  }
  for (const t of input) if (!seen.has(t.name)) throw new Error(`tensor "${t.name}" was dropped.`);
}

/**
 * Re-quantizing the decoded weights with the stored codebook gives the same codes. Codes that a
 * codebook maps to the bit-identical float32 value (duplicate levels, a zero scale) cannot be
 * told apart by any decoder, so they count as the same code.
 */
export function checkRequantize(q: QuantizedModel): void {
  const cbs = codebookMap(q);
  for (const t of q.tensors) {
    const cb = cbs.get(t.codebook)!;
    const dense = dequantizeTensor(t, cb);
    for (let i = 0; i < dense.length; i++) {
      if (!Number.isFinite(dense[i]!)) throw new Error(`tensor "${t.name}" decodes to a non-finite value ${dense[i]} at ${i}.`);
    }
    const re = requantizeTensor(t, cb, dense);
    const groups = codedGroups(t);
    const a = new Float32Array(re.length),
      b = new Float32Array(re.length);
    dequantizeCodes(cb, t.codes, groups, a);
    dequantizeCodes(cb, re, groups, b);
    for (let i = 0; i < re.length; i++) {
      if (re[i] !== t.codes[i] && !Object.is(a[i], b[i])) {
        throw new Error(
          `tensor "${t.name}": code ${t.codes[i]} at ${i} (value ${a[i]}) re-quantizes to code ${re[i]} (value ${b[i]}) with the stored ${cb.kind} codebook "${cb.id}". The stored parameters do not describe the quantizer's decision.`,
        );
      }
    }
  }
}

/** Throws unless every decoded value of `ws` is finite. */
export function checkFinite(ws: WeightSet): void {
  for (const t of ws) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!)) throw new Error(`decoded tensor "${t.name}" has ${t.data[i]} at index ${i}.`);
    }
  }
}

/** A copy of `t` with `data[index] = v`. */
export function withValue(t: WeightTensor, index: number, v: number): WeightTensor {
  const data = t.data.slice();
  data[index] = v;
  return { ...t, data };
}
