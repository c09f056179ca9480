/** The `--threads` pool of `run`: imported only when more than one thread is asked for. */
export { TensorPool } from "./pool.js";
export { poolWorkers } from "./parallel.js";
