// Source-mode bootstrap of the compare worker (tests and tsx runs of src/): registers tsx in this
// thread, then imports worker.ts. The built CLI starts dist/compare/worker.js directly.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register({ tsconfig: workerData.tsconfig });
await import(workerData.entry);
