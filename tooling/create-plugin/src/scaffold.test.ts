import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./cli.js";
import { camelCase, pascalCase, pluginNames } from "./names.js";
import { checkManifest } from "./package-rules.js";
import { scaffoldPlugin, workspaceFolders } from "./scaffold.js";
import { CORE_VERSION } from "./versions.js";

const repo = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
let tmp: string;
let ws: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "qf-scaffold-"));
  // A minimal copy of the workspace layout: the generator only reads these.
  ws = join(tmp, "ws");
  mkdirSync(join(ws, "packages"), { recursive: true });
  for (const f of ["package.json", "pnpm-workspace.yaml"]) writeFileSync(join(ws, f), readFileSync(join(repo, f)));
  symlinkSync(join(repo, "packages/core"), join(ws, "packages/core"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const json = (p: string) => JSON.parse(readFileSync(p, "utf8")) as Record<string, any>;

describe("names", () => {
  it("derive identifiers from kebab-case ids", () => {
    expect(camelCase("my-fancy-2bit")).toBe("myFancy2bit");
    expect(pascalCase("nf4")).toBe("Nf4");
    expect(pluginNames("coder", "range-ans")).toMatchObject({ factory: "rangeAnsCoder", schema: "rangeAnsOptionsSchema", options: "RangeAnsOptions", implFile: "range-ans-impl", adapterFile: "range-ans-coder" });
  });
});

describe("scaffoldPlugin", () => {
  it("reads the workspace folders from pnpm-workspace.yaml", () => {
    expect(workspaceFolders(repo)).toEqual(expect.arrayContaining(["packages", "apps", "tooling", "examples"]));
  });

  it("in the workspace: packages/<kind>-<id>, @quantforge name, workspace ranges, no default export, root changeset; passes the publishing rules", () => {
    const r = scaffoldPlugin({ kind: "quantizer", id: "first-party", cwd: ws, description: "First party." });
    expect(r).toMatchObject({ dir: join(ws, "packages/quantizer-first-party"), packageName: "@quantforge/quantizer-first-party", mode: "workspace", loadable: false });
    const m = json(join(r.dir, "package.json"));
    expect(m.peerDependencies).toEqual({ "@quantforge/core": "workspace:^" });
    expect(m.devDependencies["@quantforge/core"]).toBe("workspace:*");
    expect(checkManifest(m, { folder: "quantizer-first-party", topFiles: ["README.md"], rootLicense: true, nodeEngine: ">=20.19", privatePackages: new Set() })).toEqual([]);
    expect(json(join(r.dir, "tsconfig.json"))).toMatchObject({ extends: "../../tooling/tsconfig/base.json", references: [{ path: "../../packages/core" }] });
    // Tests are type-checked by their own config (tsconfig.json leaves them out of the build).
    expect(json(join(r.dir, "tsconfig.test.json"))).toEqual({ extends: "../../tooling/tsconfig/test.json" });
    expect(m.scripts.typecheck).toBe("tsc -p tsconfig.json --noEmit && tsc -p tsconfig.test.json --noEmit");
    expect(readFileSync(join(r.dir, "src/index.ts"), "utf8")).not.toContain("export default");
    expect(readFileSync(join(ws, ".changeset/quantforge-quantizer-first-party.md"), "utf8")).toMatch(/^---\n"@quantforge\/quantizer-first-party": minor\n---\n\nNew quantizer plugin `first-party`: First party\.\n$/);
    expect(r.nextSteps[0]).toBe("pnpm install");
  });

  it("in an examples/ folder: a loadable quantforge-plugin-<id> with a default export", () => {
    const r = scaffoldPlugin({ kind: "evaluator", id: "third", cwd: ws, dir: "examples/plugin-third" });
    expect(r).toMatchObject({ packageName: "quantforge-plugin-third", loadable: true, mode: "workspace" });
    expect(readFileSync(join(r.dir, "src/index.ts"), "utf8")).toMatch(/export default thirdEvaluator\(\);\n$/);
    expect(json(join(r.dir, "package.json")).publishConfig).toBeUndefined();
  });

  it("outside the workspace: standalone, peer ^<core version>, its own tsconfig, changesets config and release scripts", () => {
    const r = scaffoldPlugin({ kind: "coder", id: "solo", cwd: tmp, core: "file:../core.tgz" });
    expect(r).toMatchObject({ dir: join(tmp, "quantforge-plugin-solo"), mode: "standalone", loadable: true });
    const m = json(join(r.dir, "package.json"));
    expect(m.peerDependencies).toEqual({ "@quantforge/core": `^${CORE_VERSION}` });
    expect(m.devDependencies).toMatchObject({ "@quantforge/core": "file:../core.tgz", typescript: expect.any(String), "@changesets/cli": expect.any(String) });
    expect(m.scripts.release).toBe("npm run build && changeset publish");
    expect(JSON.stringify(m)).not.toContain("workspace:");
    expect(JSON.stringify(m)).not.toContain("@quantforge/source");
    expect(json(join(r.dir, "tsconfig.json")).extends).toBeUndefined();
    expect(json(join(r.dir, "tsconfig.test.json"))).toEqual({ extends: "./tsconfig.json", compilerOptions: { noEmit: true }, include: ["src"], exclude: [] });
    expect(m.scripts.typecheck).toBe("tsc -p tsconfig.json --noEmit && tsc -p tsconfig.test.json --noEmit");
    for (const f of [".changeset/config.json", ".changeset/initial-release.md", ".gitignore", "README.md", "src/solo-impl.ts", "src/solo-coder.ts", "src/conformance.test.ts"]) expect(existsSync(join(r.dir, f)), f).toBe(true);
  });

  it.each([
    [{ kind: "transformer", id: "x" }, "QF_USAGE", /unknown plugin kind "transformer"/],
    [{ kind: "quantizer", id: "NotKebab" }, "QF_USAGE", /not a kebab-case id/],
    [{ kind: "quantizer", id: "2bit" }, "QF_USAGE", /not a kebab-case id/],
    [{ kind: "quantizer", id: "ok", packageName: "Bad Name" }, "QF_USAGE", /not a valid npm package name/],
    [{ kind: "quantizer", id: "ok", dir: "somewhere/else/pkg" }, "QF_USAGE", /not in a workspace folder .*pnpm would not install it/],
  ])("rejects %j with %s", (o, code, msg) => {
    expect(() => scaffoldPlugin({ ...o, cwd: ws })).toThrow(expect.objectContaining({ code, message: expect.stringMatching(msg) }));
  });

  it("refuses a non-empty target directory (QF_IO) and writes nothing", () => {
    mkdirSync(join(ws, "packages/quantizer-taken"));
    writeFileSync(join(ws, "packages/quantizer-taken/keep.txt"), "x");
    expect(() => scaffoldPlugin({ kind: "quantizer", id: "taken", cwd: ws })).toThrow(expect.objectContaining({ code: "QF_IO" }));
    expect(existsSync(join(ws, "packages/quantizer-taken/package.json"))).toBe(false);
  });
});

describe("create-quantforge-plugin CLI", () => {
  const call = (args: string[], cwd = ws) => {
    let out = "",
      err = "";
    const code = run(
      args,
      cwd,
      (s) => (out += s),
      (s) => (err += s),
    );
    return { code, out, err };
  };
  it("creates a package and prints the next steps", () => {
    const r = call(["coder", "cli-made", "--dir", "examples/cli-made", "--description", "Made by the CLI."]);
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toMatch(/^created quantforge-plugin-cli-made \(workspace, loadable with --plugin\/--discover\) in .*examples\/cli-made: 14 files\nnext:\n {2}pnpm install\n/);
  });
  it("usage errors are one line `error QF_USAGE: …`, exit 2", () => {
    for (const args of [["quantizer"], ["quantizer", "a", "b"], ["quantizer", "x", "--nope"], ["nope", "x"]]) {
      const r = call(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error QF_USAGE: [^\n]+\n$/);
    }
    expect(call(["--help"])).toMatchObject({ code: 0, out: expect.stringContaining("usage: create-quantforge-plugin") });
  });
});
