import { totalmem } from "node:os";
import { UsageError } from "./errors.js";

/**
 * Coerces one `--option` value: `true`/`false` → boolean, `null` → null, a decimal or exponent
 * number → number, text starting with `[`, `{` or `"` → parsed JSON; anything else stays a
 * string (the plugin's schema decides whether that is valid).
 */
export function coerceOptionValue(raw: string): unknown {
  const s = raw.trim();
  if (s === "true") return true;
  if (s === "false") return false;
  if (s === "null") return null;
  // Only plain decimal numbers: "0x10", "1_000", "" or " " stay strings.
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^[[{"]/.test(s)) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      throw new UsageError(`option value ${raw} looks like JSON but does not parse. Quote it properly, e.g. --option 'levels=[-1,0,1]'.`);
    }
  }
  return raw;
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;
const FORBIDDEN = new Set(["__proto__", "prototype", "constructor"]);

/**
 * Folds `key=value` pairs into an options object; dotted keys build nested objects
 * (`granularity.kind=channel`). A key given twice, or both as a value and as an object, is a
 * usage error rather than a silent override.
 */
export function parseOptionPairs(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--option "${pair}" is not key=value. Write it as --option name=value (dotted names for nested options).`);
    const key = pair.slice(0, eq).trim();
    if (!KEY_RE.test(key)) throw new UsageError(`--option key "${key}" is not a valid option name. Use letters, digits, "_" or "-", with "." between nested names.`);
    const parts = key.split(".");
    if (parts.some((p) => FORBIDDEN.has(p))) throw new UsageError(`--option key "${key}" is not allowed: "__proto__", "prototype" and "constructor" are reserved names, not options.`);
    let node: Record<string, unknown> = out;
    parts.forEach((p, i) => {
      const last = i === parts.length - 1;
      const cur = Object.hasOwn(node, p) ? node[p] : undefined;
      if (last) {
        if (cur !== undefined) throw new UsageError(`--option "${key}" is given twice (or also as a nested object). Give each option once.`);
        node[p] = coerceOptionValue(pair.slice(eq + 1));
        return;
      }
      if (cur === undefined) node[p] = {};
      else if (typeof cur !== "object" || cur === null || Array.isArray(cur)) {
        throw new UsageError(`--option "${key}" nests inside "${parts.slice(0, i + 1).join(".")}", which already has a value. Give one or the other.`);
      }
      node = node[p] as Record<string, unknown>;
    });
  }
  return out;
}

/** Commander collector for repeatable flags (`--option a=1 --option b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses `--seed`: an integer in [0, 2^32 − 1]. */
export function parseSeed(raw: string | undefined, fallback = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new UsageError(`--seed "${raw}" is not an integer in 0…4294967295. Pass a non-negative integer.`);
  }
  return n;
}

/** Compiles `--include`/`--exclude` patterns; a bad pattern is a usage error naming the flag. */
export function compilePatterns(flag: string, patterns: readonly string[] = []): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p);
    } catch (e) {
      throw new UsageError(`${flag} "${p}" is not a valid regular expression (${(e as Error).message}). Fix the pattern.`);
    }
  });
}

/** Splits repeatable, comma-separable id lists (`--evaluator sqnr,size --evaluator x`). */
export function idList(values: readonly string[] | undefined, fallback: readonly string[]): string[] {
  if (!values || values.length === 0) return [...fallback];
  const ids = values
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return [...new Set(ids)];
}

/** Parses `--input-shape name=d1,d2,…` (dimensions after the batch dimension). */
export function parseInputShapes(values: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const v of values) {
    const eq = v.lastIndexOf("=");
    const dims =
      eq > 0
        ? v
            .slice(eq + 1)
            .split(/[,x]/)
            .map((d) => Number(d.trim()))
        : [];
    if (eq <= 0 || dims.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new UsageError(`--input-shape "${v}" is not name=d1,d2,… (positive dimensions after the batch one). Example: --input-shape x=28,28,1.`);
    }
    out.set(v.slice(0, eq), dims);
  }
  return out;
}

/**
 * Parses a byte size: a plain number of bytes or a number with a binary/decimal unit
 * (`512M`, `4GiB`, `2g`, `1.5GB`; K/M/G/T are powers of 1024).
 *
 * @throws {UsageError} unless it is a positive size.
 */
export function parseByteSize(flag: string, raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(raw);
  const v = m ? Number(m[1]) * 1024 ** "_kmgt".indexOf((m[2] || "_").toLowerCase()) : NaN;
  if (!m || !Number.isFinite(v) || v < 1) throw new UsageError(`${flag} "${raw}" is not a size. Write bytes or a number with K, M, G or T (powers of 1024), e.g. ${flag} 2G.`);
  return Math.floor(v);
}

/**
 * Default memory budget for decoding untrusted files: a quarter of the machine's memory, at
 * most 4 GiB (SECURITY.md).
 */
export function defaultMaxMemory(): number {
  return Math.min(Math.floor(totalmem() / 4), 4 * 1024 ** 3);
}

/** Parses `--budget-seconds` (auto's time budget, see the quantizer-auto README). */
export function parseBudgetSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw.trim()) || !(n > 0) || n > 1e6) throw new UsageError(`--budget-seconds "${raw}" is not a positive number of seconds. Pass e.g. --budget-seconds 60.`);
  return n;
}
