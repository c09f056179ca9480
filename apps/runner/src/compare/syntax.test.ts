import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadCompareConfig, resolveCompareConfig, validateCompareConfig } from "./config.js";
import { parseBitsList, parsePluginList, parseQuantizerList, splitTopLevel } from "./syntax.js";

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return "no error";
};

describe("--quantizers syntax", () => {
  it("splits ids, options and sweeps", () => {
    expect(parseQuantizerList(["rtn,uniform-mse:design=iterative,mode=matched", "hessian-ecsq:mode=uniform,step=0.01|0.02|0.04,importance=none"])).toEqual([
      { id: "rtn", options: {} },
      { id: "uniform-mse", options: { design: "iterative", mode: "matched" } },
      { id: "hessian-ecsq", options: { mode: "uniform", importance: "none" }, sweep: { step: [0.01, 0.02, 0.04] } },
    ]);
    // bits on a quantizer is always its own sweep (so --bits does not override it).
    expect(parseQuantizerList(["support-region:bits=2|3,support=optimal", "rtn:bits=4,granularity.kind=channel"])).toEqual([
      { id: "support-region", options: { support: "optimal" }, sweep: { bits: [2, 3] } },
      { id: "rtn", options: { granularity: { kind: "channel" } }, sweep: { bits: [4] } },
    ]);
    expect(parseQuantizerList(["preprocessed-msq:levels=[-1,0,1],x=true"])).toEqual([{ id: "preprocessed-msq", options: { levels: [-1, 0, 1], x: true } }]);
    expect(splitTopLevel('a=[1,2],b={"c":"x,y"},d', ",")).toEqual(["a=[1,2]", 'b={"c":"x,y"}', "d"]);
  });

  it("rejects malformed lists with a usage error saying what to write", () => {
    expect(usage(() => parseQuantizerList(["bits=4"]))).toMatch(/^QF_USAGE: --quantizers: option "bits=4" comes before any plugin id/);
    expect(usage(() => parseQuantizerList(["Rtn"]))).toMatch(/^QF_USAGE: --quantizers: "Rtn" is not a plugin id/);
    expect(usage(() => parseQuantizerList(["rtn:bits"]))).toMatch(/"bits" is not key=value/);
    expect(usage(() => parseQuantizerList(["rtn:bits=2|3,bits=4"]))).toMatch(/option "bits" of "rtn" is given twice/);
    expect(usage(() => parseQuantizerList(["x:step=1|"]))).toMatch(/empty value in its sweep list/);
    expect(usage(() => parsePluginList("--coders", ["huffman:maxLength=8|12"]))).toMatch(/only quantizers can sweep/);
    expect(parsePluginList("--coders", ["fixed,huffman:maxLength=12"])).toEqual([
      { id: "fixed", options: {} },
      { id: "huffman", options: { maxLength: 12 } },
    ]);
  });

  it("parses --bits lists and ranges", () => {
    expect(parseBitsList("2,3,4,8")).toEqual([2, 3, 4, 8]);
    expect(parseBitsList("2-4, 8,3")).toEqual([2, 3, 4, 8]);
    for (const bad of ["", "0", "2.5", "4-2", "x", "33"]) expect(usage(() => parseBitsList(bad))).toMatch(/^QF_USAGE: --bits/);
  });
});

