import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerInRunner, RUNNER_FILES } from "./register-runner.js";
import { scaffoldPlugin } from "./scaffold.js";

// A fixture tree: the workspace root files, core, and a copy of this repository's runner files,
// so the edits are made to the real plugins.ts / package.json / tsconfig.json layout.
const repo = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
let ws: string;
beforeAll(() => {
  ws = join(mkdtempSync(join(tmpdir(), "qf-register-")), "ws");
  mkdirSync(join(ws, "packages"), { recursive: true });
  for (const f of ["package.json", "pnpm-workspace.yaml", ...Object.values(RUNNER_FILES)]) cpSync(join(repo, f), join(ws, f));
  symlinkSync(join(repo, "packages/core"), join(ws, "packages/core"));
});
afterAll(() => rmSync(join(ws, ".."), { recursive: true, force: true }));

const read = (rel: string) => readFileSync(join(ws, rel), "utf8");

it("a packages/ plugin of each kind is made built in: import, call in its section, runner dependency, tsconfig reference", () => {
  const before = { plugins: read(RUNNER_FILES.plugins), builtins: read(RUNNER_FILES.builtins), manifest: JSON.parse(read(RUNNER_FILES.manifest)) as Record<string, unknown>, tsconfig: read(RUNNER_FILES.tsconfig) };
  const made = (["quantizer", "coder", "evaluator"] as const).map((kind) => scaffoldPlugin({ kind, id: `reg-${kind}`, cwd: ws, description: `Registered ${kind}.` }));
  for (const r of made) expect(r.runnerFiles).toEqual(Object.values(RUNNER_FILES).map((f) => join(ws, f)));
  expect(made[0]!.nextSteps[2]).toMatch(/^pnpm build && node apps\/runner\/dist\/cli.js list {3}# regQuantizerQuantizer\(\) is built in/);

  const plugins = read(RUNNER_FILES.plugins);
  for (const [factory, pkg] of [
    ["regQuantizerQuantizer", "@quantforge/quantizer-reg-quantizer"],
    ["regCoderCoder", "@quantforge/coder-reg-coder"],
    ["regEvaluatorEvaluator", "@quantforge/evaluator-reg-evaluator"],
  ])
    expect(plugins).toContain(`import { ${factory} } from "${pkg}";\n`);
  // Each call sits at the end of its kind's section (quantizers before auto, which stays last).
  expect(plugins).toMatch(/tfjsAffineQuantizer\(\),\n {4}regQuantizerQuantizer\(\),\n {4}\/\/ auto takes/);
  expect(plugins).toMatch(/ransCoder\(\),\n {4}regCoderCoder\(\),\n {4}\/\/ evaluators\n/);
  expect(plugins).toMatch(/fidelityEvaluator\(\),\n {4}regEvaluatorEvaluator\(\),\n {2}\];\n/);
  // Nothing else changed: removing the six added lines gives the original back.
  expect(plugins.replace(/^.*[Rr]eg(Quantizer|Coder|Evaluator).*\n/gm, "")).toBe(before.plugins);

  // BUILTIN_PLUGINS gets the same three plugins in the same places, with the metadata `list` prints.
  const builtins = read(RUNNER_FILES.builtins);
  const entry = (kind: string) =>
    `  {\n    kind: "${kind}",\n    id: "reg-${kind}",\n    version: "0.1.0",\n    description: "Registered ${kind}.",\n    load: async () => (await import("@quantforge/${kind}-reg-${kind}")).reg${kind[0]!.toUpperCase()}${kind.slice(1)}${kind[0]!.toUpperCase()}${kind.slice(1)}(),\n  },\n`;
  expect(builtins).toContain(`${entry("quantizer")}  {\n    kind: "quantizer",\n    id: "auto",`);
  expect(builtins).toContain(`${entry("coder")}  {\n    kind: "evaluator",`);
  expect(builtins).toMatch(new RegExp(`${entry("evaluator").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]\\);\\n$`));
  expect(["quantizer", "coder", "evaluator"].reduce((text, kind) => text.replace(entry(kind), ""), builtins)).toBe(before.builtins);

  const manifest = JSON.parse(read(RUNNER_FILES.manifest)) as { dependencies: Record<string, string> };
  expect(manifest).toEqual({
    ...before.manifest,
    dependencies: { ...(before.manifest.dependencies as object), "@quantforge/quantizer-reg-quantizer": "workspace:*", "@quantforge/coder-reg-coder": "workspace:*", "@quantforge/evaluator-reg-evaluator": "workspace:*" },
  });
  const refs = (JSON.parse(read(RUNNER_FILES.tsconfig)) as { references: { path: string }[] }).references.map((x) => x.path);
  expect(refs.slice(-3)).toEqual(["../../packages/quantizer-reg-quantizer", "../../packages/coder-reg-coder", "../../packages/evaluator-reg-evaluator"]);
  expect(read(RUNNER_FILES.tsconfig)).toContain(`{ "path": "../../packages/theory-laplacian" },\n    { "path": "../../packages/quantizer-reg-quantizer" },\n`);
  expect(before.tsconfig.split("\n").length + 3).toBe(read(RUNNER_FILES.tsconfig).split("\n").length);

  // Registering again changes nothing.
  expect(registerInRunner(ws, { kind: "coder", packageName: "@quantforge/coder-reg-coder", factory: "regCoderCoder", id: "reg-coder", description: "x", dir: made[1]!.dir })).toEqual([]);
});

it("loadable examples, --no-runner and workspaces without a runner leave the runner alone", () => {
  const plugins = read(RUNNER_FILES.plugins);
  expect(scaffoldPlugin({ kind: "quantizer", id: "loadable", cwd: ws, dir: "examples/plugin-loadable" }).runnerFiles).toEqual([]);
  expect(scaffoldPlugin({ kind: "quantizer", id: "opt-out", cwd: ws, registerRunner: false }).runnerFiles).toEqual([]);
  expect(read(RUNNER_FILES.plugins)).toBe(plugins);
  rmSync(join(ws, RUNNER_FILES.plugins));
  const r = scaffoldPlugin({ kind: "coder", id: "no-runner", cwd: ws });
  expect(r.runnerFiles).toEqual([]);
  expect(r.nextSteps[2]).toMatch(/^add noRunnerCoder\(\) to apps\/runner\/src\/plugins.ts/);
  writeFileSync(join(ws, RUNNER_FILES.plugins), plugins);
});

it("a builtinPlugins() without its section comments is a QF_IO error naming the factory", () => {
  writeFileSync(join(ws, RUNNER_FILES.plugins), 'import type { AnyPlugin } from "@quantforge/core";\nexport const builtinPlugins = (): AnyPlugin[] => [];\n');
  expect(() => registerInRunner(ws, { kind: "coder", packageName: "@quantforge/coder-x", factory: "xCoder", id: "x", description: "x", dir: join(ws, "packages/coder-x") })).toThrow(
    expect.objectContaining({ code: "QF_IO", message: expect.stringContaining("add xCoder() there by hand") }),
  );
});
