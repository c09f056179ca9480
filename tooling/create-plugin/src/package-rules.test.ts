import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkManifest, checkWorkspacePackages, type Manifest, type RuleContext } from "./package-rules.js";

const good: Manifest = {
  name: "@quantforge/quantizer-foo", version: "0.1.0", description: "Foo.", license: "MIT", type: "module", sideEffects: false,
  engines: { node: ">=20.19" },
  exports: { ".": { "@quantforge/source": "./src/index.ts", types: "./dist/index.d.ts", default: "./dist/index.js" } },
  types: "./dist/index.d.ts",
  files: ["dist", "!dist/**/*.test.*", "!dist/.tsbuildinfo"],
  publishConfig: { access: "public" },
  peerDependencies: { "@quantforge/core": "workspace:^" },
  devDependencies: { "@quantforge/core": "workspace:*" },
};
const ctx: RuleContext = { folder: "quantizer-foo", topFiles: ["package.json", "README.md"], rootLicense: true, nodeEngine: ">=20.19", privatePackages: new Set(["@quantforge/runner"]) };
const rules = (m: Manifest, c: Partial<RuleContext> = {}) => checkManifest(m, { ...ctx, ...c }).map((p) => p.rule);

describe("checkManifest", () => {
  it("accepts a manifest that follows every rule", () => {
    expect(checkManifest(good, ctx)).toEqual([]);
  });
  it.each([
    ["name", { ...good, name: "@quantforge/quantizer-bar" }],
    ["version", { ...good, version: "1" }],
    ["description", { ...good, description: " " }],
    ["license", { ...good, license: "ISC" }],
    ["type", { ...good, type: "commonjs" }],
    ["sideEffects", { ...good, sideEffects: true }],
    ["engines", { ...good, engines: { node: ">=18" } }],
    ["exports", { ...good, exports: { ".": { default: "./dist/index.js" } } }],
    ["exports", { ...good, exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js", "@quantforge/source": "./src/index.ts" } } }],
    ["exports", { ...good, exports: "./dist/index.js" }],
    ["types", { ...good, types: "./index.d.ts" }],
    ["files", { ...good, files: ["dist"] }],
    ["files", { ...good, files: [...good.files!, "src"] }],
    ["publish-access", { ...good, publishConfig: undefined }],
    ["plugin-peer", { ...good, peerDependencies: { "@quantforge/core": "workspace:*" } }],
    ["plugin-peer", { ...good, dependencies: { "@quantforge/core": "workspace:^" } }],
    ["workspace-range", { ...good, dependencies: { "@quantforge/theory-laplacian": "workspace:*" } }],
    ["private-dependency", { ...good, dependencies: { "@quantforge/runner": "workspace:^" } }],
  ] as [string, Manifest][])("reports %s", (rule, m) => {
    expect(rules(m)).toContain(rule);
  });
  it("needs a README and a LICENSE (the package's or the root's)", () => {
    expect(rules(good, { topFiles: ["package.json"] })).toEqual(["readme"]);
    expect(rules(good, { rootLicense: false })).toEqual(["license"]);
    expect(rules(good, { rootLicense: false, topFiles: ["README.md", "LICENSE"] })).toEqual([]);
  });
  it("the peer rule applies to plugins only", () => {
    expect(rules({ ...good, name: "@quantforge/report", peerDependencies: {}, devDependencies: {} }, { folder: "report" })).toEqual([]);
  });
});

describe("checkWorkspacePackages", () => {
  const root = mkdtempSync(join(tmpdir(), "qf-rules-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it("checks public packages/* only and names each problem", () => {
    const write = (rel: string, v: unknown) => {
      mkdirSync(join(root, rel, ".."), { recursive: true });
      writeFileSync(join(root, rel), typeof v === "string" ? v : JSON.stringify(v));
    };
    write("package.json", { name: "root", private: true, engines: { node: ">=20.19" } });
    write("LICENSE", "MIT");
    write("packages/quantizer-foo/package.json", good);
    write("packages/quantizer-foo/README.md", "# foo");
    write("packages/quantizer-bad/package.json", { ...good, name: "@quantforge/quantizer-bad", sideEffects: undefined });
    write("packages/secret/package.json", { name: "@quantforge/secret", private: true });
    write("apps/runner/package.json", { name: "@quantforge/runner", private: true });
    const r = checkWorkspacePackages(root);
    expect(r.checked).toEqual(["@quantforge/quantizer-bad", "@quantforge/quantizer-foo"]);
    expect(r.problems.map((p) => `${p.package} ${p.rule}`)).toEqual(["@quantforge/quantizer-bad sideEffects", "@quantforge/quantizer-bad readme"]);
  });
});
