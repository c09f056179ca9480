import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";
import { mockPlugins } from "./__tests__/mocks.js";
import { pluginPackageJson, quantizerModule, writeTree } from "./__tests__/plugin-fixtures.js";

// End to end through `main`: --plugin (before or after the command), --discover, the source
// column of `list`, a loaded quantizer used by `run`, and the one-line error of each failure.
let t: Awaited<ReturnType<typeof tempDir>>;
let proj: string;
beforeAll(async () => {
  t = await tempDir();
  proj = join(t.dir, "proj");
  writeTree(proj, {
    "package.json": JSON.stringify({ name: "proj", private: true }),
    "local/plugin.mjs": quantizerModule("local-two-level"),
    "node_modules/quantforge-plugin-pkg/package.json": pluginPackageJson("quantforge-plugin-pkg", { version: "3.1.4", core: "^0.1.0" }),
    "node_modules/quantforge-plugin-pkg/index.js": quantizerModule("pkg-two-level", "3.1.4", `[plugin, { ...plugin, id: "pkg-two-level-b" }]`),
    "node_modules/@acme/quantforge-plugin-scoped/package.json": pluginPackageJson("@acme/quantforge-plugin-scoped", { core: "workspace:^" }),
    "node_modules/@acme/quantforge-plugin-scoped/index.js": quantizerModule("scoped-two-level"),
    "node_modules/quantforge-plugin-future/package.json": pluginPackageJson("quantforge-plugin-future", { version: "9.0.0", core: "^99.0.0" }),
    "node_modules/quantforge-plugin-future/index.js": quantizerModule("future"),
    "node_modules/quantforge-plugin-clash/package.json": pluginPackageJson("quantforge-plugin-clash", { version: "2.0.0" }),
    "node_modules/quantforge-plugin-clash/index.js": quantizerModule("coarse-test", "2.0.0"),
    "node_modules/quantforge-plugin-broken/package.json": pluginPackageJson("quantforge-plugin-broken"),
    "node_modules/quantforge-plugin-broken/index.js": `throw new Error("cannot initialise the broken plugin");`,
    "nested/dir/.keep": "",
  });
  const r = await cli(["synth", "--out", join(t.dir, "w.safetensors"), "--seed", "2", "--tensors", "fc1:16x8:0.1,fc2:4x16:0.3"], { plugins: mockPlugins() });
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
});

const quantizers = (out: string) => (JSON.parse(out) as { quantizers: { id: string; source: string; path?: string; version: string }[] }).quantizers;

describe("loading plugins", () => {
  it("--plugin with a file path and a package name; list --json adds source and path", async () => {
    const r = await cli(["list", "--json", "--plugin", "./local/plugin.mjs", "--plugin", "quantforge-plugin-pkg"], { plugins: mockPlugins(), cwd: proj });
    expect(r).toMatchObject({ code: 0, err: "" });
    const q = quantizers(r.out);
    expect(q.find((p) => p.id === "local-two-level")).toMatchObject({ source: join(proj, "local/plugin.mjs"), path: join(proj, "local/plugin.mjs"), version: "1.0.0" });
    expect(q.find((p) => p.id === "pkg-two-level")).toMatchObject({ source: "quantforge-plugin-pkg", path: join(proj, "node_modules/quantforge-plugin-pkg"), version: "3.1.4" });
    expect(q.find((p) => p.id === "pkg-two-level-b")?.source).toBe("quantforge-plugin-pkg");
    const builtin = q.find((p) => p.id === "coarse-test")!;
    expect(builtin.source).toBe("builtin");
    expect(builtin).not.toHaveProperty("path");
  });
  it("--plugin may come before the command; package names resolve from parent directories; the table has a source column", async () => {
    const r = await cli(["--plugin", "quantforge-plugin-pkg", "list"], { plugins: mockPlugins(), cwd: join(proj, "nested/dir") });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/│ pkg-two-level\s+│ 3\.1\.4\s+│ two-level fixture quantizer\s+│ quantforge-plugin-pkg\s+│/);
    expect(r.out).toMatch(/│ coarse-test\s+│ 0\.0\.0\s+│ .*│ builtin\s+│/);
  });
  it("the same plugin named twice is loaded once", async () => {
    const r = await cli(["list", "--json", "--plugin", "quantforge-plugin-pkg", "--plugin", "./node_modules/quantforge-plugin-pkg"], { plugins: mockPlugins(), cwd: proj });
    expect(r.code).toBe(0);
    expect(quantizers(r.out).filter((p) => p.id === "pkg-two-level")).toHaveLength(1);
  });
  it("run uses a loaded quantizer like a built-in one", async () => {
    const r = await cli(["run", "--plugin", "./local/plugin.mjs", "--weights", join(t.dir, "w.safetensors"), "--quantizer", "local-two-level", "--coder", "raw-test", "--evaluator", "sqnr", "--json"], { plugins: mockPlugins(), cwd: proj });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.quantizer.id).toBe("local-two-level");
    expect(doc.tensors.map((x: { name: string }) => x.name)).toEqual(["fc1", "fc2"]);
  });
  it("run --threads 2: the tensor workers import the loaded quantizer too, with the results of one thread", async () => {
    const args = (n: string) => ["run", "--plugin", "./local/plugin.mjs", "--weights", join(t.dir, "w.safetensors"), "--quantizer", "local-two-level", "--coder", "fixed", "--evaluator", "sqnr", "--threads", n, "--json"];
    const one = await cli(args("1"), { cwd: proj }),
      two = await cli(args("2"), { cwd: proj });
    expect(one).toMatchObject({ code: 0, err: "" });
    expect(two).toEqual(one);
  });
});

