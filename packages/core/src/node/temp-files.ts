/**
 * Temp files and folders that a writer creates next to its target (`.<name>.tmp-<pid>-<hex>`)
 * and renames onto it when done. They are registered here so a SIGINT/SIGTERM removes them
 * before the process ends, and so a later run can delete the ones a killed process (SIGKILL, power
 * loss) left behind: a temp whose PID is no longer alive is stale (SECURITY.md).
 */
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

const live = new Set<string>();
let installed = false;

function removeAllSync(): void {
  for (const p of live) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      /* best effort while exiting */
    }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  removeAllSync();
  // When nobody else handles the signal, restore the default action (terminate with the signal)
  // — a listener alone would keep the process alive. Other handlers (e.g. compare's Ctrl-C
  // handling) keep control otherwise.
  if (process.listenerCount(sig) === 1) {
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", removeAllSync);
}

/** The temp path for `target`: same folder (so the final rename is atomic), hidden, with our PID. */
export function tempPathFor(target: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Registers a temp file or folder for removal on SIGINT/SIGTERM/exit.
 *
 * @returns A function that unregisters it (call it after the rename or after removing it).
 */
export function trackTemp(path: string): () => void {
  install();
  const abs = resolve(path);
  live.add(abs);
  return () => {
    live.delete(abs);
  };
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes temp files/folders of `target` (`.<name>.tmp-<pid>-<hex>`) whose process is gone —
 * leftovers of a run killed with SIGKILL. Temps of live processes are kept. Best effort: errors
 * are ignored.
 *
 * @returns The paths removed.
 */
export function cleanStaleTemps(target: string): string[] {
  const abs = resolve(target);
  const dir = dirname(abs);
  const prefix = `.${basename(abs)}.tmp-`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    } catch {
      /* best effort */
    }
  }
  return removed;
}
