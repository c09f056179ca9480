import { ShapeMismatchError, type WeightSet, type WeightTensor } from "@quantforge/core";
import { toFloat16Bits } from "@quantforge/core/format";
import { OnnxDataType, type Ort } from "@quantforge/io-onnx/browser";

type Tensor = InstanceType<Ort["Tensor"]>;

/** float32 values as ORT needs them for a FLOAT or FLOAT16 weight input. */
function weightTensor(ort: Ort, init: { dataType: number; dims: readonly number[] }, data: Float32Array): Tensor {
  if (init.dataType === OnnxDataType.FLOAT16) {
    const h = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) h[i] = toFloat16Bits(data[i]!);
    return new ort.Tensor("float16", h, [...init.dims]);
  }
  return new ort.Tensor("float32", data, [...init.dims]);
}

/**
 * The weight inputs of a model rewritten by {@link weightsAsInputs}: maps a weight set (any
 * subset of the model's weights by name; the rest keep their original values) to one ORT tensor
 * per weight input, FLOAT16 weights rounded to half as the model stores them. Tensors are reused
 * while the caller passes the same arrays. Works with onnxruntime-node and onnxruntime-web.
 *
 * @param weights - The model's own weights, in the order of `inits`.
 * @param inits - Their initializers (data type and dims).
 * @throws {ShapeMismatchError} For a tensor that is not a model weight or has the wrong size.
 */
export function weightFeeder(ort: Ort, id: string, weights: readonly WeightTensor[], inits: readonly { readonly dataType: number; readonly dims: readonly number[] }[]): (ws: WeightSet) => Record<string, Tensor> {
  const byName = new Map(weights.map((t, k) => [t.name, { t, init: inits[k]! }]));
  // ORT tensors of the weights last fed, per name: reused while the caller passes the same array.
  const cache = new Map<string, { src: Float32Array; tensor: Tensor }>();
  return (ws) => {
    const given = new Map<string, Float32Array>();
    for (const t of ws) {
      const w = byName.get(t.name);
      if (!w) throw new ShapeMismatchError(`"${t.name}" is not a float initializer of model "${id}". Pass tensors of the model's weight set.`);
      if (t.data.length !== w.t.data.length) throw new ShapeMismatchError(`tensor "${t.name}" has ${t.data.length} values but model "${id}" needs ${w.t.data.length}. Pass the model's shapes.`);
      given.set(t.name, t.data);
    }
    const feeds: Record<string, Tensor> = {};
    for (const [name, { t, init }] of byName) {
      const src = given.get(name) ?? t.data;
      let c = cache.get(name);
      if (!c || c.src !== src) cache.set(name, (c = { src, tensor: weightTensor(ort, init, src) }));
      feeds[name] = c.tensor;
    }
    return feeds;
  };
}
