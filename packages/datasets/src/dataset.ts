import { ShapeMismatchError, shapeSize, type Dataset } from "@quantforge/core";

/** A train/test pair of datasets with the same sample shape and class count. */
export interface DatasetSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * Builds a {@link Dataset} after checking that the arrays fit `count × sampleShape`.
 * Throws {@link ShapeMismatchError} when they do not.
 */
export function makeDataset(inputs: Float32Array, labels: Int32Array, sampleShape: readonly number[], classes: number): Dataset {
  const per = shapeSize(sampleShape);
  const count = labels.length;
  if (inputs.length !== count * per) {
    throw new ShapeMismatchError(`dataset has ${inputs.length} input values but ${count} samples of shape [${sampleShape.join(", ")}] need ${count * per}. Fix the data or the sample shape.`);
  }
  return { inputs, labels, count, sampleShape: [...sampleShape], classes };
}

/**
 * The samples `indices` of `ds`, in that order, as a new dataset (copies the values).
 * Out-of-range indices throw {@link ShapeMismatchError}.
 */
export function selectSamples(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const per = shapeSize(ds.sampleShape);
  const n = indices.length;
  const inputs = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new ShapeMismatchError(`sample index ${i} is outside the dataset of ${ds.count} samples. Ask for indices in [0, ${ds.count - 1}].`);
    }
    inputs.set(ds.inputs.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = ds.labels[i]!;
  }
  return makeDataset(inputs, labels, ds.sampleShape, ds.classes);
}

/**
 * The first `count` samples of `ds` as a view (no copy). Throws {@link ShapeMismatchError} when
 * `count` exceeds the dataset.
 */
export function takeSamples(ds: Dataset, count: number): Dataset {
  if (!Number.isInteger(count) || count < 0 || count > ds.count) {
    throw new ShapeMismatchError(`asked for ${count} samples but the dataset has ${ds.count}. Ask for at most ${ds.count}.`);
  }
  const per = shapeSize(ds.sampleShape);
  return makeDataset(ds.inputs.subarray(0, count * per), ds.labels.subarray(0, count), ds.sampleShape, ds.classes);
}
