import { describe, expect, it } from "vitest";
import { container as rootContainer } from "tsyringe";
import { z } from "zod";
import { ErrorCodes, InvalidPluginError, isQuantforgeError } from "./errors.js";
import { defineCoder, defineEvaluator, defineQuantizer, type AnyPlugin } from "./plugin.js";
import { PluginRegistry, assertPluginDescriptor, registerPlugins } from "./registry.js";
import { CODER_PLUGIN, EVALUATOR_PLUGIN, PLUGIN_REGISTRY, QUANTIZER_PLUGIN } from "./tokens.js";

const q = (id: string, version = "1.0.0") => defineQuantizer({ id, version, description: `q ${id}`, options: z.object({}), create: () => ({ id, quantize: () => ({ codebooks: [], tensors: [] }) }) });
const c = (id: string) =>
  defineCoder({
    id,
    version: "1.0.0",
    description: "c",
    options: z.object({}),
    create: () => ({
      id,
      encode: () => new Uint8Array(0),
      decode: () => {
        throw new Error("no");
      },
    }),
  });
const e = (id: string) => defineEvaluator({ id, version: "1.0.0", description: "e", options: z.object({}), create: () => ({ id, scope: "tensor" as const, evaluate: () => [] }) });

function thrown(f: () => unknown): { code?: string; message: string } {
  try {
    f();
  } catch (err) {
    return { code: isQuantforgeError(err) ? err.code : undefined, message: (err as Error).message };
  }
  throw new Error("expected an error");
}

describe("PluginRegistry", () => {
  it("indexes plugins by kind and id and lists them sorted", () => {
    const r = new PluginRegistry([q("rtn"), q("alpha"), c("fixed"), e("sqnr")]);
    expect(r.quantizer("rtn").id).toBe("rtn");
    expect(r.coder("fixed").kind).toBe("coder");
    expect(r.evaluator("sqnr").kind).toBe("evaluator");
    expect(r.list("quantizer").map((p) => p.id)).toEqual(["alpha", "rtn"]);
    expect(r.list().map((p) => `${p.kind}:${p.id}`)).toEqual(["quantizer:alpha", "quantizer:rtn", "coder:fixed", "evaluator:sqnr"]);
    expect(r.has("coder", "fixed")).toBe(true);
    expect(r.has("quantizer", "fixed")).toBe(false);
    expect(r.origin(r.quantizer("rtn"))).toEqual({ source: "builtin" });
  });

  it("treats the same descriptor object twice as a no-op", () => {
    const p = q("rtn");
    const r = new PluginRegistry([p, p]);
    r.add(p);
    expect(r.list("quantizer")).toHaveLength(1);
  });

  it("rejects a different descriptor with the same kind and id (QF_DUPLICATE_PLUGIN, both versions named)", () => {
    const r = new PluginRegistry([q("rtn", "1.0.0")]);
    const err = thrown(() => r.add(q("rtn", "2.0.0"), { source: "my-plugin" }));
    expect(err.code).toBe(ErrorCodes.DUPLICATE_PLUGIN);
    expect(err.message).toContain("1.0.0");
    expect(err.message).toContain("2.0.0 (my-plugin)");
    // Same id, other kind: allowed.
    expect(() => r.add(c("rtn") as AnyPlugin)).not.toThrow();
  });

  it("rejects unknown ids with QF_UNKNOWN_PLUGIN listing the known ids", () => {
    const r = new PluginRegistry([q("rtn"), q("gptq"), c("fixed")]);
    const err = thrown(() => r.quantizer("nope"));
    expect(err.code).toBe(ErrorCodes.UNKNOWN_PLUGIN);
    expect(err.message).toContain('"nope"');
    expect(err.message).toContain("gptq, rtn");
    expect(thrown(() => r.evaluator("sqnr")).message).toContain("(none)");
    expect(thrown(() => r.coder("rtn")).message).toContain("fixed");
  });

  it.each([
    ["not an object", 42, "(object)"],
    ["null", null, "(object)"],
    ["bad kind", { ...q("x"), kind: "transformer" }, "kind"],
    ["missing id", { ...q("x"), id: undefined }, "id"],
    ["non-kebab id", { ...q("x"), id: "My Quantizer" }, "id"],
    ["empty version", { ...q("x"), version: "" }, "version"],
    ["missing description", { ...q("x"), description: 3 }, "description"],
    ["missing parseOptions", { ...q("x"), parseOptions: undefined }, "parseOptions"],
    ["missing create", { ...q("x"), create: "no" }, "create"],
  ])("rejects a malformed descriptor (%s) with QF_INVALID_PLUGIN naming the field", (_what, d, field) => {
    const err = thrown(() => new PluginRegistry([d as AnyPlugin]));
    expect(err.code).toBe(ErrorCodes.INVALID_PLUGIN);
    expect(err.message).toContain(`field "${field}"`);
    expect(() => assertPluginDescriptor(d)).toThrow(InvalidPluginError);
  });
});

describe("tsyringe registration", () => {
  it("registerPlugins registers each plugin once, in the registry; fromContainer returns that registry", () => {
    const root = rootContainer.createChildContainer();
    const plugins = [q("rtn"), q("uniform"), c("fixed"), e("sqnr"), e("size")];
    const reg = registerPlugins(root, plugins);
    expect(root.resolve(PLUGIN_REGISTRY)).toBe(reg);
    // The per-kind tokens are deprecated: nothing is registered under them any more.
    for (const tok of [QUANTIZER_PLUGIN, CODER_PLUGIN, EVALUATOR_PLUGIN]) expect(root.isRegistered<unknown>(tok, true)).toBe(false);
    const again = PluginRegistry.fromContainer(root);
    expect(again).toBe(reg);
    expect(again.quantizer("rtn")).toBe(plugins[0]);
    // Per-run child containers see the root's plugins, including ones added to the registry later.
    reg.add(q("late"), { source: "./late.js" });
    expect(PluginRegistry.fromContainer(root.createChildContainer()).list()).toHaveLength(6);
  });

  it("fromContainer works on an empty container and registerPlugins rejects duplicates", () => {
    expect(PluginRegistry.fromContainer(rootContainer.createChildContainer()).list()).toEqual([]);
    const err = thrown(() => registerPlugins(rootContainer.createChildContainer(), [q("rtn", "1"), q("rtn", "2")]));
    expect(err.code).toBe(ErrorCodes.DUPLICATE_PLUGIN);
  });
});
