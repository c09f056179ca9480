import { it } from "vitest";
import { isQuantforgeError } from "../errors.js";

/** A reviewed exception to a conformance suite: which test is skipped, and why. */
export interface SkipEntry {
  /** Id of the skipped test (listed in the suite's `*_TESTS` constant). */
  readonly test: string;
  /** Why this plugin legitimately cannot pass it (shown in the test title). */
  readonly reason: string;
}

/** Normalises `options` (one set or a list) to a non-empty list of option sets. */
export function optionSets(o: Record<string, unknown> | readonly Record<string, unknown>[] | undefined): readonly Record<string, unknown>[] {
  if (o === undefined) return [{}];
  const list = Array.isArray(o) ? (o as readonly Record<string, unknown>[]) : [o as Record<string, unknown>];
  return list.length ? list : [{}];
}

/** A short, stable label for an option set. */
export function optionsLabel(o: Record<string, unknown>): string {
  const s = JSON.stringify(o);
  return s === "{}" ? "default options" : `options ${s}`;
}

/**
 * Validates a skip list against the suite's test ids (a typo must not silently skip nothing)
 * and returns a registrar that turns skipped tests into `it.skip` with the reason in the title.
 */
export function testRegistrar(suite: string, known: readonly string[], skip: readonly SkipEntry[] | undefined, timeoutMs: number) {
  const reasons = new Map<string, string>();
  for (const s of skip ?? []) {
    if (!known.includes(s.test)) throw new Error(`${suite}: cannot skip unknown test "${s.test}". Known tests: ${known.join(", ")}.`);
    if (typeof s.reason !== "string" || s.reason.trim().length === 0) throw new Error(`${suite}: skipping "${s.test}" needs a reason.`);
    reasons.set(s.test, s.reason.trim());
  }
  return (id: string, title: string, fn: () => unknown, inapplicable?: string): void => {
    if (!known.includes(id)) throw new Error(`${suite}: internal error, unknown test id "${id}".`);
    const reason = reasons.get(id) ?? inapplicable;
    if (reason !== undefined) it.skip(`[${id}] ${title} — skipped: ${reason}`, () => {});
    else it(`[${id}] ${title}`, fn as () => Promise<void>, timeoutMs);
  };
}

/** Runs `fn` and returns what it threw (or fails when it did not throw). Works for sync and async. */
export async function caught(fn: () => unknown, what: string): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error(`${what}: expected an error, but it succeeded.`);
}

/** Asserts that `e` is a quantforge error with `code` (duck-typed across duplicate installs). */
export function assertCode(e: unknown, code: string, what: string): void {
  if (!isQuantforgeError(e) || e.code !== code) {
    const got = isQuantforgeError(e) ? `${e.name} ${e.code}: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(`${what}: expected a ${code} error, got ${got}`, { cause: e });
  }
}

/** Bitwise equality of two typed arrays (NaN payloads and −0 compared by bits). */
export function sameBits(a: (ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) | undefined, b: typeof a): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Index of the first difference of two arrays, or −1. */
export function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}