describe("--discover", () => {
  it("loads every installed quantforge-plugin-* package and reports the first failing one", async () => {
    // The fixture project deliberately holds broken, clashing and incompatible packages too.
    const r = await cli(["list", "--json", "--discover"], { plugins: mockPlugins(), cwd: proj });
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe("QF_PLUGIN_INCOMPATIBLE");
  });
  it("finds scoped and unscoped packages from a clean project", async () => {
    const clean = join(t.dir, "clean");
    writeTree(clean, {
      "node_modules/@acme/quantforge-plugin-scoped/package.json": pluginPackageJson("@acme/quantforge-plugin-scoped", { core: "^0.1.0" }),
      "node_modules/@acme/quantforge-plugin-scoped/index.js": quantizerModule("scoped-two-level"),
      "node_modules/quantforge-plugin-pkg/package.json": pluginPackageJson("quantforge-plugin-pkg", { version: "3.1.4" }),
      "node_modules/quantforge-plugin-pkg/index.js": quantizerModule("clean-two-level"),
      "node_modules/unrelated/package.json": pluginPackageJson("unrelated"),
      "node_modules/unrelated/index.js": `throw new Error("must not be imported");`,
    });
    const r = await cli(["list", "--json", "--discover"], { plugins: mockPlugins(), cwd: clean });
    expect(r).toMatchObject({ code: 0, err: "" });
    const q = quantizers(r.out);
    expect(q.filter((p) => p.source !== "builtin").map((p) => [p.id, p.source])).toEqual([
      ["clean-two-level", "quantforge-plugin-pkg"],
      ["scoped-two-level", "@acme/quantforge-plugin-scoped"],
    ]);
  });
});

describe("load failures: one line `error <CODE>: …`, exit 2", () => {
  it.each([
    ["a package that is not installed", ["--plugin", "quantforge-plugin-nope"], "QF_PLUGIN_LOAD", /"quantforge-plugin-nope" is not installed .*npm install quantforge-plugin-nope/],
    ["a missing file", ["--plugin", "./local/missing.mjs"], "QF_PLUGIN_LOAD", /does not exist/],
    ["a module that throws on import", ["--plugin", "quantforge-plugin-broken"], "QF_PLUGIN_LOAD", /"quantforge-plugin-broken" failed to load .*cannot initialise the broken plugin/],
    ["an incompatible core range", ["--plugin", "quantforge-plugin-future"], "QF_PLUGIN_INCOMPATIBLE", /"quantforge-plugin-future@9\.0\.0" needs @quantforge\/core \^99\.0\.0/],
    [
      "an id taken by a built-in",
      ["--plugin", "quantforge-plugin-clash"],
      "QF_DUPLICATE_PLUGIN",
      /quantizer "coarse-test" from "quantforge-plugin-clash" \(version 2\.0\.0\) is already registered by a built-in plugin \(version 0\.0\.0\)\. Load only one/,
    ],
    [
      "an id taken by another loaded plugin",
      ["--plugin", "./local/plugin.mjs", "--plugin", "./local/plugin-copy.mjs"],
      "QF_DUPLICATE_PLUGIN",
      /"local-two-level" from "\.\/local\/plugin-copy\.mjs" .* already registered by ".*local\/plugin\.mjs"/,
    ],
  ])("%s", async (_, flags, code, msg) => {
    writeTree(proj, { "local/plugin-copy.mjs": quantizerModule("local-two-level") });
    const r = await cli(["list", ...flags], { plugins: mockPlugins(), cwd: proj });
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(errorCode(r)).toBe(code);
    expect(r.err).toMatch(msg);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });
  it("--verbose shows the original error as the cause", async () => {
    const r = await cli(["list", "--verbose", "--plugin", "quantforge-plugin-broken"], { plugins: mockPlugins(), cwd: proj });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/caused by: Error: cannot initialise the broken plugin/);
  });
});

