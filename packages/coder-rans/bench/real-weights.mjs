/**
 * Whole-file bits per weight of `quantforge run` with each coder vs the codes' per-tensor
 * zeroth-order entropy, on any tfjs model.json / weights manifests given on the command line.
 * Every tensor is quantized (--all-tensors), so the container holds nothing but codes, codebooks
 * and headers: "everything counted" is the container's totalBytes.
 *
 *   node packages/coder-rans/bench/real-weights.mjs [--coders rans,huffman] [--option k=v …] model.json …
 *
 * Needs a built runner (pnpm build). Prints one row per model and coder and a total.
 */
import { execFileSync } from "node:child_process";
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
const totals = Object.fromEntries(coders.map((c) => [c, { bytes: 0, header: 0, count: 0, entropy: 0, tensors: 0 }]));
const rows = [];
for (const model of models) {
  for (const coder of coders) {
    const out = execFileSync("node", [cli, "run", "--model", model, "--all-tensors", "--quantizer", "hessian-ecsq", ...options, "--coder", coder, "--json"], { maxBuffer: 1 << 28, encoding: "utf8" });
    const r = JSON.parse(out);
    let h = 0, n = 0;
    for (const t of r.tensors) { h += t.entropyBits * t.count; n += t.count; }
    const s = r.summary;
    const t = totals[coder];
    t.bytes += s.bytes; t.header += s.headerBytes; t.count += n; t.entropy += h; t.tensors += r.tensors.length;
    rows.push({ model: model.split("/").pop(), coder, tensors: r.tensors.length, weights: n, bytes: s.bytes, headerBytes: s.headerBytes, passthroughBytes: s.passthroughBytes, bitsPerWeight: +(s.bytes * 8 / n).toFixed(4), entropy: +(h / n).toFixed(4), gap: +((s.bytes * 8 - h) / n).toFixed(4) });
  }
}
for (const [coder, t] of Object.entries(totals)) rows.push({ model: "TOTAL", coder, tensors: t.tensors, weights: t.count, bytes: t.bytes, headerBytes: t.header, passthroughBytes: 0, bitsPerWeight: +(t.bytes * 8 / t.count).toFixed(4), entropy: +(t.entropy / t.count).toFixed(4), gap: +((t.bytes * 8 - t.entropy) / t.count).toFixed(4) });
console.table(rows);
