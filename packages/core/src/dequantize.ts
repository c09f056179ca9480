import { dequantizeTensor } from "./codebook-impl.js";
import type { QuantizedModel } from "./quantized.js";
import type { WeightSet, WeightTensor } from "./tensor.js";
import { codebookMap } from "./validate.js";

/**
 * Dequantizes a whole model into a weight set (quantized tensors decoded, passthrough tensors as
 * they are), in the order of `order` when given (e.g. the original weight set).
 */
export function dequantizeModel(qm: QuantizedModel, order?: WeightSet): WeightTensor[] {
  const cbs = codebookMap(qm);
  const out = new Map<string, WeightTensor>();
  for (const t of qm.tensors) {
    const data = dequantizeTensor(t, cbs.get(t.codebook)!);
    out.set(t.name, { name: t.name, shape: t.shape, data, role: t.role, layer: t.layer, layerKind: t.layerKind });
  }
  for (const t of qm.passthrough ?? []) out.set(t.name, t);
  if (!order) return [...out.values()];
  const res: WeightTensor[] = [];
  for (const t of order) res.push(out.get(t.name) ?? t);
  return res;
}
