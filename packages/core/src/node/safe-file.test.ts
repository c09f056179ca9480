import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { openRegularFile, readContainedFile, readRegularFile, resolveContained } from "./safe-file.js";
import { printable } from "../printable.js";

let root: string;
let outside: string;
beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), "qf-safe-"));
  root = join(base, "model");
  outside = join(base, "secret.bin");
  await mkdir(join(root, "sub"), { recursive: true });
  await writeFile(join(root, "a.bin"), new Uint8Array([1, 2, 3, 4]));
  await writeFile(join(root, "sub", "b.bin"), new Uint8Array([5, 6]));
  await writeFile(outside, new Uint8Array(651));
  await symlink(outside, join(root, "link.bin"));
  await symlink(join(root, "a.bin"), join(root, "inner-link.bin"));
  execFileSync("mkfifo", [join(root, "fifo.bin")]);
});

describe("resolveContained / readContainedFile", () => {
  it("reads files inside the folder, including through inner symlinks", async () => {
    expect([...(await readContainedFile(root, "a.bin"))]).toEqual([1, 2, 3, 4]);
    expect([...(await readContainedFile(root, "sub/b.bin"))]).toEqual([5, 6]);
    expect([...(await readContainedFile(root, "sub/../a.bin"))]).toEqual([1, 2, 3, 4]);
    expect([...(await readContainedFile(root, "inner-link.bin"))]).toEqual([1, 2, 3, 4]);
  });

  it.each(["../secret.bin", "/etc/passwd", "sub/../../secret.bin", "link.bin", "C:\\x.bin", ""])("refuses %j with QF_FORMAT and says nothing about the outside file", async (ref) => {
    const err = await resolveContained(root, ref, "shard").then(
      () => {
        throw new Error("expected a rejection, but resolveContained fulfilled");
      },
      (e: unknown) => e as Error & { code: string },
    );
    expect(err).toMatchObject({ code: "QF_FORMAT" });
    expect(err.message).not.toMatch(/651|does not exist|ENOENT/);
  });

  it("gives the same answer for an outside path whether or not it exists", async () => {
    const a = await resolveContained(root, "../secret.bin").catch((e: Error) => e.message);
    const b = await resolveContained(root, "../nothing-here.bin").catch((e: Error) => e.message);
    expect(a.replace("secret", "X")).toBe(b.replace("nothing-here", "X"));
  });

  it("refuses FIFOs without blocking, and enforces size limits before reading", async () => {
    await expect(readContainedFile(root, "fifo.bin")).rejects.toMatchObject({ code: "QF_IO" });
    await expect(readRegularFile(join(root, "a.bin"), { maxBytes: 3 })).rejects.toMatchObject({ code: "QF_IO" });
    await expect(readRegularFile(join(root, "a.bin"), { expectedBytes: 5 })).rejects.toMatchObject({ code: "QF_FORMAT" });
    await expect(openRegularFile(root)).rejects.toMatchObject({ code: "QF_IO" });
    await expect(readRegularFile("/dev/zero")).rejects.toMatchObject({ code: "QF_IO" });
  });
});

describe("printable", () => {
  it("escapes control characters and cuts long names", () => {
    expect(printable("a\x1b[31mred\n")).toBe("a\\x1b[31mred\\x0a");
    expect(printable("x".repeat(300)).length).toBe(201);
    expect(printable("ü😀")).toBe("ü😀");
  });
  test.prop([fc.string({ unit: "binary" })])("never emits a control character", (s) => {
    expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(printable(s, 1e9))).toBe(false);
  });
});
