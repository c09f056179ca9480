import { stat } from "node:fs/promises";
import { ShapeMismatchError } from "@quantforge/core";
import { loadSafetensors } from "@quantforge/io-safetensors";
import type { InputRanges } from "./input-generator.js";
import { loadImageFolder } from "./image-folder.js";
import type { ModelInputData, ModelInputDecl } from "./model-inputs.js";

// Node side of model inputs: reading a calibration file or image folder (model-inputs.ts stays
// free of Node APIs for the browser build).

/**
 * Reads a calibration file: a safetensors file with one batch-first tensor per model input, named
 * after the input (`x:0` may be written `x`), or a folder of PNG/JPEG images for a model with one
 * image input (see `loadImageFolder`; `opts` give its size and pixel range). A tensor named after no input is an error (a
 * misspelled name must not be fed silently). Integer inputs are stored as floats.
 *
 * @throws {IoError} / {FormatError} from the safetensors reader (missing or malformed file).
 * @throws {ShapeMismatchError} when an input has no tensor, a tensor has no batch dimension, or
 *   the tensors disagree on the number of samples.
 */
export async function loadInputData(path: string, decls: readonly ModelInputDecl[], opts: { inputShapes?: ReadonlyMap<string, readonly number[]>; inputRanges?: InputRanges } = {}): Promise<ModelInputData> {
  if ((await stat(path).catch(() => undefined))?.isDirectory()) return loadImageFolder(path, decls, opts);
  const ws = await loadSafetensors(path);
  const byName = new Map(ws.map((t) => [t.name, t]));
  const known = new Set(decls.flatMap((d) => [d.name, d.name.replace(/:0$/, "")]));
  const valid = decls.map((d) => d.name).join(", ");

  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  let count: number | undefined;
  for (const d of decls) {
    const t = byName.get(d.name) ?? byName.get(d.name.replace(/:0$/, ""));
    if (!t) throw new ShapeMismatchError(`data file "${path}" has no tensor for model input "${d.name}" (it has ${ws.map((w) => w.name).join(", ") || "none"}; inputs: ${valid}). Name one batch-first tensor after each model input.`);
    if (t.shape.length === 0) throw new ShapeMismatchError(`data tensor "${t.name}" in "${path}" is a scalar; give batch-first samples [N, …].`);
    const n = t.shape[0]!;
    if (count !== undefined && n !== count) throw new ShapeMismatchError(`data file "${path}" holds ${count} samples for one input but ${n} in tensor "${t.name}". Give every input the same number of samples.`);
    count = n;
    tensors.set(d.name, { shape: t.shape, data: t.data });
  }
  // After every input has its tensor (so a misnamed tensor first reads as the input it lacks).
  for (const t of ws) {
    if (!known.has(t.name)) throw new ShapeMismatchError(`data file "${path}" holds tensor "${t.name}", which is not a model input (inputs: ${valid}). Name each batch-first tensor after a model input.`);
  }
  return { path, count: count ?? 0, tensors };
}
