import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What one CLI child did: exit status, the error code it printed, time and memory. */
export interface CliRun {
  args: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The `QF_…` code of the first error line on stderr, if any. */
  errorCode: string | null;
  /** The last error-ish line of stderr (trimmed), for the failure list. */
  message: string | null;
  wallSeconds: number;
  /** Peak resident set of the child in bytes (its own `resourceUsage().maxRSS`, or /proc sampling). */
  peakRssBytes: number | null;
  stdout: string;
  stderr: string;
}

/** The first `QF_*` error code in a CLI's stderr (`error QF_USAGE: …`), or null. */
export function errorCodeOf(stderr: string): string | null {
  const m = /\berror (QF_[A-Z0-9_]+)\b/.exec(stderr) ?? /\b(QF_[A-Z0-9_]+)\b/.exec(stderr);
  return m ? (m[1] ?? null) : null;
}

/** The line naming the error (or the last non-empty line), capped to 300 characters. */
export function errorLineOf(stderr: string): string | null {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const line = lines.find((l) => /^error\b/.test(l)) ?? lines.at(-1);
  return line === undefined ? null : line.slice(0, 300);
}

function vmHwmBytes(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `node <cli> …args` as a child process with a time limit (SIGTERM, then SIGKILL 5 s
 * later). Peak RSS comes from the child's own `process.resourceUsage()` written at exit by a
 * preload; when the child is killed before it can write it, from `/proc/<pid>/status` VmHWM
 * sampled every 250 ms.
 */
export async function runCli(cli: string, args: string[], options: { timeoutSeconds: number; cwd?: string }): Promise<CliRun> {
  const scratch = mkdtempSync(join(tmpdir(), "qf-corpus-rusage-"));
  const rusageFile = join(scratch, "rusage.json");
  const preload = fileURLToPath(new URL("./rusage-preload.js", import.meta.url));
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ["--import", preload, cli, ...args], {
    cwd: options.cwd,
    env: { ...process.env, QF_CORPUS_RUSAGE: rusageFile, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout = (stdout + d).slice(-4_000_000)));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-200_000)));
  let sampled: number | null = null;
  const sampler = setInterval(() => {
    const v = child.pid === undefined ? null : vmHwmBytes(child.pid);
    if (v !== null) sampled = Math.max(sampled ?? 0, v);
  }, 250);
  let timedOut = false;
  let killer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
    killer = setTimeout(() => child.kill("SIGKILL"), 5000);
  }, options.timeoutSeconds * 1000);
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    child.on("close", (code, sig) => resolve([code, sig]));
  });
  clearTimeout(timer);
  if (killer) clearTimeout(killer);
  clearInterval(sampler);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  let peakRssBytes: number | null = sampled;
  try {
    const usage = JSON.parse(readFileSync(rusageFile, "utf8")) as { maxRSS?: number };
    // resourceUsage().maxRSS is in kilobytes.
    if (typeof usage.maxRSS === "number") peakRssBytes = Math.max(peakRssBytes ?? 0, usage.maxRSS * 1024);
  } catch {
    // the child died before its exit hook ran: keep the sampled figure
  }
  rmSync(scratch, { recursive: true, force: true });
  return {
    args,
    exitCode,
    signal,
    timedOut,
    errorCode: errorCodeOf(stderr) ?? (timedOut ? "TIMEOUT" : null),
    message: exitCode === 0 ? null : timedOut ? `timed out after ${options.timeoutSeconds} s` : errorLineOf(stderr),
    wallSeconds,
    peakRssBytes,
    stdout,
    stderr,
  };
}
