import type { Command } from "commander";
import { decodeQf } from "../decode.js";
import { parseByteSize } from "../options.js";
import { guardOutput, printJson } from "../output.js";
import type { Runtime } from "../runtime.js";
import { decodedMetadata, writeWeights } from "../weights-io.js";

/** `quantforge decode <file.qf> --out <restored.safetensors>`: the dequantized weights, F32. */
export function register(program: Command, rt: Runtime): void {
  const cmd = program
    .command("decode")
    .description("restore the dequantized float32 weights from a .qf file (bit-exactly what run evaluated)")
    .argument("<file.qf>", "a container written by quantforge run --out")
    .requiredOption("--out <file.safetensors>", "where to write the restored weights")
    .option("--json", "print what was written as JSON")
    .option("--max-memory <size>", "memory the decode may claim (e.g. 2G); default: a quarter of the machine's memory, at most 4 GiB, and at most 1024 elements per file byte (SECURITY.md)")
    .action(async (file: string, flags: { out: string; json?: boolean; maxMemory?: string }) => {
      // The output is checked before the (possibly large) decode: not the input, not empty, not a FIFO.
      const outOptions = { inputs: [file], flag: "--out" };
      await guardOutput(flags.out, outOptions);
      const d = await decodeQf(file, rt.registry, flags.maxMemory !== undefined ? { maxMemory: parseByteSize("--max-memory", flags.maxMemory) } : {});
      const quantizer = typeof d.metadata.quantizer === "string" ? d.metadata.quantizer : "unknown";
      await writeWeights(flags.out, d.weights, decodedMetadata(d.coderId, quantizer), outOptions);
      const count = d.weights.reduce((a, t) => a + t.data.length, 0);
      if (flags.json) printJson(rt, { out: flags.out, coder: d.coderId, quantizer: d.metadata.quantizer ?? null, tensors: d.weights.length, count });
      else rt.out(`wrote ${flags.out}: ${d.weights.length} tensors, ${count} weights (coder ${d.coderId})\n`);
    });
  // Only a coder decodes (the one the container names; all of them, so an unknown one lists them).
  rt.builtinsFor(cmd, () => (p) => p.kind === "coder");
}
