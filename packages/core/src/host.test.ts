import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorCodes, isQuantforgeError } from "./errors.js";
import { createHost, type PluginHost } from "./host.js";
import { defineCoder, defineQuantizer, instantiate, type Quantizer } from "./plugin.js";
import { runPipeline } from "./pipeline.js";
import { PluginRegistry, assertPluginDescriptor, standaloneHost } from "./registry.js";
import { rawTestCoder } from "./testing/fixtures.js";

const none = (id: string): Quantizer => ({ id, quantize: () => ({ codebooks: [], tensors: [] }) });
/** A quantizer that records the host it was created with. */
function spy(seen: PluginHost[], id = "spy") {
  return defineQuantizer({
    id,
    version: "1.0.0",
    description: "records its host",
    options: z.object({}),
    create: (_o, host) => {
      seen.push(host);
      return none(id);
    },
  });
}
/** A factory written before hosts existed: `create(options)` only. */
const legacy = defineQuantizer({ id: "legacy", version: "1.0.0", description: "old", options: z.object({ bits: z.number().default(8) }), create: (o) => none(`legacy${o.bits}`) });

describe("plugin host", () => {
  it("is frozen, read-only and lists the run's coders", () => {
    const registry = new PluginRegistry([legacy]);
    const host = createHost(registry, { coders: ["fixed"] });
    expect(Object.isFrozen(host)).toBe(true);
    expect(Object.isFrozen(host.coders)).toBe(true);
    expect(host.coders).toEqual(["fixed"]);
    expect(host.registry.quantizer("legacy")).toBe(legacy);
    expect(createHost(registry).coders).toEqual([]);
  });

  it("instantiate passes the given host, or a host whose registry holds the plugin alone", () => {
    const seen: PluginHost[] = [];
    const p = spy(seen);
    const host = standaloneHost([p, legacy]);
    instantiate(p, {}, host);
    expect(seen[0]).toBe(host);
    instantiate(p);
    expect(seen[1]!.registry.list().map((x) => x.id)).toEqual(["spy"]);
    // Factories that ignore the host keep working.
    expect(instantiate(legacy, { bits: 4 }).id).toBe("legacy4");
  });

  it("runPipeline gives descriptors its host, by default one over the descriptors it was given", async () => {
    const seen: PluginHost[] = [];
    const p = spy(seen);
    const w = [{ name: "w", shape: [2], data: new Float32Array([1, 2]) }];
    await runPipeline({ weights: w, quantizer: p, coder: rawTestCoder(), options: { allowEmpty: true } }).catch(() => undefined);
    expect(seen[0]!.registry.list().map((x) => `${x.kind}:${x.id}`)).toEqual(["quantizer:spy", "coder:raw-test"]);
    expect(seen[0]!.coders).toEqual(["raw-test"]);
    const host = standaloneHost([legacy]);
    await runPipeline({ weights: w, quantizer: { plugin: p, options: {} }, host, options: { allowEmpty: true } }).catch(() => undefined);
    expect(seen[1]).toBe(host);
  });
});

describe("auto eligibility", () => {
  const decl = { candidates: [{ options: { granularity: "tensor" }, bits: [2, 4] }], order: 5, costly: (o: Readonly<Record<string, unknown>>) => o.granularity === "tensor" };

  it("defineQuantizer keeps the declaration on the frozen descriptor", () => {
    const p = defineQuantizer({ id: "elig", version: "1.0.0", description: "d", options: z.object({}).passthrough(), create: () => none("elig"), auto: decl });
    expect(p.auto?.candidates).toEqual(decl.candidates);
    expect(p.auto?.costly?.({ granularity: "tensor" })).toBe(true);
    expect(Object.isFrozen(p.auto)).toBe(true);
    expect(defineQuantizer({ id: "plain", version: "1.0.0", description: "d", options: z.object({}), create: () => none("plain") }).auto).toBeUndefined();
  });

  it.each([
    [{ candidates: "x" }, "candidates must be an array"],
    [{ candidates: [{ bits: [2] }] }, "candidates[0].options must be an object"],
    [{ optIn: [{ options: {}, bits: [] }] }, "optIn[0].bits must be a non-empty array"],
    [{ order: Number.NaN }, "order must be a finite number"],
    [{ costly: true }, "costly must be a function"],
    [7, "must be an object"],
  ])("a malformed declaration %j is QF_INVALID_PLUGIN (%s)", (auto, problem) => {
    const d = { kind: "quantizer", id: "bad", version: "1", description: "d", parseOptions: () => ({}), create: () => none("bad"), auto };
    let err: unknown;
    try {
      assertPluginDescriptor(d);
    } catch (e) {
      err = e;
    }
    expect(isQuantforgeError(err) && err.code).toBe(ErrorCodes.INVALID_PLUGIN);
    expect((err as Error).message).toContain(problem);
  });

  it("only quantizers declare it", () => {
    const c = defineCoder({
      id: "c",
      version: "1",
      description: "d",
      options: z.object({}),
      create: () => ({
        id: "c",
        encode: () => new Uint8Array(0),
        decode: () => {
          throw new Error("no");
        },
      }),
    });
    expect(() => assertPluginDescriptor({ ...c, auto: {} })).toThrow(/only quantizers declare it/);
  });
});
