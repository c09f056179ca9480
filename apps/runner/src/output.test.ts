import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "@quantforge/core";
import { fmt, renderTable, writeFileAtomic, writeWithTemp } from "./output.js";
import { tempDir } from "./__tests__/harness.js";

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  t = await tempDir();
});
afterEach(async () => {
  await t.cleanup();
});

describe("writeFileAtomic", () => {
  it("writes the data and leaves no temp file", async () => {
    await writeFileAtomic(t.path("a.bin"), new Uint8Array([1, 2, 3]));
    expect([...(await readFile(t.path("a.bin")))]).toEqual([1, 2, 3]);
    expect(await readdir(t.dir)).toEqual(["a.bin"]);
  });
  it("replaces an existing file whole", async () => {
    await writeFile(t.path("a.txt"), "old contents that are longer");
    await writeFileAtomic(t.path("a.txt"), "new");
    expect(await readFile(t.path("a.txt"), "utf8")).toBe("new");
  });
  it("on failure keeps the old target and removes the temp file", async () => {
    await writeFile(t.path("keep.txt"), "old");
    await expect(
      writeWithTemp(t.path("keep.txt"), async (tmp) => {
        await writeFile(tmp, "partial");
        throw new Error("producer failed");
      }),
    ).rejects.toThrow("producer failed");
    expect(await readFile(t.path("keep.txt"), "utf8")).toBe("old");
    expect(await readdir(t.dir)).toEqual(["keep.txt"]);
  });
  it("writes parts as their concatenation", async () => {
    await writeFileAtomic(t.path("p.bin"), [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)]);
    expect([...(await readFile(t.path("p.bin")))]).toEqual([1, 2, 3]);
  });
  it("replaces the target only once commitAfter settles, and not at all when it fails", async () => {
    await writeFile(t.path("c.bin"), "old");
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    const writing = writeFileAtomic(t.path("c.bin"), Uint8Array.of(7), { commitAfter: later });
    // The temp file is written while the target still holds the old bytes.
    for (let i = 0; i < 50 && (await readdir(t.dir)).length < 2; i++) await new Promise((r) => setTimeout(r, 2));
    expect((await readdir(t.dir)).length).toBe(2);
    expect(await readFile(t.path("c.bin"), "utf8")).toBe("old");
    release();
    await writing;
    expect([...(await readFile(t.path("c.bin")))]).toEqual([7]);
    const failed = Promise.reject(new Error("hash failed"));
    failed.catch(() => undefined);
    await expect(writeFileAtomic(t.path("c.bin"), Uint8Array.of(8), { commitAfter: failed })).rejects.toThrow("hash failed");
    expect([...(await readFile(t.path("c.bin")))]).toEqual([7]);
    expect(await readdir(t.dir)).toEqual(["c.bin"]);
  });
  it("maps file-system failures to QF_IO and cleans up", async () => {
    await mkdir(t.path("adir"));
    await writeFile(t.path("adir/x"), "");
    // Renaming a file onto a non-empty directory fails.
    await expect(writeFileAtomic(t.path("adir"), "data")).rejects.toMatchObject({ code: ErrorCodes.IO });
    expect((await readdir(t.dir)).sort()).toEqual(["adir"]);
  });
});

describe("tables", () => {
  it("renders aligned rows with a dash for null", () => {
    const s = renderTable(
      ["a", "n"],
      [
        ["x", 1.5],
        ["yy", null],
      ],
    );
    expect(s).toContain("│ x  │ 1.5 │");
    expect(s).toContain("│ yy │   – │");
  });
  it("fmt chooses fixed or exponential notation", () => {
    expect(fmt(1.23456, 2)).toBe("1.23");
    expect(fmt(0, 2)).toBe("0.00");
    expect(fmt(1.5e-7, 3)).toBe("1.50e-7");
    expect(fmt(null)).toBe("–");
    expect(fmt("exact")).toBe("exact");
  });
});
