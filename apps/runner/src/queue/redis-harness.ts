import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The `redis-server` binary on PATH, or undefined. */
export function redisServerPath(): string | undefined {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/**
 * Why the Redis tests cannot run here, or undefined when they can. Without `redis-server` they
 * skip on a developer machine, but under CI (`CI` set) a missing binary is a failure: `.ci/run`
 * installs it.
 */
export function redisSkipReason(): string | undefined {
  if (redisServerPath()) return undefined;
  if (process.env.CI) throw new Error("redis-server is not installed but CI is set: the queue tests must run (.ci/run installs it with apt-get).");
  return "redis-server is not installed (apt-get install redis-server): queue tests skipped";
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A private Redis on 127.0.0.1: random port, no persistence, its own temp dir. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` and waits until it accepts connections. */
export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "qf-redis-"));
  const port = await freePort();
  const child: ChildProcess = spawn(redisServerPath()!, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (b: Buffer) => {
    log += b.toString();
  });
  const { Redis } = await import("ioredis");
  const t0 = Date.now();
  for (;;) {
    const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    c.on("error", () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      if (child.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`redis-server did not start on port ${port}:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
