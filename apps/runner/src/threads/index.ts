/** The `--threads` pool of `run` and `quantize`: imported only when more than one thread is asked for. */
export { TensorPool } from "./pool.js";
export { poolWorkers, wireTensor } from "./parallel.js";
