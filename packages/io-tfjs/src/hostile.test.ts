import { execFileSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCodes } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratch } from "./testing/fixtures.js";
import { readTfjsModel } from "./read.js";
import { writeTfjsModel } from "./write.js";
import { loadCodedTfjsModel } from "./coded.js";

let s: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

/** A one-weight layers model whose single shard path is `shard`; `outside` is a 16-byte file beside (not inside) the model folder. */
async function model(name: string, shard: string, extra: Record<string, unknown> = {}): Promise<{ path: string; dir: string; outside: string }> {
  const root = join(s.dir, name);
  const dir = join(root, "model");
  await mkdir(dir, { recursive: true });
  const outside = join(root, "secret.bin");
  await writeFile(outside, new Uint8Array(16).fill(0x41)); // exactly the 16 bytes the manifest asks for
  const json = {
    format: "layers-model",
    modelTopology: { class_name: "Sequential", config: { name: "m", layers: [] } },
    weightsManifest: [{ paths: [shard], weights: [{ name: "d/kernel", shape: [2, 2], dtype: "float32" }] }],
    ...extra,
  };
  const path = join(dir, "model.json");
  await writeFile(path, JSON.stringify(json));
  return { path, dir, outside };
}

async function code(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, "expected a typed error").toBeDefined();
  return e as { code?: string; message: string };
}

