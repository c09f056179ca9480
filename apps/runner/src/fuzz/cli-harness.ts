/**
 * Runs one CLI case as a real child process with a time limit and a peak-RSS reading (`VmHWM`
 * from `/proc/<pid>/status`, polled), and judges its outcome. Used by `cases.ts`,
 * `cases-extra.ts`, `cli-cases.test.ts` and `bench/hostile-cases.ts`. Test-only (excluded from the build).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
/** One CLI case. */
export interface CliCase {
  readonly name: string;
  /** Creates the inputs in `dir`; returns the CLI arguments. */
  readonly prepare: (dir: string) => Promise<string[]>;
  /** Expected exit code and (for failures) error code. */
  readonly exit: number;
  readonly code?: string;
  /** Extra check after the run; returns a problem or undefined. */
  readonly after?: (dir: string, stderr: string) => Promise<string | undefined> | string | undefined;
  /** Time limit (default 10 s). */
  readonly timeoutMs?: number;
  /** Send `signal` (default SIGINT) once this returns true (polled every 5 ms). */
  readonly interruptWhen?: (dir: string) => boolean;
  readonly signal?: "SIGINT" | "SIGTERM";
  /** Issue-16 item this case reproduces (1–10), or undefined for a case the issue does not list. */
  readonly item?: number;
}

/** What one run measured. */
export interface CliOutcome {
  readonly exit: number | null;
  readonly signal: string | null;
  readonly code: string | null;
  readonly seconds: number;
  readonly peakRssMb: number;
  /** CPU seconds (user + system) of the child, read from /proc: unlike wall time, not inflated by other load. */
  readonly cpuSeconds: number;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Paths under `<dir>/outside` or `/etc` the process handed to `fs` (see trace-opens.mjs). */
  readonly outsideReads: readonly string[];
  /** The canary's bytes turned up in an output file, stdout or stderr. */
  readonly canaryLeaked: boolean;
  /** `.tmp-` files or folders left anywhere under `dir`. */
  readonly tempsLeft: readonly string[];
}

/** Random-looking bytes of the canary planted at `<dir>/outside/secret.bin` before every case. */
export const CANARY = "QF-CANARY-7f3a9c51e2b84d06";
/** Size of the canary file (a model file pointing at it may declare exactly this many bytes). */
export const CANARY_BYTES = 64;
export const canaryBytes = () => Buffer.from(CANARY.padEnd(CANARY_BYTES, "#"));

const runnerDir = fileURLToPath(new URL("../../", import.meta.url));
const tracer = join(runnerDir, "src", "fuzz", "trace-opens.mjs");
const distCli = join(runnerDir, "dist", "cli.js");

/** The command that runs the CLI: the built `dist/cli.js` (CI builds first), else the source through tsx. */
export function cliCommand(): string[] {
  return existsSync(distCli) ? [distCli] : ["--import", "tsx", "--conditions=@quantforge/source", join(runnerDir, "src", "cli.ts")];
}

/** utime + stime of `pid` in seconds (clock ticks of 1/100 s), or 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

function hwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs one case in `dir` (created by the caller) with a `timeoutMs` limit. */
export async function runCliCase(c: CliCase, dir: string, timeoutMs = c.timeoutMs ?? 10_000): Promise<CliOutcome> {
  await mkdir(join(dir, "outside"), { recursive: true });
  await writeFile(join(dir, "outside", "secret.bin"), canaryBytes());
  const args = await c.prepare(dir);
  const trace = join(dir, "outside", "opens.log");
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", pathToFileURL(tracer).href, ...cliCommand(), ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", QF_TRACE_OPENS: trace } });
  let stderr = "",
    stdoutHasCanary = false,
    tail = "";
  child.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  child.stdout!.on("data", (b: Buffer) => {
    const t = tail + b.toString("latin1");
    if (t.includes(CANARY)) stdoutHasCanary = true;
    tail = t.slice(-CANARY.length);
  });
  let peak = 0,
    cpu = 0,
    timedOut = false,
    interrupted = false;
  const poll = setInterval(() => {
    peak = Math.max(peak, hwmKb(child.pid!));
    cpu = Math.max(cpu, cpuOf(child.pid!));
    if (c.interruptWhen && !interrupted && c.interruptWhen(dir)) {
      interrupted = true;
      child.kill(c.signal ?? "SIGINT");
    }
  }, 5);
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const [exit, signal] = await new Promise<[number | null, string | null]>((res) =>
    child.on("exit", (code, sig) => {
      peak = Math.max(peak, hwmKb(child.pid!));
      res([code, sig]);
    }),
  );
  clearInterval(poll);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  const m = /error (QF_[A-Z_]+):/.exec(stderr);
  const outside = join(dir, "outside") + sep;
  if (existsSync(`${trace}.cpu`)) cpu = Math.max(cpu, Number(readFileSync(`${trace}.cpu`, "utf8").trim().split("\n").pop()) || 0);
  const opened = existsSync(trace) ? readFileSync(trace, "utf8").split("\n").filter(Boolean) : [];
  const outsideReads = opened.filter((p) => {
    const a = resolve(dir, p);
    return (a.startsWith(outside) && a !== trace) || a.startsWith("/etc/");
  });
  const canaryLeaked = stdoutHasCanary || stderr.includes(CANARY) || (await filesUnder(dir)).some((f) => !f.startsWith(outside) && fileHas(f, CANARY));
  const tempsLeft = (await filesUnder(dir, true)).filter((f) => basename(f).includes(".tmp-")).map((f) => f.slice(dir.length + 1));
  return { exit, signal, code: m ? m[1]! : null, seconds, peakRssMb: peak / 1024, cpuSeconds: cpu, stderr, timedOut, outsideReads, canaryLeaked, tempsLeft };
}

/** Every regular file (and, with `dirs`, folder) under `dir`, without following symlinks. */
export async function filesUnder(dir: string, dirs = false): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (e.isFile() || (dirs && e.isDirectory())) out.push(p);
  }
  return out;
}

/** True when the file at `p` (read up to 64 MiB) contains `needle` as bytes. */
export function fileHas(p: string, needle: string): boolean {
  try {
    if (statSync(p).size > 64 * 2 ** 20) return false;
    return readFileSync(p).includes(needle);
  } catch {
    return false;
  }
}

/** True when the outcome is what `c` expects (130/143 = that exit code or killed by SIGINT/SIGTERM). */
export function matches(c: CliCase, o: CliOutcome): boolean {
  if (o.timedOut) return false;
  const exitOk = c.exit === 130 ? o.exit === 130 || o.signal === "SIGINT" : c.exit === 143 ? o.exit === 143 || o.signal === "SIGTERM" : o.exit === c.exit;
  return exitOk && (c.code === undefined || o.code === c.code);
}
