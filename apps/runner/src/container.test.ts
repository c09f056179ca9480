import { describe, expect, it } from "vitest";
import { ErrorCodes, type PluginHost } from "@quantforge/core";
import { createRunContext, PLUGIN_REGISTRY, QUANTIZER_PLUGIN, RUN_CONFIG, RUN_CONTEXT } from "@quantforge/core/host";
import { coarseTestQuantizer, rawTestCoder } from "@quantforge/core/testing";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { countEvaluator } from "./__tests__/mocks.js";
import { createRootContainer, createRunContainer } from "./container.js";
import { RunJob } from "./run-job.js";

const plugins = () => [coarseTestQuantizer(), rawTestCoder(), countEvaluator("sqnr")];
const config = { quantizer: { id: "coarse-test" }, coder: { id: "raw-test" }, evaluators: [{ id: "sqnr" }] };

describe("containers", () => {
  it("the root holds the registry, where each plugin is registered once; the run child holds config and context", () => {
    const { root, registry } = createRootContainer(plugins());
    expect(root.resolve(PLUGIN_REGISTRY)).toBe(registry);
    expect(registry.list("quantizer").map((p) => p.id)).toEqual(["coarse-test"]);
    expect(root.isRegistered(QUANTIZER_PLUGIN, true)).toBe(false);
    const ctx = createRunContext({ seed: 9 });
    const child = createRunContainer(root, config, ctx);
    expect(child.resolve(RUN_CONFIG)).toBe(config);
    expect(child.resolve(RUN_CONTEXT)).toBe(ctx);
    expect(root.isRegistered(RUN_CONFIG, true)).toBe(false);
  });
  it("two roots never share registrations", () => {
    const a = createRootContainer(plugins());
    const b = createRootContainer([rawTestCoder()]);
    expect(a.registry.list("quantizer")).toHaveLength(1);
    expect(b.registry.list("quantizer")).toHaveLength(0);
  });
  it("a duplicate id is rejected at registration", () => {
    const dup = { ...coarseTestQuantizer(), version: "9.9.9" };
    expect(() => createRootContainer([coarseTestQuantizer(), dup])).toThrow(expect.objectContaining({ code: ErrorCodes.DUPLICATE_PLUGIN }));
  });
  it("RunJob gets every dependency through @inject and runs the pipeline with the run's seed", async () => {
    const { root } = createRootContainer(plugins());
    const job = createRunContainer(root, config, createRunContext({ seed: 4 })).resolve(RunJob);
    const weights = [{ name: "w", shape: [3], data: new Float32Array([0, 1, 2]) }];
    const r = await job.execute(weights);
    expect(r.seed).toBe(4);
    expect(r.quantizer).toEqual({ id: "coarse-test", options: {} });
    expect(r.metrics).toEqual([{ name: "quantizedTensors", value: 1 }]);
  });
  it("RunJob creates every plugin with a host over the root's registry and the run's coder", () => {
    const seen: PluginHost[] = [];
    const base = coarseTestQuantizer();
    const spy = {
      ...base,
      create: (o: never, host?: PluginHost) => {
        seen.push(host!);
        return base.create(o, host);
      },
    };
    const { root, registry } = createRootContainer([spy, rawTestCoder(), countEvaluator("sqnr")]);
    createRunContainer(root, config, createRunContext({ seed: 4 }))
      .resolve(RunJob)
      .prepare();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.registry).toBe(registry);
    expect(seen[0]!.coders).toEqual(["raw-test"]);
  });
  it("RunJob warns once about a deprecated option spelling, first among the run's diagnostics, and records it as given", async () => {
    const { root } = createRootContainer([uniformMseQuantizer(), rawTestCoder(), countEvaluator("sqnr")]);
    const weights = ["a", "b", "c"].map((name, i) => ({ name, shape: [4], data: new Float32Array([i, 1, -2, 3]) }));
    const run = (granularity: string) =>
      createRunContainer(root, { ...config, quantizer: { id: "uniform-mse", options: { bits: 4, granularity } } }, createRunContext({ seed: 1 }))
        .resolve(RunJob)
        .execute(weights);
    const old = await run("layer");
    const neu = await run("tensor");
    expect(old.diagnostics.filter((d) => d.ruleId === "deprecated-option").map((d) => d.message)).toEqual(["option granularity=layer is deprecated; use granularity=tensor"]);
    expect(old.diagnostics[0]!.ruleId).toBe("deprecated-option");
    expect(neu.diagnostics.filter((d) => d.ruleId === "deprecated-option")).toEqual([]);
    expect(old.quantizer.options).toEqual(neu.quantizer.options);
    expect(old.quantized.tensors.map((t) => t.codes)).toEqual(neu.quantized.tensors.map((t) => t.codes));
  });
});
