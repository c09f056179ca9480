/**
 * The checks every fuzz case runs under (issue 16): the case ends in success or a typed
 * QuantforgeError, reads no file outside its sandbox folder (paths recorded by the fs mocks of
 * fs-recorder.ts), stays within a time budget and grows memory by less than 600 MB. Counts of
 * cases run and failures found are printed after each suite (the CI log shows them).
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll } from "vitest";
import { isQuantforgeError } from "@quantforge/core";
import { reads } from "./fs-recorder.js";

const MEMORY_CAP = 600 * 1024 * 1024;
const CASE_MS = 5_000;

/** Tensor dimensions: small, huge, fractional and negative ones. */
export const dimArb = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(2 ** 20, 2 ** 30, 2 ** 32, 2 ** 53 - 1, -1, 1.5), fc.nat());
/** Shapes of up to 40 {@link dimArb} dimensions. */
export const shapeArb = fc.array(dimArb, { maxLength: 40 });

/** A fuzz suite's sandbox folder and the per-case check. */
export interface FuzzSuite {
  /** The folder the cases write into (set in `beforeAll`); bait files sit beside it. */
  readonly sandbox: string;
  /** Runs `fn` once under the checks; returns the problem found (also counted) or undefined. */
  check(label: string, fn: () => Promise<unknown> | unknown): Promise<string | undefined>;
}

/** Registers the sandbox's setup and teardown (and the counts printed) for the calling test file. */
export function fuzzSuite(name: string): FuzzSuite {
  let root = "";
  let sandbox = "";
  const stats = { run: 0, failures: [] as string[] };
  beforeAll(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), "qf-fuzz-")));
    sandbox = join(root, "model");
    await mkdir(sandbox);
    // Bait outside the sandbox: a reader that follows ../ or an absolute path reads it.
    await writeFile(join(root, "outside.bin"), new Uint8Array(4096).fill(7));
    await symlink(join(root, "outside.bin"), join(root, "link-target-outside"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    console.log(`fuzz (${name}): ${stats.run} cases run, ${stats.failures.length} failures${stats.failures.length ? `:\n  ${stats.failures.slice(0, 20).join("\n  ")}` : ""}`);
  });
  const inside = (p: string) => {
    const abs = resolve(sandbox, p);
    return abs === sandbox || abs.startsWith(sandbox + sep);
  };
  return {
    get sandbox() {
      return sandbox;
    },
    async check(label, fn) {
      stats.run++;
      reads.paths.length = 0;
      const before = process.memoryUsage();
      const t0 = performance.now();
      let problem: string | undefined;
      reads.on = true;
      try {
        await fn();
      } catch (e) {
        if (!isQuantforgeError(e)) problem = `untyped ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 160)}`;
      } finally {
        reads.on = false;
      }
      const after = process.memoryUsage();
      const ms = performance.now() - t0;
      const outside = reads.paths.filter((p) => !inside(p));
      if (!problem && outside.length > 0) problem = `read outside the sandbox: ${outside.slice(0, 3).join(", ")}`;
      if (!problem && ms > CASE_MS) problem = `took ${ms.toFixed(0)} ms`;
      const grew = Math.max(after.rss - before.rss, after.arrayBuffers - before.arrayBuffers);
      if (!problem && grew > MEMORY_CAP) problem = `memory grew by ${(grew / 2 ** 20).toFixed(0)} MiB`;
      if (problem) stats.failures.push(`${label}: ${problem}`);
      return problem;
    },
  };
}