describe("hostile shard paths (issue 16 item 1)", () => {
  it("refuses ../ and absolute shard paths without looking at the file, even when its size matches", async () => {
    for (const [i, ref] of [
      ["up", "../secret.bin"],
      ["deep", "../../../../../../../../etc/passwd"],
      ["abs", "/etc/passwd"],
      ["sub", "sub/../../secret.bin"],
    ] as const) {
      const m = await model(`p-${i}`, ref);
      const abs = ref === "/etc/passwd" ? ref : ref;
      const e = await code(readTfjsModel(m.path));
      expect(e.code).toBe(ErrorCodes.FORMAT);
      expect(e.message).toMatch(/leaves the model folder/);
      expect(e.message).not.toMatch(/holds \d+ bytes/);
      void abs;
    }
  });

  it("gives the same answer for an outside path that exists and one that does not", async () => {
    const a = await code(readTfjsModel((await model("ex-a", "../secret.bin")).path));
    const b = await code(readTfjsModel((await model("ex-b", "../no-such-file.bin")).path));
    expect(a.message.replace("secret", "X")).toBe(b.message.replace("no-such-file", "X"));
  });

  it("refuses a symlink inside the folder that points outside, and never copies the outside bytes into a written model", async () => {
    const m = await model("sym", "link.bin");
    await symlink(m.outside, join(m.dir, "link.bin"));
    const e = await code(readTfjsModel(m.path));
    expect(e.code).toBe(ErrorCodes.FORMAT);
    expect(e.message).toMatch(/leaves the model folder/);
  });

  it("refuses a FIFO shard at once instead of hanging", async () => {
    const m = await model("fifo", "w.bin");
    execFileSync("mkfifo", [join(m.dir, "w.bin")]);
    const t0 = Date.now();
    const e = await code(readTfjsModel(m.path));
    expect(e.code).toBe(ErrorCodes.IO);
    expect(e.message).toMatch(/not a regular file/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("refuses a FIFO model.json at once", async () => {
    const dir = join(s.dir, "fifo-json");
    await mkdir(dir, { recursive: true });
    execFileSync("mkfifo", [join(dir, "model.json")]);
    const e = await code(readTfjsModel(join(dir, "model.json")));
    expect(e.code).toBe(ErrorCodes.IO);
  });

  it("reads a contained shard in a subfolder and writes it back unchanged", async () => {
    const m = await model("ok", "sub/w.bin");
    await mkdir(join(m.dir, "sub"));
    const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    await writeFile(join(m.dir, "sub", "w.bin"), bytes);
    const r = await readTfjsModel(m.path);
    const out = join(s.dir, "ok-out");
    await writeTfjsModel(out, r, new Map(), { target: "tfjs-float" });
    expect(new Uint8Array(await readFile(join(out, "group1-shard1of1.bin")))).toEqual(bytes);
  });
});

describe("hostile sizes, names and depth", () => {
  it("refuses a declared element count beyond the cap before allocating", async () => {
    const m = await model("big", "w.bin");
    const j = JSON.parse(await readFile(m.path, "utf8"));
    j.weightsManifest[0].weights[0].shape = [2 ** 20, 2 ** 20, 2 ** 20];
    await writeFile(m.path, JSON.stringify(j));
    const e = await code(readTfjsModel(m.path));
    expect(e.code).toBe(ErrorCodes.FORMAT);
    expect(e.message).toMatch(/elements/);
  });

  it("refuses a dtype named after an Object.prototype key", async () => {
    for (const dtype of ["__proto__", "toString", "constructor"]) {
      const m = await model(`proto-${dtype}`, "w.bin");
      const j = JSON.parse(await readFile(m.path, "utf8"));
      j.weightsManifest[0].weights[0].dtype = dtype;
      await writeFile(m.path, JSON.stringify(j));
      expect((await code(readTfjsModel(m.path))).code).toBe(ErrorCodes.FORMAT);
    }
  });

  it("prints names with control characters escaped", async () => {
    const m = await model("esc", "w.bin");
    const j = JSON.parse(await readFile(m.path, "utf8"));
    j.weightsManifest[0].weights[0].dtype = "int8";
    j.weightsManifest[0].weights[0].name = "evil\u001b[2J\nname";
    await writeFile(m.path, JSON.stringify(j));
    const e = await code(readTfjsModel(m.path));
    expect(e.message).not.toMatch(/[\u0000-\u001f]/);
    expect(e.message).toContain("\\x1b");
  });

  it("refuses a modelTopology nested 200,000 deep with a typed error, not a stack overflow", async () => {
    const dir = join(s.dir, "deep");
    await mkdir(dir, { recursive: true });
    const n = 200_000;
    const topo = `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    await writeFile(join(dir, "model.json"), `{"format":"layers-model","modelTopology":${topo},"weightsManifest":[]}`);
    const e = await code(readTfjsModel(join(dir, "model.json")));
    expect(e.code).toBe(ErrorCodes.FORMAT);
    expect(e.message).toMatch(/nests/);
  });
});

describe("names that are Object.prototype keys", () => {
  it("a weight named __proto__ is read and written like any other", async () => {
    const m = await model("proto-name", "w.bin");
    const j = JSON.parse(await readFile(m.path, "utf8"));
    j.weightsManifest[0].weights[0].name = "__proto__";
    await writeFile(m.path, JSON.stringify(j));
    const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    await writeFile(join(m.dir, "w.bin"), bytes);
    const r = await readTfjsModel(m.path);
    expect(r.entries.map((e) => e.spec.name)).toEqual(["__proto__"]);
    expect(r.tags.get("__proto__")?.role).toBe("other");
    const out = join(s.dir, "proto-out");
    await writeTfjsModel(out, r, new Map(), { target: "tfjs-float" });
    expect(JSON.parse(await readFile(join(out, "model.json"), "utf8")).weightsManifest[0].weights[0].name).toBe("__proto__");
  });
});

describe("model.json size before parsing", () => {
  it("refuses more than MAX_MODEL_JSON_CONTAINERS objects/arrays before JSON.parse (a million manifest groups peaked near 600 MiB)", async () => {
    const groups = `[${Array.from({ length: 600_000 }, (_, i) => `{"paths":["s${i}.bin"],"weights":[]}`).join(",")}]`;
    const p = join(s.dir, "many-groups.json");
    await writeFile(p, `{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":${groups}}`);
    await expect(readTfjsModel(p)).rejects.toMatchObject({ code: ErrorCodes.FORMAT, message: expect.stringMatching(/JSON objects\/arrays/) });
  });
  it("the coded loader refuses the same file before JSON.parse", async () => {
    const groups = `[${Array.from({ length: 600_000 }, (_, i) => `{"paths":["s${i}.bin"],"weights":[]}`).join(",")}]`;
    const p = join(s.dir, "many-groups-coded.json");
    await writeFile(p, `{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":${groups}}`);
    const neverLoad = {
      loadGraphModel: () => {
        throw new Error("must not load");
      },
      loadLayersModel: () => {
        throw new Error("must not load");
      },
    };
    await expect(loadCodedTfjsModel(p, neverLoad as never)).rejects.toMatchObject({ code: ErrorCodes.FORMAT, message: expect.stringMatching(/JSON objects\/arrays/) });
  });
});
