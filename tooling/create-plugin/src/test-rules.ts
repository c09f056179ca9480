import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PackageProblem } from "./package-rules.js";
import { workspaceFolders } from "./scaffold.js";

/** The script that must type-check the tests, and how it says so. */
const TEST_TSCONFIG = "tsconfig.test.json";
const RUNS_TEST_TSCONFIG_RE = /(?:^|&&|;)\s*tsc\s+(?:[^&;]*\s)?-p\s+tsconfig\.test\.json\b/;

/** True when `dir` holds a `*.test.ts` file at any depth (`node_modules` and `dist` left out). */
export function hasTestFiles(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const e of readdirSync(dir)) {
    if (e === "node_modules" || e === "dist") continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory() ? hasTestFiles(p) : e.endsWith(".test.ts")) return true;
  }
  return false;
}

/**
 * Rule `test-typecheck`: every workspace package (each folder of pnpm-workspace.yaml) with
 * colocated `src/**\/*.test.ts` files has a `tsconfig.test.json` and its `typecheck` script runs
 * `tsc -p tsconfig.test.json`. The build's `tsconfig.json` leaves tests out (they must not land in
 * `dist/`), so without this a type error in a test would go unseen: Vitest strips types unchecked.
 */
export function checkTestTypecheck(root: string): PackageProblem[] {
  const problems: PackageProblem[] = [];
  for (const folder of workspaceFolders(root)) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      const dir = join(base, d);
      const manifest = join(dir, "package.json");
      if (!existsSync(manifest) || !hasTestFiles(join(dir, "src"))) continue;
      const m = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; scripts?: Readonly<Record<string, string>> };
      const fail = (message: string) => problems.push({ package: m.name ?? `${folder}/${d}`, rule: "test-typecheck", message });
      if (!existsSync(join(dir, TEST_TSCONFIG))) fail(`has *.test.ts files but no ${TEST_TSCONFIG}: add { "extends": "../../tooling/tsconfig/test.json" } so tsc checks the tests.`);
      if (!RUNS_TEST_TSCONFIG_RE.test(m.scripts?.typecheck ?? "")) fail(`the "typecheck" script must also run "tsc -p ${TEST_TSCONFIG} --noEmit" (after "tsc -p tsconfig.json --noEmit", joined by &&).`);
    }
  }
  return problems;
}
