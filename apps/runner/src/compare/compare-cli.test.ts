import { readFile, readdir, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineQuantizer, perTensorQuantizer, z, type AnyPlugin } from "@quantforge/core";
import { cli, errorCode, tempDir } from "../__tests__/harness.js";
import { buggyQuantizer } from "../__tests__/mocks.js";
import { builtinPlugins } from "../plugins.js";

/** A quantizer that sleeps `ms` before quantizing (for the timeout), else rounds to a grid of step 0.01. */
function slowQuantizer(): AnyPlugin {
  return defineQuantizer({
    id: "slow",
    version: "0.0.0",
    description: "sleeps (tests only)",
    options: z.strictObject({ ms: z.number().default(0), bits: z.number().optional() }),
    create: (o) => ({
      id: "slow",
      async quantize(ws, ctx) {
        await new Promise((r) => setTimeout(r, o.ms));
        return perTensorQuantizer("slow", (t) => {
          const codes = Uint32Array.from(t.data, (v) => Math.min(255, Math.max(0, Math.round(v / 0.01) + 128)));
          return { codebook: { kind: "affine", levels: 256, scale: Float32Array.from([0.01]), zeroPoint: Float32Array.from([128]) }, codes, grouping: { kind: "tensor" } };
        }).quantize(ws, ctx);
      },
    }),
  });
}

/** The built-in plugins plus test plugins that fail on purpose. */
const plugins = (): AnyPlugin[] => [...builtinPlugins(), buggyQuantizer(), slowQuantizer()];
const run = (args: string[], o: { isTTY?: boolean } = {}) => cli(["compare", ...args], { plugins: plugins(), ...o });

let t: Awaited<ReturnType<typeof tempDir>>;
let weights: string;
beforeAll(async () => {
  t = await tempDir();
  weights = t.path("w.safetensors");
  expect((await cli(["synth", "--out", weights, "--seed", "4", "--tensors", "fc1:96x64:0.05,fc2:10x96:0.2,fc2.bias:10:0.01"])).code).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
});

type Doc = { manifest: Record<string, any>; totals: Record<string, number>; interrupted: boolean; cells: Record<string, any>[] };
const readDoc = async (dir: string): Promise<Doc> => JSON.parse(await readFile(`${dir}/results.json`, "utf8")) as Doc;
const timeless = (d: Doc) => ({ ...d, totals: { ...d.totals, seconds: 0 }, cells: d.cells.map((c) => ({ ...c, seconds: 0 })) });

