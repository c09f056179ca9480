import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "@quantforge/core";
import { pluginPackageJson, quantizerModule, writeTree } from "../__tests__/plugin-fixtures.js";
import { checkCoreCompatibility, discoverPluginSources, importPluginSource, packageEntry, resolvePluginSpec, runningCoreVersion, type PluginSource } from "./index.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "qf-loader-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

describe("packageEntry", () => {
  it("follows exports['.'] through the import conditions in key order, skipping types/require", () => {
    writeTree(root, { "esm.js": "", "cjs.cjs": "", "main.js": "" });
    expect(packageEntry(root, { exports: { ".": { types: "./x.d.ts", require: "./cjs.cjs", import: "./esm.js" } }, main: "main.js" })).toBe(join(root, "esm.js"));
    expect(packageEntry(root, { exports: { node: { import: "./esm.js" }, default: "./main.js" } })).toBe(join(root, "esm.js"));
    expect(packageEntry(root, { exports: "./main.js" })).toBe(join(root, "main.js"));
    expect(packageEntry(root, { exports: [{ browser: "./nope.js" }, "./esm.js"] })).toBe(join(root, "esm.js"));
  });
  it("uses main, then index.js, without exports; never falls back to main with exports", () => {
    writeTree(root, { "lib/entry.js": "", "index.js": "" });
    expect(packageEntry(root, { main: "lib/entry" })).toBe(join(root, "lib/entry.js"));
    expect(packageEntry(root, {})).toBe(join(root, "index.js"));
    expect(packageEntry(root, { exports: { ".": { require: "./index.js" } }, main: "index.js" })).toBeUndefined();
    expect(packageEntry(root, { exports: "./missing.js" })).toBeUndefined();
  });
});

describe("resolvePluginSpec", () => {
  it("finds a package in node_modules of a parent directory (nearest first)", () => {
    writeTree(root, {
      "node_modules/quantforge-plugin-a/package.json": pluginPackageJson("quantforge-plugin-a", { version: "1.0.0", core: "^0.1.0" }),
      "node_modules/quantforge-plugin-a/index.js": "",
      "proj/node_modules/quantforge-plugin-a/package.json": pluginPackageJson("quantforge-plugin-a", { version: "2.0.0" }),
      "proj/node_modules/quantforge-plugin-a/index.js": "",
      "proj/sub/.keep": "",
    });
    const near = resolvePluginSpec("quantforge-plugin-a", { baseDir: join(root, "proj/sub"), via: "flag" });
    expect(near).toMatchObject({ source: "quantforge-plugin-a", path: join(root, "proj/node_modules/quantforge-plugin-a"), package: { version: "2.0.0" } });
    const far = resolvePluginSpec("quantforge-plugin-a", { baseDir: root, via: "config" });
    expect(far).toMatchObject({ via: "config", entry: join(root, "node_modules/quantforge-plugin-a/index.js"), package: { coreRange: "^0.1.0" } });
  });
  it("resolves files and package directories relative to baseDir, and file: URLs", () => {
    writeTree(root, { "local/plugin.js": "", "pkg/package.json": pluginPackageJson("my-plugin", { main: "lib.js" }), "pkg/lib.js": "" });
    expect(resolvePluginSpec("./local/plugin.js", { baseDir: root, via: "flag" })).toMatchObject({ source: join(root, "local/plugin.js"), entry: join(root, "local/plugin.js") });
    expect(resolvePluginSpec("./pkg", { baseDir: root, via: "flag" })).toMatchObject({ source: "my-plugin", entry: join(root, "pkg/lib.js") });
    expect(resolvePluginSpec(`file://${join(root, "local/plugin.js")}`, { baseDir: "/", via: "flag" }).entry).toBe(join(root, "local/plugin.js"));
  });
  it.each([
    ["quantforge-plugin-missing", /not installed .*npm install quantforge-plugin-missing/],
    ["./nope.js", /does not exist .*Fix the path/],
    ["not a name!", /neither a path nor a package name/],
  ])("%s → QF_PLUGIN_LOAD naming the plugin and the fix", (spec, msg) => {
    expect(() => resolvePluginSpec(spec, { baseDir: root, via: "flag" })).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_LOAD, plugin: spec, message: expect.stringMatching(msg) }));
  });
  it("a package whose exports point nowhere is QF_PLUGIN_LOAD", () => {
    writeTree(root, { "node_modules/quantforge-plugin-x/package.json": pluginPackageJson("quantforge-plugin-x", { exports: "./dist/index.js" }) });
    expect(() => resolvePluginSpec("quantforge-plugin-x", { baseDir: root, via: "flag" })).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_LOAD, message: expect.stringMatching(/has no entry file/) }));
  });
});

