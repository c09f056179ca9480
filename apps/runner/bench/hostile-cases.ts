/**
 * Runs every issue-16 case of `src/fuzz/cases.ts` against the CLI (the built `dist/cli.js` when
 * present) and prints one table: case, expected, exit code, error code, seconds, peak RSS (MiB,
 * VmHWM of the child), verdict. Exits 1 when any case misses its expectation or its limits
 * (10 s, 600 MiB).
 *
 *   pnpm --filter @quantforge/runner build && pnpm --filter @quantforge/runner exec tsx bench/hostile-cases.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_CASES, matches, runCliCase } from "../src/fuzz/cases.js";

const RSS_LIMIT_MB = 600;
const rows: string[][] = [];
let failed = 0;
for (const c of CLI_CASES) {
  const dir = await mkdtemp(join(tmpdir(), "qf-hostile-"));
  try {
    const o = await runCliCase(c, dir);
    const extra = matches(c, o) && c.after ? await c.after(dir, o.stderr) : undefined;
    const ok = matches(c, o) && extra === undefined && o.peakRssMb < RSS_LIMIT_MB;
    if (!ok) failed++;
    rows.push([c.name, `${c.exit}${c.code ? ` ${c.code}` : ""}`, o.signal ?? String(o.exit), o.code ?? "-", o.seconds.toFixed(2), o.peakRssMb.toFixed(0), ok ? "ok" : `FAIL${extra ? `: ${extra}` : o.timedOut ? ": timeout" : ""}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const head = ["case", "expected", "exit", "code", "s", "peak RSS MiB", "verdict"];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i]!)).join(" | ")} |`;
console.log([line(head), `|${width.map((n) => "-".repeat(n + 2)).join("|")}|`, ...rows.map(line)].join("\n"));
console.log(`\n${rows.length - failed} of ${rows.length} cases as expected`);
process.exit(failed > 0 ? 1 : 0);