describe("compare where every cell fails", () => {
  it("writes the files and exits with the first cell's error (nothing compared is no success)", async () => {
    const out = t.path("all-failed");
    const r = await run(["--weights", weights, "--quantizers", "buggy:bits=3|4", "--out", out, "--json", "--seed", "5"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error QF_INTERNAL: every one of the 2 cells failed \(results\.json, .* hold each error\); the first: cannot read properties of undefined/m);
    const doc = await readDoc(out);
    expect(doc.cells.map((c) => c.status)).toEqual(["failed", "failed"]);
    expect((JSON.parse(r.out) as Doc).cells).toHaveLength(2);
  });
});

describe("compare", () => {
  let out: string;
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    out = t.path("r1");
    r = await run(["--weights", weights, "--quantizers", "rtn,uniform-mse", "--quantizers", "buggy:bits=3", "--bits", "2,4", "--out", out, "--json", "--seed", "5"]);
  });

  it("turns a deliberately failing plugin into one failed cell and still writes the complete report", async () => {
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(["report.html", "report.md", "results.csv", "results.json"]);
    const doc = await readDoc(out);
    expect(doc.cells.map((c) => `${c.index}:${c.label}:${c.bits}:${c.status}`)).toEqual(["0:rtn:2:ok", "1:rtn:4:ok", "2:uniform-mse:2:ok", "3:uniform-mse:4:ok", "4:buggy:3:failed"]);
    expect(doc.cells[4]!.error).toEqual({ code: "QF_INTERNAL", message: "cannot read properties of undefined (reading 'x')" });
    expect(doc.totals).toMatchObject({ planned: 5, finished: 5, ok: 4, failed: 1 });
    expect(doc.interrupted).toBe(false);
    for (const c of doc.cells.slice(0, 4)) {
      expect(c.codesSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof c.result.summary.sqnrDb).toBe("number");
      expect(c.result.tensors.map((x: { name: string }) => x.name)).toEqual(["fc1", "fc2", "fc2.bias"]);
      expect(typeof c.normalized.sqnrDb).toBe("number");
    }
    const md = await readFile(`${out}/report.md`, "utf8");
    expect(md.split("\n").filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(5 + 4); // results rows + per-layer rows
    expect(md).toContain("- #4 buggy [bits=3] + fixed: QF_INTERNAL: cannot read properties of undefined (reading 'x')");
    const csv = (await readFile(`${out}/results.csv`, "utf8")).trimEnd().split("\r\n");
    expect(csv).toHaveLength(6);
    expect(csv[1]).toContain(`weights ${weights}=`); // the manifest rides on every row
    const html = await readFile(`${out}/report.html`, "utf8");
    expect((html.match(/<svg/g) ?? []).length).toBe(2); // SQNR and σ-normalised charts (no model, no accuracy)
    expect(html).toContain("Failed cells");
  });

  it("prints only the results document on stdout with --json and one plain line per cell on stderr", async () => {
    expect(JSON.parse(r.out)).toEqual(await readDoc(out));
    const lines = r.err.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\[1\/5\] ok {5}#0 rtn \[bits=2\] \+ fixed: SQNR -?\d+\.\d\d dB · \d\.\d{3} bits\/w \(\d+\.\d\d s\)$/);
    expect(lines[4]).toMatch(/^\[5\/5\] failed #4 buggy \[bits=3\] \+ fixed: QF_INTERNAL: /);
    expect(r.err).not.toContain("\x1b");
  });

  it("records the manifest: seed, versions, input hashes and the resolved config", async () => {
    const m = (await readDoc(out)).manifest;
    expect(m.seed).toBe(5);
    expect(m.quantforgeVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.node).toBe(process.version);
    expect(m.plugins).toEqual(
      expect.arrayContaining([
        { kind: "quantizer", id: "rtn", version: expect.any(String) },
        { kind: "quantizer", id: "buggy", version: "0.0.0" },
        { kind: "coder", id: "fixed", version: expect.any(String) },
        { kind: "evaluator", id: "sqnr", version: expect.any(String) },
      ]),
    );
    const { createHash } = await import("node:crypto");
    expect(m.inputs).toEqual([
      {
        role: "weights",
        path: weights,
        bytes: (await readFile(weights)).length,
        sha256: createHash("sha256")
          .update(await readFile(weights))
          .digest("hex"),
      },
    ]);
    expect(m.config).toEqual({
      weights,
      quantizers: [
        { id: "rtn", options: {} },
        { id: "uniform-mse", options: {} },
        { id: "buggy", options: {}, sweep: { bits: [3] } },
      ],
      bits: [2, 4],
      coders: [{ id: "fixed", options: {} }],
      evaluators: [
        { id: "sqnr", options: {} },
        { id: "size", options: {} },
      ],
      seed: 5,
      timeout: null,
      include: [],
      exclude: [],
      allTensors: false,
    });
    for (const f of ["report.md", "report.html"]) expect(await readFile(`${out}/${f}`, "utf8")).toContain(m.inputs[0].sha256);
  });

  it("is deterministic: the same command gives the same results (timings aside)", async () => {
    const again = t.path("r1b");
    expect((await run(["--weights", weights, "--quantizers", "rtn,uniform-mse,buggy:bits=3", "--bits", "2,4", "--out", again, "--seed", "5", "--quiet"])).code).toBe(0);
    expect(timeless(await readDoc(again))).toEqual(timeless(await readDoc(out)));
    // The CSV differs only in the seconds column (the last number before the manifest columns).
    const noSeconds = (csv: string) => csv.replace(/,[\d.e-]+,(\d+,\d+\.\d+\.\d+[^,]*,v\d+\.)/g, ",$1");
    const csvA = await readFile(`${out}/results.csv`, "utf8"),
      csvB = await readFile(`${again}/results.csv`, "utf8");
    expect(noSeconds(csvB)).toBe(noSeconds(csvA));
    expect(noSeconds(csvA)).not.toBe(csvA);
  });

  it("verifies a fresh results.json and detects a tampered code or metric", async () => {
    const ok = await run(["--verify", `${out}/results.json`, "--quiet"]);
    expect(ok).toMatchObject({ code: 0, err: "" });
    expect(ok.out).toBe(`verify ${out}/results.json: 5 cells re-run, codes and metrics identical; inputs unchanged\n`);
    const doc = await readDoc(out);
    doc.cells[1]!.codesSha256 = "0".repeat(64);
    await writeFile(t.path("tampered-code.json"), JSON.stringify(doc));
    const bad = await run(["--verify", t.path("tampered-code.json"), "--quiet"]);
    expect(bad.code).toBe(1);
    expect(errorCode(bad)).toBe("QF_VERIFY_MISMATCH");
    expect(bad.out).toContain("1 difference(s) in 5 cells checked");
    expect(bad.out).toContain(`#1 rtn [bits=4] + fixed: codesSha256: stored ${"0".repeat(64)}, re-run ${(await readDoc(out)).cells[1]!.codesSha256}`);
    const doc2 = await readDoc(out);
    doc2.cells[2]!.result.tensors[1].sqnrDb += 1e-9;
    await writeFile(t.path("tampered-metric.json"), JSON.stringify(doc2));
    const bad2 = await run(["--verify", t.path("tampered-metric.json"), "--json", "--quiet"]);
    expect(bad2.code).toBe(1);
    const rep = JSON.parse(bad2.out);
    expect(rep).toMatchObject({ identical: false, checked: 5 });
    expect(rep.differences).toEqual([{ index: 2, what: "#2 uniform-mse [bits=2] + fixed", field: "result.tensors[1].sqnrDb", stored: doc2.cells[2]!.result.tensors[1].sqnrDb, rerun: doc2.cells[2]!.result.tensors[1].sqnrDb - 1e-9 }]);
  });

  it("reports a changed input file", async () => {
    const doc = await readDoc(out);
    doc.manifest.inputs[0].sha256 = "f".repeat(64);
    await writeFile(t.path("tampered-input.json"), JSON.stringify(doc));
    const bad = await run(["--verify", t.path("tampered-input.json"), "--quiet"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`input weights ${weights}: sha256: stored ${"f".repeat(64)}`);
  });
});

describe("compare options", () => {
  it("sweeps options from a config file and overrides it with flags", async () => {
    await writeFile(
      t.path("c.yaml"),
      ["weights: w.safetensors", "quantizers:", "  - id: rtn", "    options: { scheme: symmetric }", "    sweep: { bits: [2, 3] }", "  - uniform-mse", "bits: [4]", "coders: [fixed, huffman]", "out: from-config"].join("\n"),
    );
    const r = await run(["--config", t.path("c.yaml"), "--seed", "2", "--quiet"]);
    expect(r.code).toBe(0);
    const doc = await readDoc(t.path("from-config"));
    expect(doc.cells.map((c) => `${c.label}:${c.bits}:${c.coder}`)).toEqual([
      "rtn:scheme=symmetric:2:fixed",
      "rtn:scheme=symmetric:2:huffman",
      "rtn:scheme=symmetric:3:fixed",
      "rtn:scheme=symmetric:3:huffman",
      "uniform-mse:4:fixed",
      "uniform-mse:4:huffman",
    ]);
    expect(doc.cells.every((c) => c.status === "ok")).toBe(true);
    expect(doc.manifest.seed).toBe(2);
    // Huffman codes the same quantization in fewer bytes.
    expect(doc.cells[1]!.result.summary.sqnrDb).toBe(doc.cells[0]!.result.summary.sqnrDb);
    expect(doc.cells[1]!.result.summary.bytes).toBeLessThan(doc.cells[0]!.result.summary.bytes);
    expect(r.out).toContain("wrote ");
  });

  it("names the bad field of a config file (exit 2)", async () => {
    await writeFile(t.path("bad.yaml"), "weights: w.safetensors\nquantizers:\n  - id: rtn\n    sweep: { bits: [] }\nout: x\n");
    const r = await run(["--config", t.path("bad.yaml")]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error QF_USAGE: config "${t.path("bad.yaml")}": field "quantizers[0].sweep.bits" must list at least one value. Fix that field.\n`);
  });

  it("fails the cells a quantizer rejects, but stops when it rejects all of them", async () => {
    const some = await run(["--weights", weights, "--quantizers", "uniform-mse", "--bits", "4,17", "--out", t.path("r2"), "--quiet"]);
    expect(some.code).toBe(0);
    const doc = await readDoc(t.path("r2"));
    expect(doc.cells.map((c) => c.status)).toEqual(["ok", "failed"]);
    expect(doc.cells[1]!.error.code).toBe("QF_INVALID_OPTIONS");
    const all = await run(["--weights", weights, "--quantizers", "rtn:bitz=4", "--out", t.path("r3")]);
    expect(all.code).toBe(2);
    expect(errorCode(all)).toBe("QF_INVALID_OPTIONS");
    expect(all.err).toMatch(/field "bitz"/);
  });

  it("marks a cell that exceeds --timeout failed (QF_TIMEOUT) and goes on", async () => {
    const r = await run(["--weights", weights, "--quantizers", "slow:ms=0|4000,rtn", "--timeout", "1.5", "--out", t.path("r4"), "--quiet"]);
    expect(r.code).toBe(0);
    const doc = await readDoc(t.path("r4"));
    expect(doc.cells.map((c) => `${c.label}:${c.status}`)).toEqual(["slow (sweep ms):ok", "slow (sweep ms):failed", "rtn:ok"]);
    expect(doc.cells[1]!.error.code).toBe("QF_TIMEOUT");
    expect(doc.cells[1]!.error.message).toMatch(/did not finish within 1.5 s/);
    expect(doc.manifest.config.timeout).toBe(1.5);
  });

  it("draws a live multi-line display on a terminal, stdout stays clean", async () => {
    const r = await run(["--weights", weights, "--quantizers", "rtn", "--bits", "2,3", "--out", t.path("r5")], { isTTY: true });
    expect(r.code).toBe(0);
    expect(r.err).toContain("\x1b[1A\x1b[2K");
    expect(r.err).toMatch(/compare: 0\/2 cells \(0 ok, 0 failed\)/);
    expect(r.err).toMatch(/✓ ok {5}#1 rtn \[bits=3\] \+ fixed/);
    expect(r.out).not.toContain("\x1b");
  });

  it("rejects bad command lines with a usage error", async () => {
    const cases: [string[], string, RegExp][] = [
      [["--weights", weights, "--out", t.path("x")], "QF_USAGE", /--quantizers is missing/],
      [["--weights", weights, "--quantizers", "rtn"], "QF_USAGE", /--out is missing/],
      [["--weights", weights, "--model", "mnist-mlp", "--quantizers", "rtn", "--out", t.path("x")], "QF_USAGE", /give exactly one input/],
      [["--weights", weights, "--quantizers", "nope", "--out", t.path("x")], "QF_UNKNOWN_PLUGIN", /quantizer "nope" is not registered/],
      [["--weights", weights, "--quantizers", "rtn", "--coders", "zip", "--out", t.path("x")], "QF_UNKNOWN_PLUGIN", /coder "zip"/],
      [["--weights", weights, "--quantizers", "rtn", "--jobs", "0", "--out", t.path("x")], "QF_USAGE", /--jobs "0"/],
      [["--weights", weights, "--quantizers", "rtn", "--jobs", "2", "--out", t.path("x")], "QF_USAGE", /worker threads, which load the built-in plugins only/],
      [["--weights", weights, "--quantizers", "rtn", "--timeout", "-1", "--out", t.path("x")], "QF_USAGE", /--timeout "-1"/],
      [["--weights", t.path("missing.safetensors"), "--quantizers", "rtn", "--out", t.path("x")], "QF_IO", /does not exist/],
      [["--verify", t.path("missing.json"), "--bits", "2"], "QF_USAGE", /drop --bits/],
      [["--verify", t.path("missing.json")], "QF_IO", /cannot read/],
      [["--verify", weights], "QF_FORMAT", /is not JSON/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(code === "QF_INTERNAL" ? 1 : 2);
      expect(errorCode(r), args.join(" ")).toBe(code);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe("");
    }
  });
});
