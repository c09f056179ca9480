// A pipeline in code: quantize → code → decode → evaluate one safetensors file.
// Run from the repository root after `pnpm build`:
//   pnpm quantforge synth --out /tmp/weights.safetensors
//   pnpm --filter @quantforge/runner exec tsx examples/pipeline.ts /tmp/weights.safetensors
import { pipeline, summarizeRun } from "@quantforge/core/host";
import { fixedCoder } from "@quantforge/coder-fixed";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { loadSafetensors } from "@quantforge/io-safetensors";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";

const weights = await loadSafetensors(process.argv[2] ?? "weights.safetensors");
const result = await pipeline({ seed: 1 })
  .weights(weights)
  .quantize({ plugin: rtnQuantizer(), options: { bits: 4 } })
  .code(fixedCoder())
  .evaluate(sqnrEvaluator(), sizeEvaluator())
  .run();

const { summary } = summarizeRun(result);
console.log(`rtn 4-bit: SQNR ${Number(summary.sqnrDb).toFixed(2)} dB, ${Number(summary.bitsPerWeight).toFixed(3)} bits/weight`);
console.log(`container: ${result.encoded!.bytes.length} bytes for ${summary.count} weights`);
