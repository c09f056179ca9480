import { ErrorCodes, QuantforgeError } from "@quantforge/core";
import { conv2dBackpropFilterWasmConfig } from "./conv2d-backprop-filter.js";

/** The `@tensorflow/tfjs` namespace (loaded lazily: importing it costs ~0.4 s). */
export type Tf = typeof import("@tensorflow/tfjs");

/** A tfjs backend quantforge can run on. */
export type TfjsBackend = "wasm" | "cpu";

/** A TensorFlow.js configuration problem (unsupported op, backend that cannot start). */
export class TfjsError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.USAGE, message, { cause });
  }
}

let tfPromise: Promise<Tf> | undefined;
let wasmKernelRegistered = false;
/** The backend chosen by the last selection (undefined before the first call). */
let selected: TfjsBackend | undefined;

async function loadTf(): Promise<Tf> {
  const tf = await import("@tensorflow/tfjs");
  // PROD mode silences tfjs's console banner ("install tfjs-node", which cannot be installed
  // here: it downloads a native library from outside the registry) and skips debug checks.
  tf.enableProdMode();
  return tf;
}

/**
 * Returns the tfjs namespace with a backend selected. On first use: `prefer`, else the
 * environment variable `QUANTFORGE_TFJS_BACKEND=cpu|wasm`, else `wasm` (XNNPACK, SIMD), falling
 * back to the pure-JS `cpu` backend when WASM cannot start. Later calls without `prefer` keep the
 * backend in use; with `prefer` they switch. On WASM the missing `Conv2DBackpropFilter` kernel is
 * registered (see `conv2d-backprop-filter.ts`).
 */
export async function getTf(prefer?: TfjsBackend): Promise<Tf> {
  tfPromise ??= loadTf();
  const tf = await tfPromise;
  if (prefer === undefined && selected !== undefined) return tf;
  const want = prefer ?? (process.env.QUANTFORGE_TFJS_BACKEND as TfjsBackend | undefined) ?? "wasm";
  if (want !== "wasm" && want !== "cpu") throw new TfjsError(`unknown tfjs backend "${String(want)}". Use "wasm" or "cpu".`);
  if (selected === want && tf.getBackend() === want) return tf;
  if (want === "wasm") {
    try {
      // The import registers the wasm backend factory; it finds its .wasm files by itself in Node.
      await import("@tensorflow/tfjs-backend-wasm");
      if (!wasmKernelRegistered) {
        tf.registerKernel(conv2dBackpropFilterWasmConfig(tf));
        wasmKernelRegistered = true;
      }
      if (await tf.setBackend("wasm")) {
        await tf.ready();
        selected = "wasm";
        return tf;
      }
    } catch {
      // Fall through to the CPU backend: slower, same results up to float rounding.
    }
    if (prefer === "wasm") throw new TfjsError("the tfjs WASM backend could not start. Reinstall @tensorflow/tfjs-backend-wasm or use the cpu backend.");
  }
  if (!(await tf.setBackend("cpu"))) throw new TfjsError("no tfjs backend could start (wasm and cpu both failed). Reinstall @tensorflow/tfjs.");
  await tf.ready();
  selected = "cpu";
  return tf;
}
