import { mkdir, open, readdir, rm, writeFile, type FileHandle } from "node:fs/promises";
import { basename, join } from "node:path";
import { IoError, ShapeMismatchError, type Coder, type EncodedSize } from "@quantforge/core";
import { ContainerEncoder } from "@quantforge/core/format";
import type { TfjsManifestGroup, TfjsWeightEntry, TfjsWeightSpec } from "./manifest.js";
import { checkQuantizedFits, encodeEntry, type TfjsWeightOutput } from "./entry-encode.js";
import { TargetMismatchError } from "./native.js";
import { readEntryBytes, type TfjsModel } from "./read.js";
import { ShardSink, assembleFromSpool } from "./write-files.js";

export type { TfjsWeightOutput } from "./entry-encode.js";

/**
 * Where quantized weights go:
 * - `tfjs-native`: tfjs's own `quantization` fields (uint8/uint16 affine or float16) — stock tfjs
 *   loads the model unchanged; refused for methods tfjs cannot express;
 * - `tfjs-coded`: the quantized tensors in a quantforge `.qf` container (any codebook, any coder,
 *   sub-8-bit, Huffman), decoded at load time by {@link loadCodedTfjsModel};
 * - `tfjs-float`: every float32 weight as plain float32 (the decoded weights; no size gain).
 */
export type TfjsTarget = "tfjs-native" | "tfjs-coded" | "tfjs-float";

/** Options of {@link createTfjsModelWriter}. */
export interface TfjsWriteOptions {
  readonly target: TfjsTarget;
  /** The coder of the `.qf` container (required for `tfjs-coded`). */
  readonly coder?: Coder;
  /** Largest shard file, in bytes. @default 4_194_304 (tfjs-converter's default) */
  readonly shardBytes?: number;
  /** Extra JSON stored under `quantforge.metadata` in model.json (tfjs-coded) and in the container header. */
  readonly metadata?: Record<string, unknown>;
}

/** One file the writer produced. */
export interface WrittenFile {
  readonly name: string;
  readonly bytes: number;
}

/** What a finished write produced. */
export interface TfjsWriteResult {
  readonly files: readonly WrittenFile[];
  /** Sum of every file (model.json included). */
  readonly totalBytes: number;
  /** tfjs storage dtype per natively written quantized tensor (tfjs-native). */
  readonly native: Readonly<Record<string, "uint8" | "uint16" | "float16">>;
  /** Exact sizes of the container (tfjs-coded). */
  readonly container?: EncodedSize;
}

export { CODED_TFJS_FORMAT, CODED_TFJS_VERSION, CODED_CONTAINER_FILE, type CodedTfjsSection } from "./coded-format.js";
import { CODED_TFJS_FORMAT, CODED_TFJS_VERSION, CODED_CONTAINER_FILE, type CodedTfjsSection } from "./coded-format.js";

/**
 * Writes a tfjs model one weight at a time: `add` every manifest entry in order, then `close`.
 * Shards stream to disk as entries arrive; for `tfjs-coded` the coded tensor records are
 * spooled to a temp file and the `.qf` container is assembled at `close`. Memory stays at the
 * entry being written (plus the container's codebooks).
 */
export interface TfjsModelWriter {
  /**
   * Writes the next entry.
   * @throws {ShapeMismatchError} When the entry is out of order or its data have the wrong size.
   * @throws {TargetMismatchError} When a quantized tensor does not fit `tfjs-native`.
   */
  add(entry: TfjsWeightEntry, output: TfjsWeightOutput): Promise<void>;
  /** Writes model.json (and the container); returns every file written. */
  close(): Promise<TfjsWriteResult>;
  /** Removes every file written so far. */
  abort(): Promise<void>;
}

/**
 * Starts writing `model` with replaced weights into `dir` (created if missing; it must not
 * already hold a model.json). Callers that need atomic output write into a temp directory and
 * rename it (the `quantforge quantize` command does).
 *
 * @param dir - Output directory.
 * @param model - The source model (topology, manifest, original bytes of untouched entries).
 * @param options - Target, coder, shard size.
 * @throws {IoError} When the directory cannot be created or already has a model.json.
 */
