// Compare quantizers in code: every quantizer × bit rate (or sweep point) × coder on the same
// weights, with the same evaluators and seed. Run from the repository root:
//   pnpm --filter @quantforge/runner exec tsx --conditions=@quantforge/source examples/compare.ts
import { Rng, type WeightSet } from "@quantforge/core";
import { compare } from "@quantforge/core/host";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { normalizedSqnr } from "@quantforge/metrics";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";

// Two seeded Laplacian layers of different spread (any WeightSet works: loadSafetensors(…), a model's weights, …).
const rng = new Rng(7);
const layer = (name: string, n: number, sigma: number) => ({ name, shape: [n], data: Float32Array.from({ length: n }, () => rng.laplace(sigma)) });
const weights: WeightSet = [layer("fc1/kernel", 20_000, 0.05), layer("fc2/kernel", 5_000, 0.2)];

const { cells, total, aborted } = await compare({
  weights,
  quantizers: [rtnQuantizer(), uniformMseQuantizer()],
  bits: [2, 4, 8],
  coders: [fixedCoder(), huffmanCoder()],
  evaluators: [sqnrEvaluator(), sizeEvaluator()],
  seed: 1,
  normalize: normalizedSqnr, // σ-normalised SQNR per cell (core computes no metric itself)
  concurrency: 2, // cells in flight at once; results keep plan order and do not change
  timeoutMs: 60_000, // a slower cell is marked failed (QF_TIMEOUT) and the rest go on
  onCell: (cell, done, n) => console.error(`${done}/${n} ${cell.label} ${cell.bits}-bit + ${cell.coder}: ${cell.status}`),
});

for (const c of cells) {
  const s = c.result?.summary;
  const line =
    c.status === "ok"
      ? `SQNR ${Number(s!.sqnrDb).toFixed(2)} dB, ${Number(s!.bitsPerWeight).toFixed(3)} bits/weight, σ-normalised SQNR ${c.normalized!.sqnrDb!.toFixed(2)} dB, codes ${c.codesSha256!.slice(0, 12)}…`
      : `failed: ${c.error!.code} ${c.error!.message}`;
  console.log(`${c.label.padEnd(12)} ${String(c.bits).padStart(2)}-bit ${c.coder.padEnd(8)} ${line}`);
}
if (aborted) console.log(`stopped after ${cells.length} of ${total} cells`);
