import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Manifest, PackageProblem } from "./package-rules.js";

/**
 * Names of metric functions that only `packages/metrics` may define (case-insensitive): measured
 * SQNR (`sqnr`, `sqnrDb`, `tensorSqnrDb`, `normalizedSqnr`), softmax, argmax, KL and top-1
 * agreement. Adapters that wrap them (`sqnrMetrics`, `sqnrEvaluator`) and the Laplacian theory's
 * predicted SQNR (`mismatchSqnrDb`) are other concepts and stay allowed.
 */
export const METRIC_NAME_RE = /^(?:(?:tensor|normalized|pooled|measured)?sqnr(?:db)?|\w*softmax\w*|argmax\w*|meankl\w*|\w*kldivergence|top1agreement)$/i;

/** Function declarations and `const f = (…) =>` / `const f = function` definitions. */
const DEFINITION_RE = /(?:^|[^\w.])function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]|(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>)/g;

/** The package that owns the metric math. */
export const METRICS_PACKAGE_DIR = "packages/metrics";

/** Non-test `.ts` sources under `dir` (tests, benches, test support, `__tests__` and `dist` left out). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    if (e === "node_modules" || e === "dist" || e === "__tests__") continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e) && !/\.(test|test-d|bench|test-support)\.tsx?$/.test(e) && !e.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Names of the metric functions a source text defines (see {@link METRIC_NAME_RE}). */
export function metricDefinitions(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(DEFINITION_RE)) {
    const name = m[1] ?? m[2]!;
    if (METRIC_NAME_RE.test(name)) names.push(name);
  }
  return names;
}

/** Workspace package folders (`packages/x`, `apps/x`, `experiments/x`) with their manifests. */
function workspacePackages(root: string): { rel: string; m: Manifest }[] {
  const out: { rel: string; m: Manifest }[] = [];
  for (const group of ["packages", "apps", "experiments"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      const p = join(base, d, "package.json");
      if (existsSync(p)) out.push({ rel: `${group}/${d}`, m: JSON.parse(readFileSync(p, "utf8")) as Manifest });
    }
  }
  return out;
}

/**
 * Rule `metric-once`: outside {@link METRICS_PACKAGE_DIR} no source file (tests and test
 * support excepted) defines SQNR, softmax, argmax, KL or top-1 agreement; import them from
 * `@quantforge/metrics` so each formula exists once.
 */
export function checkMetricDefinitions(root: string): PackageProblem[] {
  const problems: PackageProblem[] = [];
  for (const { rel, m } of workspacePackages(root)) {
    if (rel === METRICS_PACKAGE_DIR || !existsSync(join(root, rel, "src"))) continue;
    for (const f of sourceFiles(join(root, rel, "src"))) {
      for (const name of metricDefinitions(readFileSync(f, "utf8"))) {
        problems.push({ package: m.name ?? rel, rule: "metric-once", message: `${f.slice(root.length + 1)} defines ${name}(); import it from @quantforge/metrics instead.` });
      }
    }
  }
  return problems;
}

const PLUGIN_DEP_RE = /^@quantforge\/(?:quantizer|coder|evaluator|io|model)-/;

/** A dependency edge the `plugin-boundary` rule tolerates for now, and why. */
export interface BoundaryException {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/**
 * Edges the rule tolerates; none are left (the last, quantizer-auto → evaluator-fidelity, went
 * when FidelityMeter moved to `@quantforge/core/host`). An entry must say why; a stale entry is
 * reported too, so the list cannot rot.
 */
export const BOUNDARY_EXCEPTIONS: readonly BoundaryException[] = [];

/**
 * Rule `plugin-boundary` (design §1): a `packages/quantizer-*` package depends (dependencies or
 * peerDependencies: what its users install) on no other plugin, io or model adapter, and not on
 * TensorFlow.js; an `io-*` package on no coder. What a plugin needs from others it gets from the
 * host. Dev dependencies used by tests and benchmarks are not counted.
 */
export function checkPluginBoundaries(root: string, exceptions: readonly BoundaryException[] = BOUNDARY_EXCEPTIONS): PackageProblem[] {
  const problems: PackageProblem[] = [];
  const allowed = new Set(exceptions.map((e) => `${e.from} ${e.to}`));
  const seen = new Set<string>();
  for (const { rel, m } of workspacePackages(root)) {
    const folder = rel.split("/")[1]!;
    if (!rel.startsWith("packages/")) continue;
    const deps = Object.keys({ ...m.dependencies, ...m.peerDependencies });
    const bad = folder.startsWith("quantizer-") ? deps.filter((d) => PLUGIN_DEP_RE.test(d) || d.startsWith("@tensorflow/")) : folder.startsWith("io-") ? deps.filter((d) => d.startsWith("@quantforge/coder-")) : [];
    for (const d of bad) {
      seen.add(`${m.name} ${d}`);
      if (allowed.has(`${m.name} ${d}`)) continue;
      problems.push({
        package: m.name ?? rel,
        rule: "plugin-boundary",
        message: `depends on ${d}; a ${folder.split("-")[0]} package gets other plugins from the host, not by import (move the code that needs it to experiments/ or the runner).`,
      });
    }
  }
  for (const e of exceptions) {
    if (!seen.has(`${e.from} ${e.to}`)) problems.push({ package: e.from, rule: "plugin-boundary", message: `no longer depends on ${e.to}: remove the entry from BOUNDARY_EXCEPTIONS in tooling/create-plugin/src/boundary-rules.ts.` });
  }
  return problems;
}
