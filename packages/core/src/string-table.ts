import { ByteReader, ByteWriter } from "./bytes.js";
import { DecodeError } from "./errors.js";

/**
 * The string table of container version 3: the sorted, distinct tensor names and layers, in one
 * of two layouts (whichever is shorter):
 *
 *   u8 0 (front-coded): varint n, each: varint bytes shared with the previous string | varint
 *        suffix length | suffix                                   (the version-2 layout)
 *   u8 1 (tokens):      front-coded table of the distinct non-numeric tokens (as above), then
 *        varint n strings, each: varint tokens shared with the previous string | varint further
 *        tokens | per further token varint 2·index (a table token) or 2·(5·number + separator) + 1
 *        (a decimal number without leading zeros, ≤ 12 digits, then separator 0 none, 1 "/",
 *        2 "_", 3 ".", 4 ":")
 *
 * Tokens are the pieces of a name cut after every "/", "_", "." and ":" — model names repeat the
 * same path pieces ("…/depthwise_weights", "conv2d_3/…") hundreds of times, so a name costs a few
 * one-byte indices instead of its unshared suffix.
 */

const utf8 = new TextEncoder();
/** Most characters a token-coded table may expand to. */
const MAX_TABLE_CHARS = 1 << 26;
const TOKEN = /[^/_.:]*[/_.:]|[^/_.:]+/g;

function writeFrontCoded(w: ByteWriter, strings: readonly string[]): void {
  w.varint(strings.length);
  let prev = new Uint8Array(0);
  for (const s of strings) {
    const b = utf8.encode(s);
    let k = 0;
    while (k < b.length && k < prev.length && b[k] === prev[k]) k++;
    w.varint(k)
      .varint(b.length - k)
      .bytes(b.subarray(k));
    prev = b;
  }
}

function readFrontCoded(r: ByteReader): string[] {
  const n = r.varint();
  if (n > r.remaining) throw new DecodeError("container string count exceeds the file. The file is corrupted.");
  const out: string[] = [];
  const dec = new TextDecoder("utf-8", { fatal: true });
  let prev = new Uint8Array(0);
  for (let i = 0; i < n; i++) {
    const k = r.varint();
    const len = r.varint();
    if (k > prev.length) throw new DecodeError(`container string ${i} shares ${k} bytes with a ${prev.length}-byte string. The file is corrupted.`);
    const suffix = r.bytes(len);
    const b = new Uint8Array(k + len);
    b.set(prev.subarray(0, k));
    b.set(suffix, k);
    try {
      out.push(dec.decode(b));
    } catch (e) {
      throw new DecodeError("container has an invalid string. The file is corrupted.", e);
    }
    prev = b;
  }
  return out;
}

/** Splits a string into tokens that join back to it exactly. */
export function tokenize(s: string): string[] {
  return s.match(TOKEN) ?? [];
}

const SEPS = "/_.:";
const NUMERIC = /^(0|[1-9][0-9]{0,11})([/_.:]?)$/;

/** A token's reference: a decimal number (with its separator) inline, else a token-table index. */
function tokenRef(t: string, at: ReadonlyMap<string, number>): number {
  const m = NUMERIC.exec(t);
  if (m) return (Number(m[1]) * 5 + (m[2] ? SEPS.indexOf(m[2]) + 1 : 0)) * 2 + 1;
  return at.get(t)! * 2;
}

/** Writes `strings` (sorted, distinct) in the shorter of the two layouts. */
export function writeStringTable(w: ByteWriter, strings: readonly string[]): void {
  const front = new ByteWriter(1024);
  writeFrontCoded(front, strings);
  const split = strings.map(tokenize);
  const tokens = [...new Set(split.flat().filter((t) => !NUMERIC.test(t)))].sort();
  const at = new Map(tokens.map((t, i) => [t, i]));
  const tok = new ByteWriter(1024);
  writeFrontCoded(tok, tokens);
  tok.varint(strings.length);
  let prev: string[] = [];
  for (const parts of split) {
    let k = 0;
    while (k < parts.length && k < prev.length && parts[k] === prev[k]) k++;
    tok.varint(k).varint(parts.length - k);
    for (let j = k; j < parts.length; j++) tok.varint(tokenRef(parts[j]!, at));
    prev = parts;
  }
  const a = front.finish(),
    b = tok.finish();
  if (b.length < a.length) w.u8(1).bytes(b);
  else w.u8(0).bytes(a);
}

/** Reads a table written by {@link writeStringTable}. */
export function readStringTable(r: ByteReader): string[] {
  const layout = r.u8();
  if (layout === 0) return readFrontCoded(r);
  if (layout !== 1) throw new DecodeError(`container string table has unknown layout ${layout}. The file is corrupted.`);
  const tokens = readFrontCoded(r);
  const n = r.varint();
  if (n > r.remaining) throw new DecodeError("container string count exceeds the file. The file is corrupted.");
  const out: string[] = [];
  let chars = 0;
  let prev: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.varint();
    const fresh = r.varint();
    if (k > prev.length) throw new DecodeError(`container string ${i} shares ${k} tokens with a ${prev.length}-token string. The file is corrupted.`);
    if (fresh > r.remaining) throw new DecodeError(`container string ${i} declares ${fresh} tokens past the end of the file. The file is corrupted.`);
    const parts = prev.slice(0, k);
    // Every token counts at least 1 (an empty table token must not make work free).
    for (const p of parts) chars += p.length + 1;
    for (let j = 0; j < fresh; j++) {
      const ref = r.varint();
      let t: string;
      if (ref % 2 === 1) {
        const v = (ref - 1) / 2,
          sep = v % 5;
        t = String((v - sep) / 5) + (sep ? SEPS[sep - 1]! : "");
      } else {
        if (ref / 2 >= tokens.length) throw new DecodeError(`container string ${i} refers to token ${ref / 2} of ${tokens.length}. The file is corrupted.`);
        t = tokens[ref / 2]!;
      }
      chars += t.length + 1;
      parts.push(t);
    }
    // Shared prefixes and token references can repeat long tokens: cap what the table expands to.
    if (chars > MAX_TABLE_CHARS) throw new DecodeError(`container string table expands past ${MAX_TABLE_CHARS} characters. The file is corrupted or a size bomb.`);
    out.push(parts.join(""));
    prev = parts;
  }
  return out;
}
