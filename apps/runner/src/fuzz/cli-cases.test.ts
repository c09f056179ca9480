/**
 * Every issue-16 case (this package's scope) as a named regression test: a real CLI process per
 * case, which must exit with the expected code and error code without hanging, with a peak RSS
 * (VmHWM) under 600 MiB, and pass the case's own check
 * (no temp files left, planted plugin not run, no raw escapes on stderr).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_CASES, matches, runCliCase } from "./cases.js";

const RSS_LIMIT_MB = 600;
/**
 * A hang detector, not the 10 s acceptance limit: CI machines are shared and a CLI start alone
 * can take seconds there. `bench/hostile-cases.ts` measures each case against 10 s.
 */
const HANG_LIMIT_MS = 30_000;

// One at a time: the cases measure time and peak RSS, which parallel children would distort.
describe("issue 16 cases through the CLI", () => {
  for (const c of CLI_CASES) {
    it(
      c.name,
      async () => {
        const dir = await mkdtemp(join(tmpdir(), "qf-hostile-"));
        try {
          const o = await runCliCase(c, dir, Math.max(HANG_LIMIT_MS, c.timeoutMs ?? 0));
          const summary = `exit ${o.signal ?? o.exit}, ${o.code ?? "no code"}, ${o.seconds.toFixed(2)} s, ${o.peakRssMb.toFixed(0)} MiB\n${o.stderr.slice(-600)}`;
          expect(o.timedOut, summary).toBe(false);
          expect(matches(c, o), summary).toBe(true);
          expect(o.peakRssMb, summary).toBeLessThan(RSS_LIMIT_MB);
          if (c.after) expect(await c.after(dir, o.stderr), summary).toBeUndefined();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
      Math.max(HANG_LIMIT_MS, c.timeoutMs ?? 0) + 20_000,
    );
  }
});
