import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempDir } from "../__tests__/harness.js";
import { quantizerModule } from "../__tests__/plugin-fixtures.js";
import { redisSkipReason, startRedis, type TestRedis } from "./redis-harness.js";

// compare --queue against a real redis-server (127.0.0.1, random port, no persistence) with three
// `quantforge worker` child processes, one of them SIGKILLed mid-cell.
const skip = redisSkipReason();
if (skip) console.warn(skip);
const runnerDir = fileURLToPath(new URL("../../", import.meta.url));
// The CLI from source through tsx, runnable from any working directory.
const fromSource = [process.execPath, "--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href, "--conditions=@quantforge/source", fileURLToPath(new URL("../cli.ts", import.meta.url))] as const;
const tsxEnv = { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) };

interface Worker {
  readonly child: ChildProcess;
  log: string;
  readonly exited: Promise<number | null>;
}

/** `quantforge worker` from source (tsx), as a real process; resolves once it listens. */
async function startWorker(url: string, root: string, onLine: (w: Worker, line: string) => void = () => undefined): Promise<Worker> {
  const child = spawn(fromSource[0], [...fromSource.slice(1), "worker", "--queue", url, "--stall-seconds", "2", "--data-root", root], { cwd: runnerDir, env: tsxEnv, stdio: ["ignore", "ignore", "pipe"] });
  const w: Worker = { child, log: "", exited: new Promise((res) => child.once("exit", (c) => res(c))) };
  let ready!: () => void;
  const listening = new Promise<void>((res) => {
    ready = res;
  });
  let partial = "";
  child.stderr!.on("data", (b: Buffer) => {
    w.log += b.toString();
    partial += b.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith("worker: queue")) ready();
      onLine(w, l);
    }
  });
  await Promise.race([
    listening,
    w.exited.then((c) => {
      throw new Error(`worker exited (${c}):\n${w.log}`);
    }),
  ]);
  return w;
}

