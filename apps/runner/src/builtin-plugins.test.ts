import { describe, expect, it } from "vitest";
import { BUILTIN_PLUGINS } from "./builtin-plugins.js";
import { runBuiltins } from "./commands/run.js";
import { builtinPlugins } from "./plugins.js";
import { cli } from "./__tests__/harness.js";

const meta = (p: { kind: string; id: string; version: string; description: string }) => ({ kind: p.kind, id: p.id, version: p.version, description: p.description });

describe("built-in plugin list (what `list` shows without importing the plugins)", () => {
  it("has the metadata of builtinPlugins(), in its order", () => {
    expect(BUILTIN_PLUGINS.map(meta)).toEqual(builtinPlugins().map(meta));
  });

  it("each entry loads the descriptor it describes", async () => {
    const loaded = await Promise.all(BUILTIN_PLUGINS.map((p) => p.load()));
    expect(loaded.map(meta)).toEqual(BUILTIN_PLUGINS.map(meta));
    for (const d of loaded) expect(typeof d.create).toBe("function");
  });

  it("`list --json` is the same whether the built-ins are imported or not", async () => {
    const lazy = await cli(["list", "--json"]);
    const eager = await cli(["list", "--json"], { plugins: builtinPlugins() });
    expect(lazy.code).toBe(0);
    expect(lazy.out).toBe(eager.out);
  });
});

describe("runBuiltins (the built-ins `run` imports)", () => {
  const ids = (f: ReturnType<typeof runBuiltins>) => BUILTIN_PLUGINS.filter((p) => f!(p)).map((p) => `${p.kind}/${p.id}`);

  it("its quantizer, coder and evaluators, plus accuracy with --model (a reference model adds it)", () => {
    expect(ids(runBuiltins({ quantizer: "rtn", evaluator: [], model: "mnist-mlp" }))).toEqual(["quantizer/rtn", "coder/fixed", "evaluator/accuracy", "evaluator/sqnr", "evaluator/size"]);
    expect(ids(runBuiltins({ quantizer: "nf4", coder: "huffman", evaluator: ["fidelity,sqnr"], model: "m.onnx" }))).toEqual(["quantizer/nf4", "coder/huffman", "evaluator/accuracy", "evaluator/sqnr", "evaluator/fidelity"]);
  });

  it("no accuracy evaluator for --weights (nothing there can add it)", () => {
    expect(ids(runBuiltins({ quantizer: "rtn", evaluator: [] }))).toEqual(["quantizer/rtn", "coder/fixed", "evaluator/sqnr", "evaluator/size"]);
    expect(ids(runBuiltins({ quantizer: "rtn", evaluator: ["accuracy,sqnr"] }))).toEqual(["quantizer/rtn", "coder/fixed", "evaluator/accuracy", "evaluator/sqnr"]);
  });

  it("all of them for auto (its candidates are the registered quantizers) and for an id that is not built in", () => {
    expect(runBuiltins({ quantizer: "auto" })).toBeUndefined();
    expect(runBuiltins({ quantizer: "mine" })).toBeUndefined();
    expect(runBuiltins({ quantizer: "rtn", coder: "mine" })).toBeUndefined();
    expect(runBuiltins({ quantizer: "rtn", evaluator: ["mine"] })).toBeUndefined();
  });

  it("an unknown id still lists every built-in of its kind", async () => {
    const r = await cli(["run", "--weights", "nowhere.safetensors", "--quantizer", "rtn", "--coder", "nope"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Known coders: fixed, huffman, rans.");
  });
});
