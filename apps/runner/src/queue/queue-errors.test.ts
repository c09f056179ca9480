import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "../__tests__/harness.js";
import { freePort } from "./redis-harness.js";

// Error paths that need no Redis: they fail before any job is queued.
let t: Awaited<ReturnType<typeof tempDir>>;
let w: string;
beforeAll(async () => {
  t = await tempDir();
  w = t.path("w.safetensors");
  expect((await cli(["synth", "--out", w, "--seed", "1", "--tensors", "a:16x16:0.1"])).code).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
});

const compare = (...extra: string[]) => ["compare", "--weights", w, "--quantizers", "rtn", "--bits", "4", "--out", t.path("r"), "--quiet", ...extra];

describe("compare --queue / worker: typed errors", () => {
  it("a bad queue URL → QF_USAGE, exit 2 (compare and worker)", async () => {
    for (const args of [compare("--queue", "http://127.0.0.1:6379"), ["worker", "--queue", "redis://h:1/db"], ["worker"]]) {
      const r = await cli(args, { cwd: t.dir });
      expect([r.code, errorCode(r)], r.err).toEqual([2, "QF_USAGE"]);
    }
  });

  it("unreachable Redis → QF_QUEUE naming the URL, exit 2, in seconds (compare and worker)", async () => {
    const url = `redis://127.0.0.1:${await freePort()}/5`;
    for (const args of [compare("--queue", url), ["worker", "--queue", url]]) {
      const t0 = Date.now();
      const r = await cli(args, { cwd: t.dir });
      expect([r.code, errorCode(r)], r.err).toEqual([2, "QF_QUEUE"]);
      expect(r.err).toContain(`cannot reach Redis at ${url}`);
      expect(Date.now() - t0).toBeLessThan(6000);
    }
  });

  it("--jobs with --queue, --queue-name alone, an input outside the working directory, a missing data root → typed errors", async () => {
    const cases: [string[], string, string?][] = [
      [compare("--queue", "redis://127.0.0.1:1", "--jobs", "2"), "QF_USAGE", "Drop --jobs"],
      [compare("--queue-name", "x"), "QF_USAGE", "--queue is missing"],
      [["worker", "--queue", "redis://127.0.0.1:1", "--data-root", t.path("nope")], "QF_IO", "--data-root"],
      [["worker", "--queue", "redis://127.0.0.1:1", "--concurrency", "0"], "QF_USAGE"],
    ];
    for (const [args, code, text] of cases) {
      const r = await cli(args, { cwd: t.dir });
      expect([r.code, errorCode(r)], r.err).toEqual([2, code]);
      if (text) expect(r.err).toContain(text);
    }
    const url = `redis://127.0.0.1:${await freePort()}`;
    const r = await cli(compare("--queue", url), { cwd: t.path("elsewhere-not-containing-w") });
    expect([r.code, errorCode(r)], r.err).toEqual([2, "QF_USAGE"]);
    expect(r.err).toContain("is outside the working directory");
  });
});
