import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRootContainer } from "../container.js";
import { builtinPlugins } from "../plugins.js";
import { inputFiles } from "../compare/input.js";
import { tempDir } from "../__tests__/harness.js";
import { cli } from "../__tests__/harness.js";
import { checkJobPlugins, localInput, verifyInput } from "./inputs.js";
import { cellJobBuilder, parseCellJob, type CellJob } from "./job.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let job: CellJob;
beforeAll(async () => {
  t = await tempDir();
  mkdirSync(t.path("root/sub"), { recursive: true });
  expect((await cli(["synth", "--out", t.path("root/sub/w.safetensors"), "--seed", "3", "--tensors", "a:8x8:0.1"])).code).toBe(0);
  writeFileSync(t.path("secret.safetensors"), "outside");
  symlinkSync("../secret.safetensors", t.path("root/escape.safetensors"));
  const config = {
    weights: t.path("root/sub/w.safetensors"),
    quantizers: [{ id: "rtn", options: {} }],
    bits: [4],
    coders: [{ id: "fixed", options: {} }],
    evaluators: [{ id: "sqnr", options: {} }],
    seed: 0,
    timeout: null,
    include: [],
    exclude: [],
    allTensors: false,
  };
  const inputs = await inputFiles(config);
  job = cellJobBuilder({ config, inputs, plugins: [{ kind: "quantizer", id: "rtn", version: "0.0.0" }], quantforgeVersion: "0.1.0", cwd: t.path("root") })({
    index: 0,
    label: "rtn",
    quantizer: "rtn",
    options: { bits: 4 },
    bits: 4,
    sweep: { bits: 4 },
    coder: "fixed",
    coderOptions: {},
  });
});
afterAll(async () => {
  await t.cleanup();
});

describe("queued inputs on a worker", () => {
  it("the job carries relative paths and hashes; it round-trips through the schema", async () => {
    expect(job.input.weights).toBe("sub/w.safetensors");
    expect(parseCellJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
    const input = await localInput(job, t.path("root"));
    await expect(verifyInput(job, input)).resolves.toBeUndefined();
  });

  it.each([
    ["absolute", (d: string) => `${d}/root/sub/w.safetensors`],
    ["dot-dot", () => "../secret.safetensors"],
    ["symlink leaving the root", () => "escape.safetensors"],
  ])("%s path → QF_OUTSIDE_DATA_ROOT", async (_, p) => {
    const bad = { ...job, input: { weights: p(t.dir) } };
    await expect(localInput(bad, t.path("root"))).rejects.toMatchObject({ code: "QF_OUTSIDE_DATA_ROOT", exitCode: 2 });
  });

  it("a missing input → QF_IO; changed bytes → QF_VERIFY_MISMATCH", async () => {
    await expect(localInput({ ...job, input: { weights: "nope.safetensors" } }, t.path("root"))).rejects.toMatchObject({ code: "QF_IO" });
    const input = await localInput(job, t.path("root"));
    const other = { ...job, files: job.files.map((f) => ({ ...f, sha256: "0".repeat(64) })) };
    await expect(verifyInput(other, input)).rejects.toMatchObject({ code: "QF_VERIFY_MISMATCH", exitCode: 2 });
  });

  it("a plugin this worker did not load → QF_UNKNOWN_PLUGIN; another version → QF_PLUGIN_MISSING", () => {
    const { registry } = createRootContainer(builtinPlugins());
    expect(() => checkJobPlugins(registry, { ...job, spec: { ...job.spec, quantizer: "evil" } })).toThrow(expect.objectContaining({ code: "QF_UNKNOWN_PLUGIN" }));
    expect(() => checkJobPlugins(registry, job)).toThrow(expect.objectContaining({ code: "QF_PLUGIN_MISSING" }));
    const v = registry.list("quantizer").find((p) => p.id === "rtn")!.version;
    expect(() => checkJobPlugins(registry, { ...job, plugins: [{ kind: "quantizer", id: "rtn", version: v }] })).not.toThrow();
  });

  it("job data that is not a cell plan → QF_QUEUE", () => {
    expect(() => parseCellJob({ ...job, code: "process.exit()" })).toThrow(expect.objectContaining({ code: "QF_QUEUE" }));
    expect(() => parseCellJob({ ...job, hash: "x" })).toThrow(expect.objectContaining({ code: "QF_QUEUE" }));
  });
});
