import { UsageError } from "../errors.js";
import { coerceOptionValue, parseOptionPairs } from "../options.js";

/** A plugin chosen for a comparison: id and raw options. */
export interface PluginEntry {
  readonly id: string;
  readonly options: Record<string, unknown>;
}

/** A quantizer of a comparison: id, fixed options and the options it sweeps. */
export interface QuantizerEntry extends PluginEntry {
  /** Swept options (`step=0.01|0.02` → `{ step: [0.01, 0.02] }`); a quantizer with a sweep skips the global `--bits`. */
  readonly sweep?: Record<string, unknown[]>;
  /** Legend label instead of the default `id:k=v,…`. */
  readonly label?: string;
}

const ID_RE = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Splits `s` at `sep` outside brackets, braces and double quotes, so JSON values such as
 * `levels=[-1,0,1]` stay whole.
 */
export function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0,
    quoted = false,
    cur = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === "\\") {
        cur += ch + (s[++i] ?? "");
        continue;
      }
      if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
    else if (ch === sep && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function startsEntry(token: string): boolean {
  const colon = token.indexOf(":");
  const eq = token.indexOf("=");
  // `id` alone, or `id:key=value` (a colon before any "=").
  return eq < 0 || (colon > 0 && colon < eq);
}

/** Names that would reach Object.prototype (`{}.__proto__`) instead of being an option. */
const FORBIDDEN_KEYS = new Set(["__proto__", "prototype", "constructor"]);

/**
 * Parses plugin lists: `id[:key=value,…],id2,…` (repeatable flags are joined first). A token
 * with no `=` (or a `:` before its `=`) starts a new plugin; a `key=value` token adds an option
 * to the plugin before it. With `sweep`, a value `a|b|c` lists values to sweep (quantizers
 * only); `bits=…` on a quantizer is always a sweep (even of one value), so that quantizer keeps
 * its own bit rates instead of the global `--bits`.
 */
function parseEntries(flag: string, values: readonly string[], sweep: boolean): QuantizerEntry[] {
  const entries: { id: string; pairs: string[]; sweep: Record<string, unknown[]> }[] = [];
  for (const value of values) {
    for (const raw of splitTopLevel(value, ",")) {
      const token = raw.trim();
      if (token === "") continue;
      let pair = token;
      if (startsEntry(token)) {
        const colon = token.indexOf(":");
        const id = (colon < 0 ? token : token.slice(0, colon)).trim();
        if (!ID_RE.test(id)) throw new UsageError(`${flag}: "${id}" is not a plugin id. Write ${flag} id[:key=value,…],… (ids are kebab-case; see "quantforge list").`);
        entries.push({ id, pairs: [], sweep: {} });
        if (colon < 0) continue;
        pair = token.slice(colon + 1).trim();
        if (pair === "") continue;
      }
      const cur = entries[entries.length - 1];
      if (!cur) throw new UsageError(`${flag}: option "${pair}" comes before any plugin id. Write ${flag} id:key=value,…`);
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`${flag}: "${pair}" is not key=value. Write ${flag} id:key=value,… (key=a|b|c sweeps a quantizer option).`);
      const key = pair.slice(0, eq).trim();
      if (FORBIDDEN_KEYS.has(key)) throw new UsageError(`${flag}: option name "${key}" of "${cur.id}" is reserved and not an option. Use the plugin's option names (see "quantforge list").`);
      const rhs = pair.slice(eq + 1);
      const alts = splitTopLevel(rhs, "|");
      if (sweep && (alts.length > 1 || key === "bits")) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`${flag}: swept option "${key}" must be a plain (not dotted) option name.`);
        if (Object.hasOwn(cur.sweep, key) || cur.pairs.some((p) => p.startsWith(`${key}=`))) throw new UsageError(`${flag}: option "${key}" of "${cur.id}" is given twice. Give each option once.`);
        if (alts.some((a) => a.trim() === "")) throw new UsageError(`${flag}: "${pair}" has an empty value in its sweep list. Write key=a|b|c.`);
        cur.sweep[key] = alts.map((a) => coerceOptionValue(a));
      } else {
        if (!sweep && alts.length > 1) throw new UsageError(`${flag}: "${pair}" lists several values, but only quantizers can sweep options.`);
        if (Object.hasOwn(cur.sweep, key)) throw new UsageError(`${flag}: option "${key}" of "${cur.id}" is given twice. Give each option once.`);
        cur.pairs.push(pair);
      }
    }
  }
  return entries.map((e) => ({ id: e.id, options: parseOptionPairs(e.pairs), ...(Object.keys(e.sweep).length ? { sweep: e.sweep } : {}) }));
}

/** Parses `--quantizers` (see {@link parseEntries}): `rtn,uniform-mse:design=iterative,hessian-ecsq:mode=uniform,step=0.01|0.02`. */
export function parseQuantizerList(values: readonly string[]): QuantizerEntry[] {
  return parseEntries("--quantizers", values, true);
}

/** Parses `--coders` / `--evaluators`: `id[:key=value,…],…`. */
export function parsePluginList(flag: string, values: readonly string[]): PluginEntry[] {
  return parseEntries(flag, values, false).map(({ id, options }) => ({ id, options }));
}

/** Parses `--bits 2,3,4,8` (also `2-4` ranges): positive integers, in the order given, no repeats. */
export function parseBitsList(raw: string): number[] {
  const out: number[] = [];
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`--bits "${raw}": "${part}" is not a bit rate. Write a list such as 2,3,4,8 or a range such as 2-8.`);
    const a = Number(m[1]),
      b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b < a || b > 32) throw new UsageError(`--bits "${raw}": "${part}" must be integers in 1…32 (ranges low-high).`);
    for (let v = a; v <= b; v++) if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) throw new UsageError(`--bits is empty. Give at least one bit rate, e.g. --bits 2,4,8.`);
  return out;
}
