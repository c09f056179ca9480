/*
 * The page script of the coded-loader browser test and bench (bundled by esbuild for the
 * browser platform): stock tfjs on its cpu backend, the browser entry of @quantforge/io-tfjs and
 * the coders passed by id. Exposes `qfRun` (outputs as float32 bit patterns, for exact
 * comparison) and `qfDecodeBench` (decode time of the coded weights from in-memory files).
 */
import * as tf from "@tensorflow/tfjs";
import { instantiate } from "@quantforge/core/host";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { loadCodedTfjsModelFrom, readCodedTfjsArtifactsFrom } from "@quantforge/io-tfjs/coded-browser";

const coders = [instantiate(ransCoder()), instantiate(huffmanCoder())];

async function run(url: string, input: { shape: number[]; data: number[] }): Promise<{ shape: number[]; bits: number[] }> {
  await tf.setBackend("cpu");
  await tf.ready();
  const m = await loadCodedTfjsModelFrom(url, tf, { coders });
  const x = tf.tensor(input.data, input.shape, "float32");
  const y = m.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  const out = { shape: y.shape, bits: Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length)) };
  x.dispose();
  y.dispose();
  m.dispose();
  return out;
}

async function decodeBench(url: string, repeats: number): Promise<{ weightBytes: number; ms: number[] }> {
  // Files fetched once; the timed part is parsing, decoding and dequantizing (what a page pays
  // after the download).
  const json = await (await fetch(url)).text();
  const section = JSON.parse(json) as { quantforge: { container: string }; weightsManifest: { paths: string[] }[] };
  const names = [section.quantforge.container, ...section.weightsManifest.flatMap((g) => g.paths)];
  const files = new Map<string, ArrayBuffer>();
  for (const n of names) files.set(n, await (await fetch(new URL(n, url))).arrayBuffer());
  const ms: number[] = [];
  let weightBytes = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const a = await readCodedTfjsArtifactsFrom({ modelJson: json, files }, { coders });
    ms.push(performance.now() - t0);
    weightBytes = (a.weightData as ArrayBuffer).byteLength;
  }
  return { weightBytes, ms };
}

Object.assign(globalThis, { qfRun: run, qfDecodeBench: decodeBench });
