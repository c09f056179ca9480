import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOnnxModel } from "./read.js";
import { encodeModel, put, scratch, vi } from "./testing/fixtures.js";

let s: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

/** A MatMul model whose B [2, 2] is stored externally at `location`. */
const external = (location: string, length = 16) =>
  encodeModel({
    ir_version: 8,
    opset_import: [{ domain: "", version: 13 }],
    graph: {
      name: "ext",
      input: [vi("x", ["N", 2])],
      output: [vi("y", ["N", 2])],
      node: [{ op_type: "MatMul", input: ["x", "W"], output: ["y"] }],
      initializer: [
        {
          name: "W",
          dims: [2, 2],
          data_type: 1,
          data_location: 1,
          external_data: [
            { key: "location", value: location },
            { key: "length", value: String(length) },
          ],
        },
      ],
    },
  });

/** What `p` rejected with, typed for the assertions on its code and message; a `p` that fulfils fails the test. */
function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error("expected a rejection, but the promise fulfilled");
    },
    (err: unknown) => err as Error & { code?: string },
  );
}

describe("external data (hostile locations)", () => {
  it("reads a location inside the model's folder", async () => {
    const dir = join(s.dir, "ok");
    await mkdir(dir);
    await writeFile(join(dir, "w.bin"), new Uint8Array(16));
    const m = await readOnnxModel(await put(dir, "m.onnx", external("w.bin")));
    expect(m.initializers[0]!.external?.length).toBe(16);
  });
  it("refuses ../, absolute and symlinked-outside locations without saying anything about the outside file", async () => {
    const dir = join(s.dir, "bad");
    await mkdir(dir);
    await writeFile(join(s.dir, "secret.bin"), new Uint8Array(16));
    await symlink(join(s.dir, "secret.bin"), join(dir, "link.bin"));
    for (const loc of ["../secret.bin", join(s.dir, "secret.bin"), "link.bin", "../nothing-here.bin"]) {
      const e = await rejection(readOnnxModel(await put(dir, "m.onnx", external(loc))));
      expect(e.code, loc).toBe("QF_FORMAT");
      expect(e.message, loc).toMatch(/leaves the model folder/);
    }
  });
  it("a FIFO as external data or as the model is a typed error at once, not a hang", async () => {
    const dir = join(s.dir, "fifo");
    await mkdir(dir);
    execFileSync("mkfifo", [join(dir, "w.bin"), join(dir, "f.onnx")]);
    const e = await rejection(readOnnxModel(await put(dir, "m.onnx", external("w.bin"))));
    expect(e.code).toBe("QF_IO");
    const f = await rejection(readOnnxModel(join(dir, "f.onnx")));
    expect(f.code).toBe("QF_IO");
  }, 5000);
  it("a declared length the file does not hold is refused before allocation", async () => {
    const dir = join(s.dir, "short");
    await mkdir(dir);
    await writeFile(join(dir, "w.bin"), new Uint8Array(8));
    const e = await rejection(readOnnxModel(await put(dir, "m.onnx", external("w.bin"))));
    expect([e.code, /run past the end/.test(e.message)]).toEqual(["QF_FORMAT", true]);
  });
});
