import type { GraphModel, LayersModel, Tensor } from "@tensorflow/tfjs";
import { FormatError, ShapeMismatchError, type WeightSet, type WeightTensor } from "@quantforge/core";
import type { Tf } from "./tf.js";

/** Sets a loaded model's float weights to given values, touching only the tensors that changed. */
export interface WeightSwapper {
  /**
   * Makes the model compute with `weights`: each model weight takes its tensor in `weights`, or
   * its original value when absent. Tensors whose values equal what the model holds are left
   * alone; replaced tensors are disposed.
   *
   * @throws {ShapeMismatchError} for a name that is not a float weight of the model, or a size mismatch.
   */
  apply(weights: WeightSet): void;
}

/** Bit-identical values (so −0 and +0 differ: a swap must reproduce a fresh load exactly). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length),
    y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Works out which tensors change (shared by both model kinds). */
function changes(model: string, original: WeightSet, current: Map<string, Float32Array>, weights: WeightSet): WeightTensor[] {
  const byName = new Map(original.map((t) => [t.name, t]));
  const given = new Map<string, WeightTensor>();
  for (const t of weights) {
    const o = byName.get(t.name);
    if (!o) throw new ShapeMismatchError(`"${t.name}" is not a float weight of model "${model}". Pass tensors of the model's weight set.`);
    if (t.data.length !== o.data.length) throw new ShapeMismatchError(`tensor "${t.name}" has ${t.data.length} values but model "${model}" needs ${o.data.length}. Pass the model's shapes.`);
    given.set(t.name, t);
  }
  const out: WeightTensor[] = [];
  for (const o of original) {
    const want = given.get(o.name)?.data ?? o.data;
    const have = current.get(o.name)!;
    if (sameValues(have, want)) {
      current.set(o.name, want);
      continue;
    }
    current.set(o.name, want);
    out.push({ ...o, data: want });
  }
  return out;
}

type TensorsMap = Record<string, Tensor[]>;
interface Executor {
  weightMap: TensorsMap;
}

/**
 * A swapper for a GraphModel: changed weights are new tensors put into the executor's weight map
 * (tfjs-converter 4.x `GraphModel.executor.weightMap`; its setter refreshes the ids the executor
 * keeps alive), the old tensors are disposed.
 *
 * @throws {FormatError} when a weight is not in the executor's weight map.
 */
export function graphModelSwapper(tf: Tf, model: GraphModel, name: string, original: WeightSet): WeightSwapper {
  const internal = model as unknown as { executor?: Executor; initializer?: Executor | null };
  const executor = internal.executor;
  if (!executor || typeof executor.weightMap !== "object") throw new FormatError(`model "${name}": this tfjs version keeps no GraphModel weight map quantforge can update.`);
  for (const t of original) {
    const slot = executor.weightMap[t.name];
    if (!slot || slot.length !== 1) throw new FormatError(`model "${name}": weight "${t.name}" is not a constant of the graph's weight map. Re-export the model.`);
  }
  const current = new Map(original.map((t) => [t.name, t.data]));
  return {
    apply(weights) {
      const todo = changes(name, original, current, weights);
      if (todo.length === 0) return;
      const map: TensorsMap = { ...executor.weightMap };
      const old: Tensor[] = [];
      for (const t of todo) {
        old.push(...map[t.name]!);
        map[t.name] = [tf.tensor(t.data, [...t.shape], "float32")];
      }
      executor.weightMap = map;
      // The initializer executor (hash-table models) shares the weight map; keep it in step.
      if (internal.initializer) internal.initializer.weightMap = map;
      for (const x of old) x.dispose();
    },
  };
}

interface LayerVariableLike {
  readonly originalName: string;
  write(v: Tensor): unknown;
}

/**
 * A swapper for a LayersModel: each changed weight is written into its variable (`LayerVariable
 * .write`, as `setWeights` and loading do, so a layer's weight constraint applies as it would when
 * the weights are loaded from a file); the temporary tensor is disposed.
 *
 * @throws {FormatError} when a weight has no variable.
 */
export function layersModelSwapper(tf: Tf, model: LayersModel, name: string, original: WeightSet): WeightSwapper {
  const vars = new Map<string, LayerVariableLike>();
  for (const v of model.weights as unknown as LayerVariableLike[]) vars.set(v.originalName, v);
  for (const t of original) if (!vars.has(t.name)) throw new FormatError(`model "${name}": weight "${t.name}" belongs to no layer variable. Re-export the model.`);
  const current = new Map(original.map((t) => [t.name, t.data]));
  return {
    apply(weights) {
      for (const t of changes(name, original, current, weights)) {
        const x = tf.tensor(t.data, [...t.shape], "float32");
        try {
          vars.get(t.name)!.write(x);
        } finally {
          x.dispose();
        }
      }
    },
  };
}