describe("discoverPluginSources", () => {
  it("finds quantforge-plugin-* and @scope/quantforge-plugin-* from the directory upwards, nearest copy first, sorted", () => {
    const pkg = (dir: string, name: string, version = "1.0.0") => ({ [`${dir}/package.json`]: pluginPackageJson(name, { version }), [`${dir}/index.js`]: "" });
    writeTree(root, {
      ...pkg("node_modules/quantforge-plugin-zeta", "quantforge-plugin-zeta"),
      ...pkg("node_modules/quantforge-plugin-alpha", "quantforge-plugin-alpha", "1.0.0"),
      ...pkg("app/node_modules/quantforge-plugin-alpha", "quantforge-plugin-alpha", "3.0.0"),
      ...pkg("app/node_modules/@acme/quantforge-plugin-beta", "@acme/quantforge-plugin-beta"),
      ...pkg("app/node_modules/@acme/other", "@acme/other"),
      ...pkg("app/node_modules/left-pad", "left-pad"),
      "app/node_modules/@stray": "a file, not a scope",
    });
    const found = discoverPluginSources(join(root, "app"));
    expect(found.map((s) => s.source)).toEqual(["@acme/quantforge-plugin-beta", "quantforge-plugin-alpha", "quantforge-plugin-zeta"]);
    expect(found.find((s) => s.source === "quantforge-plugin-alpha")!.package!.version).toBe("3.0.0");
    expect(found.every((s) => s.via === "discover")).toBe(true);
  });
});

