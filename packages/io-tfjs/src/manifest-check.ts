import type { Tensor, io } from "@tensorflow/tfjs";
import { FormatError, QuantforgeError, ErrorCodes, printable } from "@quantforge/core";
import { join } from "node:path";
import { readCodedTfjsArtifacts, type CodedTfjsLoadOptions } from "./coded.js";
import { readEntryBytes, readTfjsModel } from "./read.js";

/** The part of the tfjs namespace the check uses: stock `tf.io.decodeWeights`. */
export interface TfjsWeightDecoder {
  readonly io: { decodeWeights(data: ArrayBuffer, specs: io.WeightsManifestEntry[]): Record<string, Tensor> };
}

/** What {@link verifyWrittenManifest} compared. */
export interface ManifestCheck {
  /** Weights compared bit-exactly with the expected values. */
  readonly compared: number;
  /** How the written files were decoded. */
  readonly runtime: string;
}

/**
 * Reloads a written bare weights manifest the way its users do — stock tfjs's
 * `tf.io.decodeWeights` on the manifest's specs and shards (tfjs itself dequantizes its
 * uint8/uint16/float16 storage); for a tfjs-coded manifest the quantforge loader first decodes the
 * container — and checks every weight in `expected` bit-exactly against tfjs's values.
 *
 * @param dir - Folder of the written manifest.
 * @param fileName - The manifest's file name there.
 * @param expected - The evaluated (decoded) values of the quantized weights, by name.
 * @throws {QuantforgeError} `QF_INTERNAL` (exit 1) when a weight differs or is missing: a writer bug.
 */
export async function verifyWrittenManifest(tf: TfjsWeightDecoder, dir: string, fileName: string, expected: ReadonlyMap<string, Float32Array>, coded?: CodedTfjsLoadOptions): Promise<ManifestCheck> {
  const path = join(dir, fileName);
  let specs: io.WeightsManifestEntry[];
  let data: ArrayBuffer;
  let runtime: string;
  if (coded) {
    const a = await readCodedTfjsArtifacts(path, coded);
    specs = a.weightSpecs ?? [];
    data = a.weightData as ArrayBuffer;
    runtime = "quantforge loader (readCodedTfjsArtifacts) + stock tf.io.decodeWeights";
  } else {
    const m = await readTfjsModel(path);
    if (m.format !== "weights-manifest") throw new FormatError(`${printable(path)} is not a weights manifest.`);
    specs = m.entries.map((e) => e.spec as unknown as io.WeightsManifestEntry);
    // Shard bytes in manifest order, exactly as tf.io.loadWeights concatenates them.
    const parts = await Promise.all(m.entries.map((e) => readEntryBytes(m, e)));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    data = all.buffer;
    runtime = "stock tf.io.decodeWeights";
  }
  const tensors = tf.io.decodeWeights(data, specs);
  try {
    let compared = 0;
    for (const [name, want] of expected) {
      const t = Object.prototype.hasOwnProperty.call(tensors, name) ? tensors[name] : undefined;
      if (!t) throw new QuantforgeError(ErrorCodes.INTERNAL, `the written manifest lacks weight "${printable(name)}". Nothing was written; report this bug.`, { exitCode: 1 });
      const got = t.dataSync() as Float32Array;
      const a = new Uint32Array(got.buffer, got.byteOffset, got.length),
        b = new Uint32Array(want.buffer, want.byteOffset, want.length);
      let same = a.length === b.length;
      for (let i = 0; same && i < a.length; i++) if (a[i] !== b[i]) same = false;
      if (!same) throw new QuantforgeError(ErrorCodes.INTERNAL, `stock tfjs decodes weight "${printable(name)}" of the written manifest differently from the evaluated weights. Nothing was written; report this bug.`, { exitCode: 1 });
      compared++;
    }
    return { compared, runtime };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