export async function createTfjsModelWriter(dir: string, model: TfjsModel, options: TfjsWriteOptions): Promise<TfjsModelWriter> {
  const target = options.target;
  if (target === "tfjs-coded" && !options.coder) throw new TargetMismatchError("target tfjs-coded needs a coder (e.g. fixed or huffman).");
  // A bare weights manifest is written back under its own file name (what the library that loads it expects).
  const manifest = model.format === "weights-manifest";
  const jsonName = manifest ? manifestFileName(model.path) : "model.json";
  try {
    await mkdir(dir, { recursive: true });
    if ((await readdir(dir)).includes(jsonName)) throw new Error(`it already contains a ${jsonName}`);
  } catch (e) {
    throw new IoError(`cannot write a model into "${dir}": ${(e as Error).message}. Choose an empty output directory.`, e);
  }
  const sink = new ShardSink(dir, options.shardBytes ?? 4 * 1024 * 1024, manifest ? jsonName.replace(/-?weights_manifest\.json$/i, "") || "group1" : "group1");
  const specs: TfjsWeightSpec[] = [];
  const coded: CodedTfjsSection["weights"][number][] = [];
  const native: Record<string, "uint8" | "uint16" | "float16"> = {};
  const enc = target === "tfjs-coded" ? new ContainerEncoder(options.coder!, { format: CODED_TFJS_FORMAT, ...options.metadata }) : undefined;
  const spoolPath = join(dir, `.${CODED_CONTAINER_FILE}.spool`);
  let spool: FileHandle | undefined;
  let next = 0;
  let state: "open" | "closed" | "failed" = "open";

  const fail = async (e: unknown): Promise<never> => {
    state = "failed";
    await sink.abort();
    await spool?.close().catch(() => undefined);
    await rm(spoolPath, { force: true });
    throw e;
  };

  const writeSpool = async (bytes: Uint8Array): Promise<void> => {
    spool ??= await open(spoolPath, "wx");
    let done = 0;
    while (done < bytes.length) done += (await spool.write(bytes, done, bytes.length - done)).bytesWritten;
  };

  return {
    async add(entry, output) {
      if (state !== "open") throw new IoError(`the tfjs writer for "${dir}" is ${state}; start a new one.`);
      try {
        const want = model.entries[next];
        if (!want || want.spec.name !== entry.spec.name) {
          throw new ShapeMismatchError(`expected weight "${want?.spec.name ?? "(none left)"}" next but got "${entry.spec.name}". Add the entries in manifest order.`);
        }
        next++;
        const spec = entry.spec;
        if (output.kind === "quantized" && target === "tfjs-coded") {
          const t = output.tensor;
          checkQuantizedFits(spec, t);
          await writeSpool(enc!.tensorRecord({ ...t, name: spec.name }, output.codebook, t.name === spec.name ? output.stream : undefined));
          coded.push({ name: spec.name, shape: [...spec.shape], dtype: "float32" });
          return;
        }
        // tfjs-coded keeps float and original entries as tfjs-native does (plain shards).
        const e = await encodeEntry(entry, output, target === "tfjs-float" ? "tfjs-float" : "tfjs-native", () => readEntryBytes(model, entry));
        // defineProperty: a weight named "__proto__" must become an own key, not a prototype assignment.
        if (e.native) Object.defineProperty(native, spec.name, { value: e.native, enumerable: true, writable: true, configurable: true });
        specs.push(e.spec);
        await sink.write(e.bytes);
      } catch (e) {
        if (e instanceof ShapeMismatchError && state === "open") throw e;
        return fail(e);
      }
    },

    async close() {
      if (state !== "open") throw new IoError(`the tfjs writer for "${dir}" is ${state}; start a new one.`);
      try {
        if (next !== model.entries.length) {
          throw new ShapeMismatchError(`the tfjs writer for "${dir}" was closed after ${next} of ${model.entries.length} weights. Add every manifest entry.`);
        }
        const files = await sink.finish();
        let container: EncodedSize | undefined;
        if (enc) {
          container = enc.size();
          await spool?.close();
          spool = undefined;
          files.push({ name: CODED_CONTAINER_FILE, bytes: await assembleFromSpool(join(dir, CODED_CONTAINER_FILE), enc, coded.length > 0 ? spoolPath : undefined) });
          await rm(spoolPath, { force: true });
        }
        const group: TfjsManifestGroup = { paths: files.filter((f) => f.name.endsWith(".bin")).map((f) => f.name), weights: specs };
        const section: CodedTfjsSection | undefined = enc
          ? {
              format: CODED_TFJS_FORMAT,
              version: CODED_TFJS_VERSION,
              container: CODED_CONTAINER_FILE,
              coder: options.coder!.id,
              weights: coded,
              order: model.entries.map((e) => e.spec.name),
              ...(options.metadata ? { metadata: options.metadata } : {}),
            }
          : undefined;
        let out: unknown;
        if (manifest) {
          // The array of groups tfjs's io.loadWeights reads; a coded section rides on the one group (tfjs ignores extra keys).
          out = [{ ...group, ...(section ? { quantforge: section } : {}) }];
        } else {
          const { weightsManifest: _old, ...rest } = model.json;
          out = { ...rest, weightsManifest: specs.length > 0 || group.paths.length > 0 ? [group] : [], ...(section ? { quantforge: section } : {}) };
        }
        const text = `${JSON.stringify(out)}\n`;
        await writeFile(join(dir, jsonName), text, { flag: "wx" });
        files.push({ name: jsonName, bytes: Buffer.byteLength(text) });
        state = "closed";
        return { files, totalBytes: files.reduce((a, f) => a + f.bytes, 0), native, ...(container ? { container } : {}) };
      } catch (e) {
        return fail(e);
      }
    },

    async abort() {
      if (state === "closed") return;
      state = "failed";
      await sink.abort();
      await spool?.close().catch(() => undefined);
      await rm(spoolPath, { force: true });
      await rm(join(dir, CODED_CONTAINER_FILE), { force: true });
    },
  };
}

/** File name of a written weights manifest: the input's own name (`x-weights_manifest.json`), kept to a safe basename. */
export function manifestFileName(inputPath: string): string {
  const b = basename(inputPath).replace(/[^A-Za-z0-9._-]/g, "_");
  return /weights_manifest\.json$/i.test(b) ? b : "weights_manifest.json";
}

/**
 * Writes a whole model: every manifest entry gets its output from `outputs` (by weight name),
 * or is kept as it was.
 *
 * @example
 * await writeTfjsModel("out", model, new Map([["dense/kernel", { kind: "quantized", tensor, codebook }]]), { target: "tfjs-native" });
 */
export async function writeTfjsModel(dir: string, model: TfjsModel, outputs: ReadonlyMap<string, TfjsWeightOutput>, options: TfjsWriteOptions): Promise<TfjsWriteResult> {
  const w = await createTfjsModelWriter(dir, model, options);
  try {
    for (const e of model.entries) await w.add(e, outputs.get(e.spec.name) ?? { kind: "original" });
    return await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
}