describe("checkCoreCompatibility", () => {
  const src = (coreRange?: string): PluginSource => ({
    spec: "quantforge-plugin-x",
    via: "flag",
    source: "quantforge-plugin-x",
    entry: "/x/index.js",
    path: "/x",
    package: { name: "quantforge-plugin-x", version: "2.1.0", dir: "/x", ...(coreRange !== undefined ? { coreRange } : {}) },
  });
  it("accepts ranges containing the running version, workspace ranges and packages without a range", () => {
    for (const r of ["^0.1.0", ">=0.1.0 <0.2.0", "0.1.x", "*", "workspace:^", "workspace:*", "workspace:^0.1.0", undefined]) {
      expect(() => checkCoreCompatibility(src(r), "0.1.3")).not.toThrow();
    }
    // Pre-releases count (a next build of core between releases).
    expect(() => checkCoreCompatibility(src("^0.2.0"), "0.2.1-next.1")).not.toThrow();
  });
  it("rejects a range without the running version, naming package, range, core version and the fix", () => {
    expect(() => checkCoreCompatibility(src("^0.2.0"), "0.1.3")).toThrow(
      expect.objectContaining({
        code: ErrorCodes.PLUGIN_INCOMPATIBLE,
        plugin: "quantforge-plugin-x",
        range: "^0.2.0",
        coreVersion: "0.1.3",
        message: expect.stringMatching(/"quantforge-plugin-x@2\.1\.0" needs @quantforge\/core \^0\.2\.0, but this quantforge runs core 0\.1\.3\. Install a version/),
      }),
    );
    expect(() => checkCoreCompatibility(src("workspace:^0.2.0"), "0.1.3")).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_INCOMPATIBLE }));
  });
  it("rejects an invalid range", () => {
    expect(() => checkCoreCompatibility(src("banana"), "0.1.3")).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_INCOMPATIBLE, message: expect.stringMatching(/invalid @quantforge\/core range "banana"/) }));
  });
  it("reads the running core version from the installed @quantforge/core", () => {
    expect(runningCoreVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("importPluginSource", () => {
  const fileSource = (rel: string, body: string): PluginSource => {
    writeTree(root, { [rel]: body });
    return resolvePluginSpec(`./${rel}`, { baseDir: root, via: "flag" });
  };
  it("returns a default-exported descriptor, or each of an array", async () => {
    expect((await importPluginSource(fileSource("one.mjs", quantizerModule("one")))).map((p) => p.id)).toEqual(["one"]);
    const two = fileSource(
      "two.mjs",
      `${quantizerModule("two-a")}\nconst b = { ...plugin, id: "two-b" };\nexport const unused = 1;\nexport { b };\n`.replace("export default plugin;", 'export default [plugin, { ...plugin, id: "two-b" }];'),
    );
    expect((await importPluginSource(two)).map((p) => p.id)).toEqual(["two-a", "two-b"]);
  });
  it("a module that throws on import is QF_PLUGIN_LOAD with the original error as cause", async () => {
    const e = await rejection(importPluginSource(fileSource("boom.mjs", `throw new RangeError("kaboom at import");`)));
    expect(e).toMatchObject({ code: ErrorCodes.PLUGIN_LOAD, message: expect.stringMatching(/failed to load .*kaboom at import\. Fix the plugin/) });
    expect(e.cause).toBeInstanceOf(RangeError);
  });
  it("a module whose import is missing is QF_PLUGIN_LOAD telling to install its dependencies", async () => {
    const e = await rejection(importPluginSource(fileSource("deps.mjs", `import "quantforge-no-such-package-xyz";\nexport default 1;`)));
    expect(e).toMatchObject({ code: ErrorCodes.PLUGIN_LOAD, message: expect.stringMatching(/quantforge-no-such-package-xyz.*Install the plugin's dependencies/) });
    expect(e.cause).toBeInstanceOf(Error);
  });
  it.each([
    ["no default export", `export const fooQuantizer = { kind: "quantizer", id: "foo", create() {} };`, /has no default export.*named descriptor exports \(fooQuantizer\)/],
    ["a function", `export default function fooQuantizer() { return {}; }`, /default export is a function.*export default fooQuantizer\(\)/],
    ["an empty array", `export default [];`, /empty array/],
  ])("%s is QF_PLUGIN_EXPORT with the fix", async (_, body, msg) => {
    const e = await rejection(importPluginSource(fileSource(`exp-${Math.random().toString(36).slice(2)}.mjs`, body)));
    expect(e).toMatchObject({ code: ErrorCodes.PLUGIN_EXPORT, message: expect.stringMatching(msg) });
  });
  it("a malformed descriptor is QF_INVALID_PLUGIN naming the package, the export and the field", async () => {
    writeTree(root, {
      "node_modules/quantforge-plugin-bad/package.json": pluginPackageJson("quantforge-plugin-bad"),
      "node_modules/quantforge-plugin-bad/index.js": quantizerModule("good", "1.0.0", `[plugin, { ...plugin, id: "bad", create: undefined }]`),
    });
    const e = await rejection(importPluginSource(resolvePluginSpec("quantforge-plugin-bad", { baseDir: root, via: "flag" })));
    expect(e).toMatchObject({ code: ErrorCodes.INVALID_PLUGIN, message: expect.stringMatching(/"bad" \(from "quantforge-plugin-bad", default export \[1\]\) is malformed: field "create"/) });
  });
});
