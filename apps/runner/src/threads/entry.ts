import { constants, existsSync, statSync, type Stats } from "node:fs";
import { open, stat } from "node:fs/promises";
import { availableParallelism, freemem } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { readFully } from "@quantforge/io-safetensors/fs-loops";
import type { TensorWorkerInit } from "./protocol.js";

// How tensor workers start, and the workers and the weights read `quantforge run` starts before
// its own modules are loaded. Node built-ins only (and io-safetensors' dependency-free read
// loop): the CLI imports this before anything else of the runner.

/**
 * Inputs smaller than this run on the main thread unless `--threads` is given: starting a worker
 * (its own module graph, ~0.3 s of CPU) costs more than it saves on a few million weights.
 */
export const DEFAULT_THREADS_MIN_BYTES = 16 * 1024 * 1024;

/**
 * How to start the worker: the bundled `dist/tensor-worker.js` (scripts/bundle.mjs; it starts in
 * a fraction of the time of ~300 compiled modules), else the built `worker.js`, or `worker.ts`
 * through tsx from source (tests).
 */
export function workerEntry(init: TensorWorkerInit): { url: URL; init: TensorWorkerInit; execArgv?: string[] } {
  if (!import.meta.url.endsWith(".ts")) {
    const bundled = new URL("../tensor-worker.js", import.meta.url);
    return { url: existsSync(bundled) ? bundled : new URL("./worker.js", import.meta.url), init };
  }
  return {
    url: new URL("../compare/worker-dev.mjs", import.meta.url),
    init: { ...init, entry: new URL("./worker.ts", import.meta.url).href, tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) },
    execArgv: [...process.execArgv.filter((a) => !a.startsWith("--conditions")), "--conditions=@quantforge/source"],
  };
}

/** A worker started ahead of its pool, and whether it failed or spoke before the pool took it. */
interface Prestarted {
  readonly worker: Worker;
  spoke: boolean;
  readonly listener: () => void;
}

const prestarted: Prestarted[] = [];

/** The events by which a prestarted worker tells that it failed before a pool took it. */
const EVENTS = ["message", "error", "exit"] as const;

/** Removes this module's listeners from `p`'s worker. */
function detach(p: Prestarted): Worker {
  for (const ev of EVENTS) p.worker.off(ev, p.listener);
  return p.worker;
}

/** Terminates `p`'s worker, which no pool will take. */
function discard(p: Prestarted): void {
  // An error event after this point must not become an uncaught exception.
  detach(p).on("error", () => undefined);
  prestartTally.discarded++;
  void p.worker.terminate();
}

/** Workers {@link prestartWorkers} started, pools took and were terminated unused (tests read them). */
export const prestartTally = { started: 0, taken: 0, discarded: 0 };

/**
 * Starts `count` tensor workers with no third-party plugins now, for the pool `run` creates once
 * it has read its options ({@link takePrestarted}). A worker's start-up (Node's bootstrap, then
 * the bundled worker's modules: ~0.15 s of CPU) then runs beside the main thread's own instead of
 * after it (issue 18). Unref'd: an unused worker never keeps the process alive.
 */
export function prestartWorkers(count: number): void {
  const entry = workerEntry({ plugins: [] });
  for (let i = 0; i < count; i++) {
    const worker = new Worker(entry.url, { workerData: entry.init, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
    // A worker speaks unasked only to report that it failed to start ("fatal"); such a worker, or
    // one that errored or exited, is not handed to a pool (it starts a fresh one, which reports it).
    const p: Prestarted = { worker, spoke: false, listener: () => (p.spoke = true) };
    for (const ev of EVENTS) worker.on(ev, p.listener);
    // After the listeners: a "message" listener refs the worker again, and a run that fails before
    // its pool exists (an unknown quantizer) must still exit.
    worker.unref();
    prestarted.push(p);
    prestartTally.started++;
  }
}

/**
 * A prestarted worker for a pool whose workers load no third-party plugins, with this module's
 * listeners removed, or undefined (none left; one that failed meanwhile is terminated).
 */
export function takePrestarted(): Worker | undefined {
  for (let p = prestarted.shift(); p; p = prestarted.shift()) {
    if (!p.spoke) {
      prestartTally.taken++;
      return detach(p);
    }
    discard(p);
  }
  return undefined;
}

/** Terminates the prestarted workers no pool took. */
export function discardPrestarted(): void {
  for (let p = prestarted.shift(); p; p = prestarted.shift()) discard(p);
}

/** The value of `--name <v>` or `--name=v` in `args` (the last one given), or undefined. */
function flagValue(args: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === name) v = args[++i];
    else if (a.startsWith(`${name}=`)) v = a.slice(name.length + 1);
  }
  return v;
}

