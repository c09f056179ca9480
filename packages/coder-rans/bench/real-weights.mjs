/**
 * Whole-file bits per weight of `quantforge run` with each coder vs the codes' per-tensor
 * zeroth-order entropy, on any tfjs model.json / weights manifests given on the command line
 * (joint k-means, 16 clusters, unless --option pairs are given).
 * Every tensor is quantized (--all-tensors), so the container holds nothing but codes, codebooks
 * and headers: "everything counted" is the container's totalBytes.
 *
 *   node packages/coder-rans/bench/real-weights.mjs [--coders rans,huffman] [--option k=v …] model.json …
 *
 * Needs a built runner (pnpm build). Prints one row per model and coder and a total: `gap` is the
 * whole file's bits/weight minus the entropy, `streamGap` the same for the coded streams alone
 * (tables, states and stream headers included; container names and metadata left out).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../../apps/runner/dist/cli.js", import.meta.url));
const args = process.argv.slice(2);
let coders = ["rans", "huffman"];
const options = [];
const models = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--coders") coders = args[++i].split(",");
  else if (args[i] === "--option") options.push("--option", args[++i]);
  else models.push(args[i]);
}
if (options.length === 0) options.push("--option", "mode=kmeans", "--option", "clusters=16", "--option", "importance=none");
const totals = Object.fromEntries(coders.map((c) => [c, { bytes: 0, header: 0, count: 0, entropy: 0, tensors: 0, streams: 0 }]));
const rows = [];
// The .qf files as the CLI writes them: the gap counts their real size on disk.
const dir = mkdtempSync(join(tmpdir(), "qf-real-weights-"));
for (const model of models) {
  for (const coder of coders) {
    // Weights manifests (no topology) are read as weights; model.json files as models.
    const input = /manifest\.json$/.test(model) ? ["--weights", model] : ["--model", model];
    let out;
    try {
      out = execFileSync("node", [cli, "run", ...input, "--all-tensors", "--quantizer", "hessian-ecsq", ...options, "--coder", coder, "--out", join(dir, "model.qf"), "--json"], {
        maxBuffer: 1 << 28,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      // E.g. a graph model whose input shape is unknown: say so and go on with the others.
      console.error(
        `skipped ${model} (${coder}): ${
          String(e.stderr ?? e.message)
            .trim()
            .split("\n")[0]
        }`,
      );
      continue;
    }
    const r = JSON.parse(out);
    let h = 0,
      n = 0,
      streams = 0;
    // t.bytes: the tensor's stream (its table, states and stream header) plus its codebook share.
    for (const t of r.tensors) {
      h += t.entropyBits * t.count;
      n += t.count;
      streams += t.bytes;
    }
    const s = r.summary;
    const fileBytes = statSync(join(dir, "model.qf")).size;
    if (fileBytes !== s.bytes) throw new Error(`${model} (${coder}): the report says ${s.bytes} bytes, the file has ${fileBytes}`);
    const t = totals[coder];
    t.bytes += s.bytes;
    t.header += s.headerBytes;
    t.count += n;
    t.entropy += h;
    t.tensors += r.tensors.length;
    t.streams += streams;
    rows.push({
      model: model.split("/").pop(),
      coder,
      tensors: r.tensors.length,
      weights: n,
      bytes: s.bytes,
      headerBytes: s.headerBytes,
      passthroughBytes: s.passthroughBytes,
      bitsPerWeight: +((s.bytes * 8) / n).toFixed(4),
      entropy: +(h / n).toFixed(4),
      gap: +((s.bytes * 8 - h) / n).toFixed(4),
      streamGap: +((streams * 8 - h) / n).toFixed(4),
    });
  }
}
for (const [coder, t] of Object.entries(totals))
  rows.push({
    model: "TOTAL",
    coder,
    tensors: t.tensors,
    weights: t.count,
    bytes: t.bytes,
    headerBytes: t.header,
    passthroughBytes: 0,
    bitsPerWeight: +((t.bytes * 8) / t.count).toFixed(4),
    entropy: +(t.entropy / t.count).toFixed(4),
    gap: +((t.bytes * 8 - t.entropy) / t.count).toFixed(4),
    streamGap: +((t.streams * 8 - t.entropy) / t.count).toFixed(4),
  });
rmSync(dir, { recursive: true, force: true });
console.table(rows);
