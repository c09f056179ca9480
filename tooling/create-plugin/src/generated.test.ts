import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { scaffoldPlugin } from "./scaffold.js";

// The acceptance test of the scaffold: one generated package of each kind, in the workspace layout,
// plus a standalone one depending on the built @quantforge/core, pass their own tests and type
// checks with no edits. The layout is a temp copy: links to this repository's tooling/, core and
// node_modules stand in for `pnpm install` / `npm install`.
const repo = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
const bin = (name: string) => join(repo, "node_modules/.bin", name);
let tmp: string;
const dirs: string[] = [];

function sh(cmd: string, args: readonly string[], cwd: string): { code: number; out: string } {
  // A clean environment: the outer Vitest's worker variables must not leak into the inner run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_OPTIONS" && k !== "TEST"));
  const r = spawnSync(cmd, [...args], { cwd, encoding: "utf8", env: { ...env, NO_COLOR: "1", CI: "true" }, timeout: 400_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
}

beforeAll(() => {
  // The standalone package and the type checks read core's dist/ (a turbo cache hit after `pnpm build`).
  const lock = spawnSync("flock", ["--version"]).status === 0 ? ["flock", "/tmp/qf-build.lock"] : [];
  const b = sh(lock[0] ?? bin("turbo"), [...lock.slice(1), ...(lock.length ? [bin("turbo")] : []), "run", "build", "--filter=@quantforge/core", "--output-logs=errors-only"], repo);
  expect(b.code, b.out).toBe(0);
  tmp = mkdtempSync(join(tmpdir(), "qf-generated-"));
  const ws = join(tmp, "ws");
  mkdirSync(join(ws, "packages"), { recursive: true });
  for (const f of ["package.json", "pnpm-workspace.yaml"]) writeFileSync(join(ws, f), readFileSync(join(repo, f)));
  link(join(repo, "tooling"), join(ws, "tooling"));
  link(join(repo, "packages/core"), join(ws, "packages/core"));
  // Core's tsconfig references metrics (its one workspace dependency).
  link(join(repo, "packages/metrics"), join(ws, "packages/metrics"));
  link(join(repo, "node_modules"), join(tmp, "node_modules"));
  writeFileSync(join(tmp, "package.json"), JSON.stringify({ private: true, type: "module" }));
  for (const kind of ["quantizer", "coder", "evaluator"]) {
    const r = scaffoldPlugin({ kind, id: `gen-${kind}`, cwd: ws, description: `Generated ${kind}.` });
    link(join(repo, "packages/core"), join(r.dir, "node_modules/@quantforge/core"));
    dirs.push(r.dir);
  }
  const solo = scaffoldPlugin({ kind: "quantizer", id: "gen-solo", cwd: join(tmp, "outside"), core: `file:${join(repo, "packages/core")}` });
  link(join(repo, "packages/core"), join(solo.dir, "node_modules/@quantforge/core"));
  dirs.push(solo.dir);
  writeFileSync(join(tmp, "vitest.config.mjs"), `export default { test: { projects: ${JSON.stringify(dirs)} } };\n`);
}, 300_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it("every generated package (quantizer, coder, evaluator; workspace and standalone) passes its own tests", () => {
  const r = sh(process.execPath, [join(repo, "node_modules/vitest/vitest.mjs"), "run", "--config", join(tmp, "vitest.config.mjs"), "--reporter=json", `--outputFile=${join(tmp, "results.json")}`], tmp);
  expect(existsSync(join(tmp, "results.json")), r.out).toBe(true);
  const res = JSON.parse(readFileSync(join(tmp, "results.json"), "utf8")) as { numFailedTests: number; numPassedTests: number; numPendingTests: number; testResults: { name: string }[] };
  expect(res.numFailedTests, r.out).toBe(0);
  expect(res.numPendingTests).toBe(0); // no conformance test is skipped
  expect(res.numPassedTests).toBeGreaterThan(80);
  // Each package ran its conformance suite, property tests, public-API and version tests.
  for (const d of dirs)
    for (const f of ["conformance", "public-api", "version"])
      expect(
        res.testResults.some((t) => t.name.startsWith(join(d, "src", f))),
        `${d} ${f}`,
      ).toBe(true);
  expect(r.code).toBe(0);
}, 400_000);

it("every generated package type-checks, strict, with no unused names, and its tests type-check too", () => {
  for (const d of dirs) {
    const r = sh(bin("tsc"), ["-p", join(d, "tsconfig.json"), "--noEmit", "--noUnusedLocals", "--noUnusedParameters"], d);
    expect(r.code, `${d}: ${r.out}`).toBe(0);
    const t = sh(bin("tsc"), ["-p", join(d, "tsconfig.test.json"), "--noEmit"], d);
    expect(t.code, `${d} (tests): ${t.out}`).toBe(0);
  }
}, 120_000);
