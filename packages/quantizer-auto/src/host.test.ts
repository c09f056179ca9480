import { defineQuantizer, z, type QuantizerPlugin } from "@quantforge/core";
import { CollectingDiagnostics, createHost, createRunContext, instantiate, PluginRegistry } from "@quantforge/core/host";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { describe, expect, it } from "vitest";
import { autoQuantizer, defaultCandidates, fieldCandidates } from "./index.js";
import { mlpProbe } from "./probe.test-support.js";

/** A third-party quantizer (rtn's grid under another id) that declares itself eligible, or not. */
function external(eligible: boolean, id = "ext-q"): QuantizerPlugin {
  const rtn = rtnQuantizer();
  return defineQuantizer({
    id,
    version: "0.0.1",
    description: "an external quantizer",
    options: z.object({ bits: z.number().int().min(1).max(16).default(8) }),
    create: (o) => ({ ...instantiate(rtn, { bits: o.bits, granularity: "channel" }), id }),
    ...(eligible ? { auto: { order: 5, candidates: [{ options: {}, bits: [2, 4, 8] }] } } : {}),
  });
}

/** The candidate count auto reports when capped at 1 (its error message names it). */
function candidateCount(host: ReturnType<typeof createHost>): number {
  try {
    instantiate(autoQuantizer(), { maxCandidates: 1 }, host);
    return 1;
  } catch (e) {
    return Number(/but (\d+) candidates/.exec((e as Error).message)?.[1]);
  }
}

const builtins = (): QuantizerPlugin[] => [rtnQuantizer(), uniformMseQuantizer(), hessianEcsqQuantizer()];

describe("auto takes its candidates from the host registry", () => {
  it("uses what the registered quantizers declare, without any configured plugin list", () => {
    const registry = new PluginRegistry(builtins());
    expect(candidateCount(createHost(registry))).toBe(65);
    // Without hessian-ecsq registered there is no k-means candidate.
    expect(candidateCount(createHost(new PluginRegistry([rtnQuantizer(), uniformMseQuantizer()])))).toBe(58);
  });

  it("adds a quantizer loaded at run time that declares itself eligible, in its declared order, and ignores one that does not", () => {
    const withExt = new PluginRegistry(builtins());
    withExt.add(external(true), { source: "./ext-q.mjs", path: "/abs/ext-q.mjs" });
    expect(candidateCount(createHost(withExt))).toBe(68);
    expect(defaultCandidates(withExt.list("quantizer") as QuantizerPlugin[]).map((c) => c.quantizer)[0]).toBe("ext-q");
    const without = new PluginRegistry(builtins());
    without.add(external(false), { source: "./ext-q.mjs" });
    expect(candidateCount(createHost(without))).toBe(65);
  });

  it("says in its diagnostics which loaded quantizers it considers; built-in runs stay as they were", async () => {
    const model = mlpProbe();
    const opts = { bits: 4, samples: 4, candidateBits: [2, 4] };
    const run = async (registry: PluginRegistry) => {
      const diagnostics = new CollectingDiagnostics();
      await instantiate(autoQuantizer({ cache: new WeakMap() }), opts, createHost(registry)).quantize(model.weights, createRunContext({ seed: 1, model, diagnostics }));
      return diagnostics.items;
    };
    const loaded = new PluginRegistry(builtins());
    loaded.add(external(true), { source: "./ext-q.mjs" });
    const notes = (await run(loaded)).filter((d) => d.ruleId === "candidates");
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toBe('auto considers quantizers loaded at run time: "ext-q" from ./ext-q.mjs (2 candidates); 18 candidates in all.');
    const summary = (await run(loaded)).find((d) => d.ruleId === "summary")!;
    expect(summary.message).toContain("18 candidates");
    expect((await run(new PluginRegistry(builtins()))).some((d) => d.ruleId === "candidates")).toBe(false);
  });

  it("opt-in candidates (gptq, hqq and nf4 declare theirs) stay out of the default list; fieldCandidates orders them", () => {
    const optIn = (id: string, order: number) =>
      defineQuantizer({ id, version: "1", description: "d", options: z.object({ bits: z.number() }), create: () => ({ id, quantize: () => ({ codebooks: [], tensors: [] }) }), auto: { order, optIn: [{ options: {}, bits: [4] }] } });
    const all = [optIn("nf4-like", 60), optIn("hqq-like", 50), optIn("gptq-like", 40), ...builtins()];
    expect(fieldCandidates(all).map((c) => c.quantizer)).toEqual(["gptq-like", "hqq-like", "nf4-like"]);
    expect(defaultCandidates(all)).toEqual(defaultCandidates(builtins()));
    expect(candidateCount(createHost(new PluginRegistry(all)))).toBe(65);
  });

  it("takes the `coder` option's coder from the host registry", () => {
    const registry = new PluginRegistry(builtins());
    expect(() => instantiate(autoQuantizer(), { coder: "nope" }, createHost(registry))).toThrow(/QF_UNKNOWN_PLUGIN|coder "nope"|unknown coder/i);
  });
});