/** Job ids of every cell a worker finished (`done`/`failed` lines). */
const finishedJobs = (ws: readonly Worker[]) => ws.flatMap((w) => [...w.log.matchAll(/^(?:done|failed \S+) #\d+ \(job ([0-9a-f]+)\)$/gm)].map((m) => m[1]!));

describe.skipIf(skip)("compare --queue with quantforge worker processes on a real Redis", () => {
  let redis: TestRedis;
  let t: Awaited<ReturnType<typeof tempDir>>;
  let root: string, w: string;
  const workers: Worker[] = [];
  let killed: { worker: Worker; job: string } | undefined;

  beforeAll(async () => {
    [redis, t] = await Promise.all([startRedis(), tempDir()]);
    root = t.path("root");
    mkdirSync(root);
    w = t.path("root/w.safetensors");
    expect((await cli(["synth", "--out", w, "--seed", "5", "--tensors", "a:300x200:0.05,b:200x100:0.1"])).code).toBe(0);
    // The first worker to start a cell is SIGKILLed right then: its cell must be re-run elsewhere.
    const killFirst = (wk: Worker, line: string) => {
      const m = /^running #\d+ .* \(job ([0-9a-f]+), attempt 1\)$/.exec(line);
      if (m && !killed && process.env.QF_NO_KILL === undefined) {
        killed = { worker: wk, job: m[1]! };
        wk.child.kill("SIGKILL");
      }
    };
    workers.push(...(await Promise.all([0, 1, 2].map(() => startWorker(redis.url, root, killFirst)))));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      workers.map(async (wk) => {
        wk.child.kill("SIGTERM");
        await wk.exited;
      }),
    );
    await Promise.all([redis?.stop(), t?.cleanup()]);
  }, 30_000);

  const args = (out: string, ...extra: string[]) => ["compare", "--weights", w, "--quantizers", "rtn,uniform-mse", "--bits", "2,4", "--coders", "fixed,huffman", "--queue", redis.url, "--out", out, ...extra];

  it("finishes every cell with a worker SIGKILLed mid-cell, and compare --verify (local) finds 0 differences", async () => {
    const r = await cli(args(t.path("r1")), { cwd: root });
    expect(r.code, r.err).toBe(0);
    expect(killed, "a worker was killed mid-cell").toBeDefined();
    expect(await killed!.worker.exited).toBe(null);
    // BullMQ's stalled-job check gave the killed worker's cell to another worker.
    expect(finishedJobs(workers.filter((x) => x !== killed!.worker)).some((id) => killed!.job.startsWith(id))).toBe(true);
    const doc = JSON.parse(readFileSync(t.path("r1/results.json"), "utf8"));
    expect(doc.totals).toMatchObject({ planned: 8, finished: 8, ok: 8, failed: 0 });
    expect(r.err).toMatch(/note: queue "quantforge-cells" on redis:\/\/127\.0\.0\.1:\d+\/0: 8 job\(s\) enqueued, 0 already finished/);
    const v = await cli(["compare", "--verify", t.path("r1/results.json"), "--quiet"]);
    expect(v.code, v.err).toBe(0);
    expect(v.out).toContain("8 cells re-run, codes and metrics identical; inputs unchanged");
  }, 60_000);

  it("--resume after interrupting the coordinator re-runs no finished cell", async () => {
    const out = t.path("r2");
    const coordinator = spawn(fromSource[0], [...fromSource.slice(1), ...args(out, "--seed", "1")], { cwd: root, env: tsxEnv, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    coordinator.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
      if (/^\[2\/8\] /m.test(err) && !coordinator.killed) coordinator.kill("SIGINT");
    });
    const code = await new Promise((res) => coordinator.once("exit", res));
    expect(code, err).toBe(1);
    const first = JSON.parse(readFileSync(`${out}/results.json`, "utf8"));
    expect(first.interrupted).toBe(true);
    const k = first.totals.finished as number;
    const r = await cli([...args(out, "--seed", "1"), "--resume", "--quiet"], { cwd: root });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`note: resume: ${k} cell(s) reused from ${join(out, "results.json")}, ${8 - k} not finished there`);
    expect(r.err).toMatch(/: 0 job\(s\) enqueued, \d+ already finished in the queue, \d+ joined/);
    const doc = JSON.parse(readFileSync(`${out}/results.json`, "utf8"));
    expect(doc.totals).toMatchObject({ planned: 8, finished: 8, ok: 8 });
    // Nothing computed twice: every job id was finished by exactly one worker.
    const ids = finishedJobs(workers);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(16);
  }, 60_000);

  it("a job naming a plugin the workers did not load → QF_UNKNOWN_PLUGIN in that cell; an input leaving --data-root → QF_OUTSIDE_DATA_ROOT", async () => {
    writeFileSync(t.path("two.mjs"), quantizerModule("two-level"));
    const p = await cli(["--plugin", t.path("two.mjs"), "compare", "--weights", w, "--quantizers", "two-level,rtn", "--bits", "4", "--queue", redis.url, "--out", t.path("r3"), "--quiet"], { cwd: root });
    expect(p.code, p.err).toBe(0);
    const cells = JSON.parse(readFileSync(t.path("r3/results.json"), "utf8")).cells;
    expect(cells.map((c: { status: string; error?: { code: string } }) => c.error?.code ?? c.status)).toEqual(["QF_UNKNOWN_PLUGIN", "ok"]);
    expect(cells[0].error.message).toContain('quantizer "two-level" is not loaded on this worker');
    // Inside the coordinator's folder, but a symlink to a file outside the workers' data root.
    writeFileSync(t.path("outside.safetensors"), readFileSync(w));
    symlinkSync("../outside.safetensors", t.path("root/link.safetensors"));
    const o = await cli(["compare", "--weights", t.path("root/link.safetensors"), "--quantizers", "rtn", "--bits", "3", "--queue", redis.url, "--out", t.path("r4"), "--quiet"], { cwd: root });
    // Its one cell failed: results.json is written and the exit is that cell's error.
    expect(o.code, o.err).toBe(2);
    expect(o.err).toMatch(/^error QF_OUTSIDE_DATA_ROOT: the one cell failed /m);
    const c4 = JSON.parse(readFileSync(t.path("r4/results.json"), "utf8")).cells;
    expect(c4[0].error.code).toBe("QF_OUTSIDE_DATA_ROOT");
  }, 30_000);
});
