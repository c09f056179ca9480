import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempDir } from "./__tests__/harness.js";
import { quantizerModule } from "./__tests__/plugin-fixtures.js";

/**
 * The bundled CLI (`dist/cli.js`, written by scripts/bundle.mjs after `tsc -b`) behaves like the
 * sources: same output, files and exit codes, file-relative lookups (package.json, worker threads,
 * `--plugin`) still work, and the fast commands load no heavy module. Needs `pnpm build` first.
 */
const runnerDir = fileURLToPath(new URL("../", import.meta.url));
const bundle = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const recorder = fileURLToPath(new URL("./__tests__/record-loads.mjs", import.meta.url));
const HEAVY = /\/node_modules\/(?:\.pnpm\/)?(?:vega|vega-lite|jimp|@tensorflow|onnxruntime-node|onnxruntime-common|protobufjs|yaml)[@/]/;

async function bin(args: readonly string[]): Promise<{ code: number | null; out: string; err: string; urls: string[] }> {
  const child = spawn(process.execPath, ["--import", recorder, bundle, ...args], { cwd: runnerDir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "",
    err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
  const lines = err.split("\n");
  const urls = lines.filter((l) => l.startsWith("QF_LOADED ")).map((l) => l.slice("QF_LOADED ".length));
  return { code, out, err: lines.filter((l) => !l.startsWith("QF_LOADED ")).join("\n"), urls };
}

/** `run --json` without the timings (wall clock) and with the output file name replaced. */
const stable = (json: string) => JSON.parse(json.replace(/"(seconds|ms)":\s*[-0-9.e+]+/g, '"$1":0').replace(/"file":\s*"[^"]*\.qf"/g, '"file":"x.qf"')) as unknown;

describe("bundled CLI (dist/cli.js)", () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    t = await tempDir();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("is the bundle: one entry importing code-split chunks", () => {
    expect(readFileSync(bundle, "utf8"), "run `pnpm --filter @quantforge/runner build` first").toMatch(/from "\.\/chunks\//);
  });

  it("list, --version and --help print what the sources print", async () => {
    for (const args of [["list", "--json"], ["list"], ["--version"], ["--help"]]) {
      const [b, s] = [await bin(args), await cli(args)];
      expect(b.code, `${args.join(" ")}: ${b.err}`).toBe(s.code);
      expect(b.out, args.join(" ")).toBe(s.out);
      if (args[0] === "list") expect(b.urls.filter((u) => HEAVY.test(u))).toEqual([]);
    }
  }, 60_000);

  it("synth, run (one and two threads) and decode write the files the sources write, loading no heavy module", async () => {
    const w = t.path("w.safetensors");
    const steps: [string, string[], string[]][] = [
      ["synth", ["synth", "--out", w, "--tensors", "fc:64x32,fc2:96x48"], []],
      [
        "run",
        ["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--coder", "huffman", "--json", "--out", t.path("b.qf")],
        ["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--coder", "huffman", "--json", "--out", t.path("s.qf")],
      ],
      ["run --threads 2", ["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--coder", "huffman", "--threads", "2", "--out", t.path("b2.qf")], []],
      ["decode", ["decode", t.path("b.qf"), "--out", t.path("b.safetensors")], ["decode", t.path("s.qf"), "--out", t.path("s.safetensors")]],
    ];
    for (const [name, args, srcArgs] of steps) {
      const b = await bin(args);
      expect(b.code, `${name}: ${b.err}`).toBe(0);
      expect(
        b.urls.filter((u) => HEAVY.test(u)),
        name,
      ).toEqual([]);
      if (srcArgs.length === 0) continue;
      const s = await cli(srcArgs);
      expect(s.code, name).toBe(0);
      if (name === "run") expect(stable(b.out)).toEqual(stable(s.out));
    }
    expect(readFileSync(t.path("b.qf")).equals(readFileSync(t.path("s.qf")))).toBe(true);
    expect(readFileSync(t.path("b2.qf")).equals(readFileSync(t.path("s.qf")))).toBe(true);
    expect(readFileSync(t.path("b.safetensors")).equals(readFileSync(t.path("s.safetensors")))).toBe(true);
  }, 120_000);

  it("errors keep their codes and exit codes", async () => {
    const b = await bin(["run", "--weights", t.path("missing.safetensors"), "--quantizer", "nope"]);
    const s = await cli(["run", "--weights", t.path("missing.safetensors"), "--quantizer", "nope"]);
    expect(b.code).toBe(2);
    expect(b.err.trim()).toBe(s.err.trim());
  }, 60_000);

  it("--plugin loads a third-party plugin module, which run and list use", async () => {
    const file = t.path("two-level.mjs");
    writeFileSync(file, quantizerModule("two-level"));
    const l = await bin(["--plugin", file, "list", "--json"]);
    expect(l.code, l.err).toBe(0);
    const doc = JSON.parse(l.out) as { quantizers: { id: string; source: string }[] };
    expect(doc.quantizers.find((q) => q.id === "two-level")?.source).toBe(file);
    expect(doc.quantizers.filter((q) => q.source === "builtin").map((q) => q.id)).toContain("rtn");
    const r = await bin(["--plugin", file, "run", "--weights", t.path("w.safetensors"), "--quantizer", "two-level", "--json"]);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { quantizer: { id: string } }).quantizer.id).toBe("two-level");
    // A plugin taking a built-in id still clashes, though `list` imports no built-in otherwise.
    writeFileSync(t.path("rtn.mjs"), quantizerModule("rtn"));
    const dup = await bin(["--plugin", t.path("rtn.mjs"), "list"]);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/^error QF_DUPLICATE_PLUGIN: quantizer "rtn"/);
  }, 60_000);
});