/**
 * How many workers `quantforge <argv>` will want, decided as `run` decides (`--threads`, else the
 * available parallelism for a weights file of at least {@link DEFAULT_THREADS_MIN_BYTES}, one
 * thread being the main one), or 0: not `run --weights`, plugins to load (`--plugin`,
 * `--discover`: the workers must load them too), help, or a file that cannot be stat'ed. Errors
 * are left to the command: a wrong guess costs one worker's start-up, not a result.
 */
export function prestartCount(argv: readonly string[], sizeOf: (path: string) => number | undefined = fileSize): number {
  if (argv[2] !== "run") return 0;
  const args = argv.slice(3);
  if (args.some((a) => /^(--plugin|--discover|--model|--help|-h)(=|$)/.test(a))) return 0;
  const weights = flagValue(args, "--weights");
  if (weights === undefined) return 0;
  const raw = flagValue(args, "--threads");
  let threads: number;
  if (raw === undefined) {
    const size = sizeOf(weights);
    threads = size !== undefined && size >= DEFAULT_THREADS_MIN_BYTES ? availableParallelism() : 1;
  } else threads = /^\d+$/.test(raw.trim()) && Number(raw) <= 64 ? Number(raw) : 1;
  return Math.max(0, threads - 1);
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Largest weights file read ahead (and at most a quarter of the free memory): past it, `run` reads as before. */
export const PREFETCH_MAX_BYTES = 2 ** 30;

/** A read of a whole weights file started by {@link prefetchWeights}, and the file it read. */
interface Prefetch {
  readonly path: string;
  readonly read: Promise<{ readonly bytes: Uint8Array; readonly stats: Stats } | undefined>;
}

let prefetch: Prefetch | undefined;

/** Reads {@link prefetchWeights} started and runs that took their bytes (tests read them). */
export const prefetchTally = { started: 0, taken: 0 };

/**
 * Starts reading the safetensors file of `quantforge <argv>` into shared memory, when the run will
 * use worker threads (`workers`, its {@link prestartCount} > 0: its tensors are read in shared
 * memory then; the CLI passes the count it already has) and
 * the file is at most {@link PREFETCH_MAX_BYTES}: the read (libuv's thread pool: page faults and a
 * copy, ~0.1 s for 200 MB) runs while this thread loads the CLI's modules instead of after them
 * (issue 18). The reader then takes its tensors as views of these bytes ({@link takePrefetched}).
 * Any failure only drops the head start: the reader opens the file as usual and reports it.
 */
export function prefetchWeights(argv: readonly string[], workers = prestartCount(argv)): void {
  const path = flagValue(argv.slice(3), "--weights");
  if (path === undefined || /\.(json|onnx)$/i.test(path) || workers === 0) return;
  const read = (async () => {
    // O_NONBLOCK: a FIFO or device opens without waiting for a writer (a blocked open would keep
    // the process alive); it is then refused below, as the reader refuses it.
    const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = await fh.stat();
      if (!stats.isFile() || stats.size > Math.min(PREFETCH_MAX_BYTES, freemem() / 4)) return undefined;
      const bytes = new Uint8Array(new SharedArrayBuffer(stats.size));
      // Four 8 MiB reads in flight: the reader's own setting for a whole file (readsInFlight).
      return (await readFully(fh, bytes, 0, stats.size, 0, 4)) === stats.size ? { bytes, stats } : undefined;
    } finally {
      await fh.close();
    }
  })().catch(() => undefined);
  prefetch = { path, read };
  prefetchTally.started++;
}

/** Drops the bytes {@link prefetchWeights} reads (a run without a pool reads its file itself). */
export function dropPrefetched(): void {
  prefetch = undefined;
}

/**
 * The bytes {@link prefetchWeights} read of `path`, once: undefined when it read another path,
 * failed, or the file is no longer the one it read (device, inode, size, modification or change
 * time differ now).
 */
export async function takePrefetched(path: string): Promise<Uint8Array | undefined> {
  const p = prefetch;
  prefetch = undefined;
  if (!p || p.path !== path) return undefined;
  const got = await p.read;
  const now = await stat(path).catch(() => undefined);
  const same = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
  if (!got || !now || !same(got.stats, now)) return undefined;
  prefetchTally.taken++;
  return got.bytes;
}
