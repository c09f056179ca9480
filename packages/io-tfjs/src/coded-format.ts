/* The coded-weights section of a tfjs-coded model.json: shared by the writer (write.ts) and both loaders. */

/** The name, file name and version of the coded-weights section in model.json. */
export const CODED_TFJS_FORMAT = "quantforge-tfjs-coded";
/** Version of {@link CODED_TFJS_FORMAT}. */
export const CODED_TFJS_VERSION = 1;
/** File name of the container beside model.json. */
export const CODED_CONTAINER_FILE = "weights.qf";

/** The `quantforge` section of a coded model.json. */
export interface CodedTfjsSection {
  readonly format: typeof CODED_TFJS_FORMAT;
  readonly version: number;
  /** Container file (relative to model.json). */
  readonly container: string;
  /** Coder id of the container. */
  readonly coder: string;
  /** Specs of the coded weights (float32, as the loader restores them). */
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: "float32" }[];
  /** Every weight name in the original manifest order (the loader restores this order). */
  readonly order: readonly string[];
  readonly metadata?: Record<string, unknown>;
}