describe("config files", () => {
  it("reads YAML and JSON, resolves paths against the file, and applies defaults", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qf-config-"));
    try {
      await writeFile(
        join(dir, "c.yaml"),
        [
          "weights: w.safetensors",
          "quantizers:",
          "  - rtn",
          "  - id: hessian-ecsq",
          "    options: { mode: uniform, importance: none }",
          "    sweep: { step: [0.01, 0.02] }",
          '  - "uniform-mse:bits=2|4"',
          "bits: 2-3",
          "coders: [fixed, { id: huffman }]",
          "seed: 9",
          "timeout: 30",
        ].join("\n"),
      );
      const r = resolveCompareConfig(await loadCompareConfig(join(dir, "c.yaml")), dir, "c.yaml");
      expect(r).toEqual({
        weights: join(dir, "w.safetensors"),
        quantizers: [
          { id: "rtn", options: {} },
          { id: "hessian-ecsq", options: { mode: "uniform", importance: "none" }, sweep: { step: [0.01, 0.02] } },
          { id: "uniform-mse", options: {}, sweep: { bits: [2, 4] } },
        ],
        bits: [2, 3],
        coders: [
          { id: "fixed", options: {} },
          { id: "huffman", options: {} },
        ],
        evaluators: [
          { id: "sqnr", options: {} },
          { id: "size", options: {} },
        ],
        seed: 9,
        timeout: 30,
        include: [],
        exclude: [],
        allTensors: false,
      });
      // The resolved config is itself a valid config (the manifest is re-read by --verify).
      expect(resolveCompareConfig(validateCompareConfig(JSON.parse(JSON.stringify(r)), "m"), "/elsewhere", "m")).toEqual(r);
      await writeFile(join(dir, "c.json"), JSON.stringify({ model: "mnist-mlp", quantizers: ["rtn"], evaluators: ["sqnr"] }));
      const m = resolveCompareConfig(await loadCompareConfig(join(dir, "c.json")), dir, "c.json");
      expect(m).toMatchObject({ model: "mnist-mlp", data: "embedded", bits: [], evaluators: [{ id: "sqnr" }, { id: "accuracy" }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the bad field", async () => {
    const field = (raw: unknown) => {
      try {
        resolveCompareConfig(validateCompareConfig(raw, "config"), "/", "config");
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).code).toBe("QF_USAGE");
        expect((e as Error).message).toMatch(/^config: field "[^"]+" .+\. Fix that field\.$/);
        return (e as ConfigError).field;
      }
      return "no error";
    };
    const base = { weights: "w.safetensors", quantizers: ["rtn"] };
    expect(field({ ...base, colors: 3 })).toBe("colors");
    expect(field({ ...base, quantizers: [] })).toBe("quantizers");
    expect(field({ ...base, quantizers: ["rtn", { id: "x", sweep: { step: [] } }] })).toBe("quantizers[1].sweep.step");
    expect(field({ ...base, quantizers: [{ id: "x", sweep: { "a.b": [1] } }] })).toBe("quantizers[0].sweep.a.b");
    expect(field({ ...base, quantizers: ["rtn", "bits=3"] })).toBe("quantizers[1]");
    expect(field({ ...base, bits: [2, 0] })).toBe("bits[1]");
    expect(field({ ...base, bits: "2,x" })).toBe("bits");
    expect(field({ ...base, coders: [{ id: "fixed", opts: {} }] })).toBe("coders[0].opts");
    expect(field({ ...base, seed: -1 })).toBe("seed");
    expect(field({ ...base, timeout: 0 })).toBe("timeout");
    expect(field({ quantizers: ["rtn"] })).toBe("model");
    expect(field({ ...base, model: "mnist-mlp" })).toBe("weights");
    expect(field({ ...base, data: "embedded" })).toBe("data");
  });

  it("reports unreadable and malformed files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qf-config-"));
    try {
      await expect(loadCompareConfig(join(dir, "missing.yaml"))).rejects.toMatchObject({ code: "QF_IO" });
      await writeFile(join(dir, "bad.yaml"), "quantizers: [rtn\n");
      await expect(loadCompareConfig(join(dir, "bad.yaml"))).rejects.toMatchObject({ code: "QF_FORMAT" });
      await writeFile(join(dir, "bad.json"), "{");
      await expect(loadCompareConfig(join(dir, "bad.json"))).rejects.toMatchObject({ code: "QF_FORMAT", message: expect.stringMatching(/is not valid JSON/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
