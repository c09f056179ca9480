import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseInputRanges } from "@quantforge/datasets";
import { IoError, printable, type ModelProbe, type WeightSet } from "@quantforge/core";
import type { TensorSelector } from "@quantforge/core/host";
import { openRegularFile, readRegularFile, resolveContained } from "@quantforge/core/node";
import { readOnnxModel } from "@quantforge/io-onnx";
import { MAX_MODEL_JSON_BYTES } from "@quantforge/io-tfjs";
import { resolveModelJson, MOMENTS_JSON } from "@quantforge/model-tfjs";
import type { InputFile } from "@quantforge/report";
import { selectorFromFlags } from "../jobs.js";
import { isOnnxPath, loadAnyModel } from "../model-probe.js";
import { readWeights } from "../weights-io.js";
import type { ResolvedCompareConfig } from "./config.js";

/** What the cells of a comparison run on. */
export interface LoadedInput {
  readonly weights: WeightSet;
  /** The model (its capabilities: forward pass, data, Hessian, …), with `--model`. */
  readonly model?: ModelProbe;
}

/** The input part of a configuration (what a worker thread needs to load it again). */
export type InputConfig = Pick<ResolvedCompareConfig, "model" | "data" | "weights" | "inputShapes" | "inputRanges">;

/** Loads the model (reference id, tfjs model.json or .onnx, with its data) or the weights file. */
export async function loadCompareInput(c: InputConfig): Promise<LoadedInput> {
  if (c.model !== undefined) {
    const inputShapes = new Map(Object.entries(c.inputShapes ?? {}));
    const probe = await loadAnyModel(c.model, { ...(c.data !== undefined ? { data: c.data } : {}), inputShapes, ...(c.inputRanges ? { inputRanges: parseInputRanges(c.inputRanges) } : {}) });
    return { weights: probe.weights, model: probe };
  }
  return { weights: await readWeights(c.weights!) };
}

/** The tensor selector of `include`/`exclude`/`allTensors` (undefined = core's default). */
export function selectorOf(c: Pick<ResolvedCompareConfig, "include" | "exclude" | "allTensors">): TensorSelector | undefined {
  return selectorFromFlags({ include: c.include, exclude: c.exclude, allTensors: c.allTensors });
}

/** A short title of the input: `model mnist-mlp` or `weights w.safetensors`. */
export function inputTitle(c: InputConfig): string {
  return c.model !== undefined ? `model ${c.model.includes("/") ? basename(dirname(c.model)) + "/" + basename(c.model) : c.model}` : `weights ${basename(c.weights!)}`;
}

async function hashed(role: string, path: string): Promise<InputFile> {
  if (!existsSync(path)) throw new IoError(`input ${role} "${printable(path)}" does not exist. Check the path (a moved results.json still points at the original inputs).`);
  // Opened as a regular file (O_NONBLOCK + fstat): a FIFO or device named as an input is refused, not read forever.
  const f = await openRegularFile(path, { what: `input ${role}` });
  try {
    const h = createHash("sha256");
    for await (const chunk of f.handle.createReadStream({ start: 0, autoClose: false })) h.update(chunk as Buffer);
    return { role, path, bytes: f.size, sha256: h.digest("hex") };
  } finally {
    await f.handle.close();
  }
}

/**
 * model.json and the files it names. Shard and moment paths are read from the files, so they go
 * through core's containment policy (inside the model folder, regular files only) like every
 * loader's reads; a path that leaves the folder is a `QF_FORMAT` error, not a file hashed.
 */
async function modelFiles(modelJson: string): Promise<{ role: string; path: string }[]> {
  const dir = dirname(modelJson);
  const files = [{ role: "model.json", path: modelJson }];
  const read = async (p: string, what: string) => JSON.parse(new TextDecoder().decode(await readRegularFile(p, { what, maxBytes: MAX_MODEL_JSON_BYTES }))) as Record<string, unknown>;
  const manifest = (await read(modelJson, "model.json")).weightsManifest as { paths?: unknown[] }[] | undefined;
  for (const group of Array.isArray(manifest) ? manifest : []) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) files.push({ role: "weights shard", path: await resolveContained(dir, String(p), "weights shard") });
  }
  if (existsSync(join(dir, "training.json"))) files.push({ role: "training.json", path: join(dir, "training.json") });
  const moments = join(dir, MOMENTS_JSON);
  if (existsSync(moments)) {
    files.push({ role: "adam moments", path: moments });
    const paths = (await read(moments, MOMENTS_JSON)).paths;
    for (const p of Array.isArray(paths) ? paths : []) files.push({ role: "adam moments shard", path: await resolveContained(dir, String(p), "adam moments shard") });
  }
  return files;
}

/** An ONNX model and the external data files its initializers live in. */
async function onnxFiles(path: string): Promise<{ role: string; path: string }[]> {
  const m = await readOnnxModel(path);
  const external = [...new Set(m.initializers.flatMap((i) => (i.external ? [i.external.path] : [])))].sort();
  return [{ role: "model.onnx", path }, ...external.map((p) => ({ role: "onnx external data", path: p }))];
}

/**
 * SHA-256 of every input file: the weights file, or the model's files — `model.json`, weight
 * shards (layers and graph models alike), `training.json` and Adam moments; or the `.onnx` file
 * and its external data — plus the data: the files of an IDX folder or a `.safetensors` inputs
 * file. The embedded MNIST digits ship inside the `mnist` package and are identified by
 * `data: "embedded"` instead.
 */
export async function inputFiles(c: InputConfig): Promise<InputFile[]> {
  if (c.weights !== undefined) return [await hashed("weights", c.weights)];
  const files = isOnnxPath(c.model!) ? await onnxFiles(c.model!) : await modelFiles(resolveModelJson(c.model!).path);
  if (c.data !== undefined && c.data !== "embedded" && existsSync(c.data) && statSync(c.data).isDirectory()) {
    for (const f of readdirSync(c.data).sort()) {
      const p = join(c.data, f);
      if (statSync(p).isFile()) files.push({ role: "data", path: p });
    }
  } else if (c.data !== undefined && c.data !== "embedded") {
    files.push({ role: "data", path: c.data });
  }
  return Promise.all(files.map((f) => hashed(f.role, f.path)));
}
