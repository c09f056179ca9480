import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeGraphModel } from "@quantforge/io-tfjs/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../__tests__/harness.js";
import { inputFiles } from "./input.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let model: string;
beforeAll(async () => {
  t = await tempDir();
  model = await writeGraphModel(t.path("graph"), { seed: 2 });
});
afterAll(async () => {
  await t.cleanup();
});

describe("inputFiles (hashes of compare's inputs)", () => {
  it("hashes model.json and every shard it names", async () => {
    const files = await inputFiles({ model });
    expect(files.map((f) => f.role)).toEqual(["model.json", ...files.slice(1).map(() => "weights shard")]);
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a shard path that leaves the model folder, directly or through a symlink (QF_FORMAT), instead of hashing it", async () => {
    const json = JSON.parse(await readFile(model, "utf8")) as { weightsManifest: { paths: string[] }[] };
    for (const [name, ref] of [
      ["escape", "../outside.bin"],
      ["link", "link.bin"],
    ] as const) {
      const dir = t.path(name);
      await mkdir(dir);
      await writeFile(t.path("outside.bin"), new Uint8Array(8));
      if (name === "link") await symlink(t.path("outside.bin"), join(dir, "link.bin"));
      json.weightsManifest[0]!.paths = [ref];
      await writeFile(join(dir, "model.json"), JSON.stringify(json));
      await expect(inputFiles({ model: join(dir, "model.json") })).rejects.toMatchObject({ code: "QF_FORMAT", message: expect.stringMatching(/leaves the model folder/) });
    }
  });
});
