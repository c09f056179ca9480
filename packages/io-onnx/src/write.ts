import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IoError } from "@quantforge/core";
import { encodeOnnxModel, type OnnxWeightOutput, type OnnxWriteOptions, type OnnxWriteResult } from "./encode.js";
import type { OnnxModel } from "./types.js";

export { OnnxTargetError, encodeOnnxModel } from "./encode.js";
export type { OnnxTarget, OnnxWeightOutput, OnnxWriteOptions, OnnxWriteResult } from "./encode.js";

/**
 * Encodes the model (see {@link encodeOnnxModel}) and writes it to `path` through a temp file
 * in the same directory, renamed into place.
 *
 * @throws {IoError} When the file cannot be written.
 */
export async function writeOnnxModel(path: string, model: OnnxModel, outputs: ReadonlyMap<string, OnnxWeightOutput>, options: OnnxWriteOptions): Promise<OnnxWriteResult> {
  const r = await encodeOnnxModel(model, outputs, options);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, r.bytes, { flag: "wx" });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new IoError(`cannot write "${path}": ${(e as Error).message}. Check the directory exists and is writable.`, e);
  }
  return r;
}
