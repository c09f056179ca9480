#!/usr/bin/env node
import { resolve } from "node:path";
import { checkMetricDefinitions, checkPluginBoundaries } from "./boundary-rules.js";
import { checkWorkspacePackages } from "./package-rules.js";
import { checkTestTypecheck } from "./test-rules.js";
import { checkPluginVersions } from "./version-rules.js";

// `pnpm check:packages [root]`: exits 1 and lists every broken publishing rule of packages/*.
const root = resolve(process.argv[2] ?? process.cwd());
const { checked, problems: manifestProblems } = checkWorkspacePackages(root);
// Architecture rules over the whole workspace (boundary-rules.ts).
const problems = [...manifestProblems, ...checkMetricDefinitions(root), ...checkPluginBoundaries(root), ...checkPluginVersions(root), ...checkTestTypecheck(root)];
for (const p of problems) process.stderr.write(`error QF_PACKAGE_RULE: ${p.package} [${p.rule}] ${p.message}\n`);
process.stdout.write(`check:packages: ${checked.length} public packages, ${problems.length} problem(s)\n`);
process.exitCode = problems.length === 0 ? 0 : 1;
