import type { AnyPlugin } from "@quantforge/core";
import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { fidelityEvaluator } from "@quantforge/evaluator-fidelity";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { gpfqQuantizer } from "@quantforge/quantizer-gpfq";
import { gptqQuantizer } from "@quantforge/quantizer-gptq";
import { hqqQuantizer } from "@quantforge/quantizer-hqq";
import { nf4Quantizer } from "@quantforge/quantizer-nf4";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { msqQuantizer, preprocessedMsqQuantizer } from "@quantforge/quantizer-preprocessed-msq";
import { autoQuantizer } from "@quantforge/quantizer-auto";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { supportRegionQuantizer } from "@quantforge/quantizer-support-region";
import { tfjsAffineQuantizer } from "@quantforge/quantizer-tfjs-affine";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";

/**
 * The built-in plugins. This explicit list is the only place plugins are registered (design §3):
 * plugin packages never register themselves. `quantforge list` sorts them by id within each kind.
 * To add a plugin: `pnpm create-plugin <kind> <name>` makes these edits for a new `packages/`
 * plugin (tooling/create-plugin/src/register-runner.ts); by hand, depend on its package in
 * `apps/runner/package.json`, add a tsconfig reference, import its factory here and call it at
 * the end of its kind's section below, and add its entry (metadata and loader) to
 * `BUILTIN_PLUGINS` in builtin-plugins.ts, which the CLI registers from without importing this
 * module (builtin-plugins.test.ts checks that both lists agree). Worker threads use this one.
 */
export function builtinPlugins(): AnyPlugin[] {
  return [
    // quantizers
    rtnQuantizer(),
    uniformMseQuantizer(),
    supportRegionQuantizer(),
    msqQuantizer(),
    preprocessedMsqQuantizer(),
    gpfqQuantizer(),
    gptqQuantizer(),
    hqqQuantizer(),
    nf4Quantizer(),
    hessianEcsqQuantizer(),
    tfjsAffineQuantizer(),
    // auto takes its candidates from the registry it is created with (built-in and loaded quantizers that declare themselves eligible).
    autoQuantizer(),
    // coders
    fixedCoder(),
    huffmanCoder(),
    ransCoder(),
    // evaluators
    accuracyEvaluator(),
    sqnrEvaluator(),
    sizeEvaluator(),
    fidelityEvaluator(),
  ];
}