describe("compare with loaded plugins", () => {
  const results = (out: string) => JSON.parse(out) as { cells: { quantizer: string; status: string; result?: { summary: { sqnrDb: number } } }[]; manifest: { config: { plugins?: string[] }; plugins: { id: string; version: string }[] } };
  const config = (name: string, extra: Record<string, unknown> = {}) => {
    const file = join(proj, "configs", `${name}.json`);
    writeTree(proj, {
      [`configs/${name}.json`]: JSON.stringify({
        weights: "../../w.safetensors",
        quantizers: ["local-two-level", "pkg-two-level", "rtn"],
        bits: [4],
        evaluators: ["sqnr"],
        plugins: ["../local/plugin.mjs", "quantforge-plugin-pkg"],
        ...extra,
      }),
    });
    return file;
  };

  it("a config file's plugins (paths relative to it, packages from its directory) run beside built-ins; the manifest records them", async () => {
    const r = await cli(["compare", "--config", config("plain"), "--out", join(t.dir, "cmp1"), "--json", "--quiet"], { cwd: t.dir });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const doc = results(r.out);
    expect(doc.cells.map((c) => [c.quantizer, c.status])).toEqual([
      ["local-two-level", "ok"],
      ["pkg-two-level", "ok"],
      ["rtn", "ok"],
    ]);
    expect(doc.manifest.config.plugins).toEqual([join(proj, "local/plugin.mjs"), "quantforge-plugin-pkg"]);
    expect(doc.manifest.plugins).toContainEqual({ kind: "quantizer", id: "pkg-two-level", version: "3.1.4" });
    // Issue 16: --verify never imports the plugins a results file names (data never runs code):
    // without them it fails with QF_PLUGIN_MISSING, with --plugin (the user's choice) it re-runs.
    const missing = await cli(["compare", "--verify", join(t.dir, "cmp1/results.json"), "--json", "--quiet"], { cwd: proj });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error QF_PLUGIN_MISSING: .*quantizer "local-two-level", quantizer "pkg-two-level"/);
    const v = await cli(["--plugin", "./local/plugin.mjs", "--plugin", "quantforge-plugin-pkg", "compare", "--verify", join(t.dir, "cmp1/results.json"), "--json", "--quiet"], { cwd: proj });
    expect(v.err).toBe("");
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ identical: true, checked: 3 });
  });

  it("--jobs 2: worker threads import the loaded plugins too, with the same results", async () => {
    const one = await cli(["compare", "--config", config("j1"), "--out", join(t.dir, "cmp-j1"), "--json", "--quiet"], { cwd: t.dir });
    const two = await cli(["compare", "--config", config("j2"), "--jobs", "2", "--out", join(t.dir, "cmp-j2"), "--json", "--quiet"], { cwd: t.dir });
    expect(two.err).toBe("");
    expect(two.code).toBe(0);
    const summary = (out: string) => results(out).cells.map((c) => [c.quantizer, c.status, c.result?.summary.sqnrDb]);
    expect(summary(two.out)).toEqual(summary(one.out));
  });

  it("--plugin works with compare too, and a config plugin that fails is QF_PLUGIN_LOAD", async () => {
    const r = await cli(["compare", "--plugin", "./local/plugin.mjs", "--weights", join(t.dir, "w.safetensors"), "--quantizers", "local-two-level", "--bits", "2", "--out", join(t.dir, "cmp-flag"), "--json", "--quiet"], { cwd: proj });
    expect(r.code).toBe(0);
    expect(results(r.out).manifest.config.plugins).toEqual([join(proj, "local/plugin.mjs")]);
    const bad = await cli(["compare", "--config", config("bad", { plugins: ["quantforge-plugin-broken"] }), "--out", join(t.dir, "cmp-bad"), "--quiet"], { cwd: t.dir });
    expect(bad.code).toBe(2);
    expect(errorCode(bad)).toBe("QF_PLUGIN_LOAD");
    expect(bad.err).toMatch(/"quantforge-plugin-broken" failed to load/);
  });
});
