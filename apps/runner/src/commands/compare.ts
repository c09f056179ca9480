import type { Command } from "commander";
import { compareCommand, type CompareFlags } from "../compare/cli.js";
import { INPUT_RANGE_HELP, INPUT_SHAPE_HELP, MODEL_DATA_HELP, MODEL_HELP } from "../model-probe.js";
import { collect } from "../options.js";
import type { Runtime } from "../runtime.js";

/** `quantforge compare`: methods × bit rates (or sweeps) × coders on one model or weights file. */
export function register(program: Command, rt: Runtime): void {
  program
    .command("compare")
    .description("compare quantizers head-to-head: every quantizer × bit rate (or sweep) × coder on the same input; writes results.json, results.csv, report.md and report.html")
    .option("--model <id|model.json|model.onnx>", `${MODEL_HELP} (mnist-mlp/mnist-lenet5 add the accuracy evaluator)`)
    .option("--data <source>", MODEL_DATA_HELP)
    .option("--input-shape <name=d1,d2,…>", INPUT_SHAPE_HELP, collect)
    .option("--input-range <lo,hi|name=lo,hi>", INPUT_RANGE_HELP, collect)
    .option("--weights <file>", "a weights file instead of --model (.safetensors, tfjs model.json or weights manifest, .onnx)")
    .option("--quantizers <list>", "quantizers: id[:key=value,…],… — key=a|b|c sweeps an option (that quantizer then skips --bits); repeatable", collect)
    .option("--bits <list>", "bit rates for every quantizer without its own sweep, e.g. 2,3,4,8 or 2-8")
    .option("--coders <list>", "coders: id[:key=value,…],… (default fixed); repeatable", collect)
    .option("--evaluators <list>", "evaluators: id[:key=value,…],… (default sqnr,size; accuracy is added with mnist-mlp/mnist-lenet5; fidelity measures model outputs); repeatable", collect)
    .option("--seed <n>", "random seed of every cell (default 0)")
    .option("--timeout <seconds>", "per-cell time limit: a slower cell is marked failed (QF_TIMEOUT) and the run goes on")
    .option("--jobs <n>", "cells at a time: 1 runs them on the main thread, n > 1 in n worker threads (same results)")
    .option("--out <dir>", "output directory for results.json, results.csv, report.md, report.html")
    .option("--config <file.yaml|json>", "read the comparison from a config file (flags given too override its fields)")
    .option("--include <regex>", "quantize only tensors whose name matches (repeatable)", collect)
    .option("--exclude <regex>", "keep tensors whose name matches in float32 (repeatable)", collect)
    .option("--all-tensors", "quantize every tensor, biases included")
    .option("--allow-empty", "run even when no tensor is selected (else QF_NOTHING_TO_QUANTIZE, exit 2)")
    .option("--verify <results.json>", "re-run the comparison a results.json records and list every cell whose codes or metrics differ (exit 1 if any)")
    .option("--json", "print only the results document (or the verify report) on stdout")
    .option("--budget-seconds <s>", "time budget of every auto quantizer (its option budgetSeconds, default 25): the work it buys is fixed from the model's size, so results do not depend on the machine")
    .option("--queue <redis://host:port[/db]>", "run the cells on `quantforge worker` processes through a BullMQ queue in this Redis (same results as a local run)")
    .option("--queue-name <name>", "the queue's name (default quantforge-cells)")
    .option("--resume", "reuse the finished cells of --out's results.json (matched by cell hash) and run only the others")
    .option("--quiet", "no progress on stderr")
    .action((flags: CompareFlags) => compareCommand(rt, flags));
}
