import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkManifest, checkWorkspacePackages, type Manifest, type RuleContext } from "./package-rules.js";

const good: Manifest = {
  name: "@quantforge/quantizer-foo",
  version: "0.1.0",
  description: "Foo.",
  license: "MIT",
  type: "module",
  sideEffects: false,
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

describe("boundary rules", () => {
  const root = mkdtempSync(join(tmpdir(), "qf-bounds-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, v: unknown) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), typeof v === "string" ? v : JSON.stringify(v));
  };
  it("metric-once: only packages/metrics defines SQNR, softmax, argmax, KL and top-1 (tests excepted)", async () => {
    const { checkMetricDefinitions, metricDefinitions } = await import("./boundary-rules.js");
    expect(metricDefinitions("export function sqnrDb(s) {}\nconst softmaxRows = (z) => z;\nfunction sqnrMetrics() {}\nexport function mismatchSqnrDb() {}\nconst meanKl = function () {};\nx.top1Agreement(a)")).toEqual([
      "sqnrDb",
      "softmaxRows",
      "meanKl",
    ]);
    write("packages/metrics/package.json", { name: "@quantforge/metrics" });
    write("packages/metrics/src/output.ts", "export function softmaxRows() {}");
    write("packages/evaluator-x/package.json", { name: "@quantforge/evaluator-x" });
    write("packages/evaluator-x/src/x.ts", "export { softmaxRows } from '@quantforge/metrics';\nexport function top1Agreement() {}");
    write("packages/evaluator-x/src/x.test.ts", "function softmax() {}");
    expect(checkMetricDefinitions(root).map((p) => `${p.package} ${p.rule} ${p.message}`)).toEqual(["@quantforge/evaluator-x metric-once packages/evaluator-x/src/x.ts defines top1Agreement(); import it from @quantforge/metrics instead."]);
  });
  it("plugin-boundary: quantizers import no plugin, io, model or tfjs; io no coder (dev dependencies not counted)", async () => {
    const { checkPluginBoundaries } = await import("./boundary-rules.js");
    write("packages/quantizer-a/package.json", {
      name: "@quantforge/quantizer-a",
      dependencies: { "@quantforge/coder-fixed": "workspace:^", "@quantforge/theory-laplacian": "workspace:^" },
      peerDependencies: { "@tensorflow/tfjs": "^4" },
      devDependencies: { "@quantforge/quantizer-rtn": "workspace:*" },
    });
    write("packages/io-b/package.json", { name: "@quantforge/io-b", dependencies: { "@quantforge/coder-huffman": "workspace:^", "@quantforge/core": "workspace:^" } });
    expect(checkPluginBoundaries(root, []).map((p) => `${p.package} ${p.rule} ${p.message.split(";")[0]}`)).toEqual([
      "@quantforge/io-b plugin-boundary depends on @quantforge/coder-huffman",
      "@quantforge/quantizer-a plugin-boundary depends on @quantforge/coder-fixed",
      "@quantforge/quantizer-a plugin-boundary depends on @tensorflow/tfjs",
    ]);
    // A listed exception passes; one whose edge is gone is reported as stale.
    const ex = [
      { from: "@quantforge/io-b", to: "@quantforge/coder-huffman", why: "t" },
      { from: "@quantforge/io-b", to: "@quantforge/coder-fixed", why: "t" },
    ];
    expect(checkPluginBoundaries(root, ex).map((p) => `${p.package} ${p.message.split(";")[0]!.split(":")[0]}`)).toEqual([
      "@quantforge/quantizer-a depends on @quantforge/coder-fixed",
      "@quantforge/quantizer-a depends on @tensorflow/tfjs",
      "@quantforge/io-b no longer depends on @quantforge/coder-fixed",
    ]);
  });
});
