import { DecodeError } from "./errors.js";
import { parentOf } from "./layer-ref.js";
import { printable } from "./printable.js";
import { codeSigned, codeSymbol, decoding, encoding, probs, RangeDecoder, RangeEncoder, UintContext, type BitCoder, type Probs } from "./range-coder.js";
import { STATIC_TOKENS } from "./heads-tokens.js";
import { tokenize } from "./string-table.js";

const STATIC_ID = new Map(STATIC_TOKENS.map((t, i) => [t, i]));

/**
 * The range-coded tensor heads of container version 3 with header flag 2 (container-v3.ts): for
 * every tensor, then every passthrough tensor, in container order, one adaptive range-coded
 * stream (range-coder.ts) of
 *
 *   tags     4-bit symbol (role | kind << 2), in the context of the previous entry's tags
 *   codebook (tensors only) a "same as the previous tensor's" bit, else the index
 *   name     a string (below) against the previous name
 *   layer    2-bit symbol in the context of the tags: 0 none, 1 the previous entry's layer,
 *            2 the name's parent path, 3 a string (below) against the previous layer string
 *
 * A string is its tokens (string-table.ts: pieces cut after "/", "_", ".", ":"): the count of
 * tokens shared with the previous string of its kind, then one event per further token — a
 * known token, a new token (UTF-8 literal), a decimal number (≤ 12 digits, no leading zero, with
 * its separator) coded as the difference from the last number after the same text, or the end.
 * Each event is first guessed: the last event seen after the same two tokens (when the string
 * diverges from the previous one there, the one before it), one adaptive bit when right.
 *
 * Why: names repeat a few path pieces with counting numbers ("conv2d_33/BiasAdd",
 * "unknown_105"); after a handful of strings each name costs a few bits instead of 3–5 bytes.
 * The stream is bounded: the decoder reads each byte once and a decision shrinks the range by at
 * least 32/4096, so decoding stops within ~720 decisions per byte; the strings it expands to are
 * capped by {@link headsCharCap}.
 */

/** One tensor head: tags byte, name, layer, and (tensors only) the codebook index. */
export interface HeadEntry {
  readonly tags: number;
  readonly name: string;
  readonly layer?: string;
  readonly ci?: number;
}

/** Most characters the strings of a `bytes`-byte head stream may expand to (a size bomb otherwise). */
export function headsCharCap(bytes: number): number {
  return Math.min(1 << 26, 65536 + 1024 * bytes);
}

const SEPS = "/_.:";
const NUMERIC = /^(0|[1-9][0-9]{0,11})([/_.:]?)$/;
const MAX_NUMBER = 999_999_999_999;
const END = "E";
const utf8 = new TextEncoder();

/**
 * The starting distribution of literal token bytes, as relative weights: English letter
 * frequencies for lowercase, then uppercase, digits and separators — what tensor names are made of.
 * Why: a file spells each new token once, too few bytes for an order-0 model to learn from nothing
 * (8 bits a character at first); with this start it costs ~5 and still adapts.
 */
function charPrior(): Probs {
  const w = new Float64Array(256).fill(0.05);
  const lower = [8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.8, 4.0, 2.4, 6.7, 7.5, 1.9, 0.1, 6.0, 6.3, 9.1, 2.8, 1.0, 2.4, 0.15, 2.0, 0.07];
  for (let i = 0; i < 26; i++) {
    w[97 + i] = lower[i]!;
    w[65 + i] = 1;
  }
  for (let i = 48; i < 58; i++) w[i] = 1.5;
  for (const [ch, v] of [
    ["_", 8],
    ["/", 6],
    [".", 3],
    [":", 1],
    ["-", 1],
  ] as const)
    w[ch.charCodeAt(0)] = v;
  const p = probs(256);
  // Node k of the bit tree covers the byte values under its prefix; p is the share of its 0 half.
  const sum = (lo: number, n: number): number => w.subarray(lo, lo + n).reduce((a, b) => a + b, 0);
  for (let depth = 0; depth < 8; depth++) {
    const span = 256 >> depth;
    for (let j = 0; j < 1 << depth; j++) p.prime((1 << depth) + j, sum(j * span, span / 2) / sum(j * span, span), 30);
  }
  return p;
}

/** Contexts of one kind of string (names or layers). */
class StringModel {
  prev: string[] = [];
  lastNumber = 0;
  readonly shared = new UintContext();
  readonly hit = new Map<string, Probs>();
  readonly cls = probs(4);
  readonly sep = probs(8);
  readonly tok = new UintContext();
  readonly len = new UintContext();
  readonly delta = new UintContext();
  readonly isStatic = probs(1);
  readonly staticId = probs(256);
  constructor(readonly id: string) {}
}

/** The state both sides build as they go. */
class HeadsModel {
  readonly tokens: string[] = [];
  readonly tokenId = new Map<string, number>();
  readonly succ = new Map<string, string[]>();
  readonly last = new Map<string, number>();
  readonly chars = charPrior();
  readonly tags = probs(16 * 16);
  readonly layerKind = probs(16 * 4);
  readonly ciSame = probs(1);
  readonly ci = new UintContext();
  readonly names = new StringModel("n");
  readonly layers = new StringModel("l");
  total = 0;
  constructor(
    readonly c: BitCoder,
    readonly cap: number,
  ) {}

  grow(n: number): void {
    this.total += n;
    if (this.total > this.cap) throw new DecodeError(`container heads expand past ${this.cap} characters. The file is corrupted or a size bomb.`);
  }

  /** The context key after `out`: the kind, the last two non-numeric token ids, and the separator of a trailing number. */
  key(m: StringModel, out: readonly string[]): string {
    const ids: number[] = [];
    let num = "";
    for (let j = out.length - 1; j >= 0 && ids.length < 2; j--) {
      const n = NUMERIC.exec(out[j]!);
      if (n) {
        if (j === out.length - 1) num = "#" + n[2]!;
      } else ids.push(this.tokenId.get(out[j]!)!);
    }
    return `${m.id}${ids.join(",")}${num}`;
  }

  /** The event of token `t`: a number with its separator, a known token, or undefined (new). */
  event(t: string): string | undefined {
    const n = NUMERIC.exec(t);
    if (n) return "N" + n[2]!;
    const id = this.tokenId.get(t);
    return id === undefined ? undefined : `T${id}`;
  }

  /** Codes `s` (encoder) or decodes a string (decoder, `s` undefined) against `m.prev`. */
  string(m: StringModel, s: string | undefined): string {
    const c = this.c;
    const toks = s === undefined ? [] : tokenize(s);
    const prev = m.prev;
    let k0 = 0;
    while (k0 < toks.length && k0 < prev.length && toks[k0] === prev[k0]) k0++;
    const k = m.shared.code(c, k0);
    if (k > prev.length) throw new DecodeError(`container head shares ${k} tokens with a ${prev.length}-token string. The file is corrupted.`);
    const out = prev.slice(0, k);
    let prefix = out.join("");
    this.grow(prefix.length);
    for (let j = k; ; j++) {
      const key = this.key(m, out);
      const cands = this.succ.get(key) ?? [];
      const excluded = j === k && j < prev.length && !NUMERIC.test(prev[j]!) ? this.event(prev[j]!) : undefined;
      const guess = cands.find((e) => e !== excluded);
      const tok = toks[j];
      const actual = s === undefined ? undefined : tok === undefined ? END : this.event(tok);
      let ev: string | undefined;
      let hitP = m.hit.get(key);
      if (!hitP) m.hit.set(key, (hitP = probs(1)));
      if (guess !== undefined && c.bit(hitP, 0, actual === guess ? 1 : 0) === 1) ev = guess;
      else {
        const cls = codeSymbol(c, m.cls, 0, 2, actual === END ? 0 : actual === undefined ? 3 : actual[0] === "N" ? 1 : 2);
        if (cls === 0) ev = END;
        else if (cls === 1) ev = `N${codeSymbol(c, m.sep, 0, 3, SEPS.indexOf(actual?.slice(1) || "x") + 1)}`;
        else if (cls === 2) {
          const id = m.tok.code(c, actual === undefined ? 0 : Number(actual.slice(1)));
          if (id >= this.tokens.length) throw new DecodeError(`container head refers to token ${id} of ${this.tokens.length}. The file is corrupted.`);
          ev = `T${id}`;
        } else ev = this.literal(m, tok);
      }
      this.succ.set(key, [ev, ...cands.filter((e) => e !== ev)].slice(0, 2));
      if (ev === END) break;
      let t: string;
      if (ev[0] === "N") {
        const sep = Number(ev.slice(1));
        if (sep > SEPS.length) throw new DecodeError(`container head has unknown separator ${sep}. The file is corrupted.`);
        const at = m.id + prefix;
        // A number after new text continues from the kind's last number ("conv2d_24" after "depthwise_conv2d_23").
        const last = this.last.get(at) ?? m.lastNumber;
        const v = last + codeSigned(c, m.delta, tok === undefined ? 0 : Number(NUMERIC.exec(tok)![1]) - last);
        if (!(v >= 0 && v <= MAX_NUMBER)) throw new DecodeError(`container head has number ${v} out of range. The file is corrupted.`);
        this.last.set(at, v);
        m.lastNumber = v;
        t = String(v) + (sep ? SEPS[sep - 1]! : "");
      } else t = this.tokens[Number(ev.slice(1))]!;
      this.grow(t.length + 1);
      out.push(t);
      prefix += t;
    }
    m.prev = out;
    return prefix;
  }

  /** Codes a new token (encoder: `tok`), a {@link STATIC_TOKENS} index or its UTF-8 bytes; returns its event. */
  private literal(m: StringModel, tok: string | undefined): string {
    const known = tok === undefined ? undefined : STATIC_ID.get(tok);
    if (this.c.bit(m.isStatic, 0, known === undefined ? 0 : 1) === 1) {
      const i = codeSymbol(this.c, m.staticId, 0, 8, known ?? 0);
      if (i >= STATIC_TOKENS.length) throw new DecodeError(`container head refers to listed token ${i} of ${STATIC_TOKENS.length}. The file is corrupted.`);
      return this.add(STATIC_TOKENS[i]!);
    }
    const b = tok === undefined ? new Uint8Array(0) : utf8.encode(tok);
    const n = m.len.code(this.c, b.length - 1) + 1;
    this.grow(n);
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = codeSymbol(this.c, this.chars, 0, 8, b[i] ?? 0);
    let t: string;
    try {
      t = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      throw new DecodeError("container head has an invalid token. The file is corrupted.", e);
    }
    return this.add(t);
  }

  /** Adds a new token to the file's tokens; returns its event. */
  private add(t: string): string {
    if (NUMERIC.test(t) || this.tokenId.has(t)) throw new DecodeError(`container head repeats or misplaces token "${printable(t.slice(0, 40))}". The file is corrupted.`);
    this.grow(t.length);
    this.tokenId.set(t, this.tokens.length);
    this.tokens.push(t);
    return `T${this.tokens.length - 1}`;
  }
}

/** Codes (or decodes) `n` entries in order; `tensor` entries carry a codebook index. */
function codeEntries(h: HeadsModel, given: readonly HeadEntry[] | undefined, n: number, tensor: boolean, state: { tags: number; ci: number; layer: string | undefined }, strings: string[]): HeadEntry[] {
  const c = h.c;
  const out: HeadEntry[] = [];
  for (let i = 0; i < n; i++) {
    const e = given?.[i];
    const tags = codeSymbol(c, h.tags, state.tags * 16, 4, e?.tags ?? 0);
    let ci: number | undefined;
    if (tensor) ci = c.bit(h.ciSame, 0, e && e.ci === state.ci ? 1 : 0) === 1 ? state.ci : h.ci.code(c, e?.ci ?? 0);
    const name = h.string(h.names, e?.name);
    const layerIn = e?.layer || undefined;
    const kind = codeSymbol(c, h.layerKind, tags * 4, 2, layerIn === undefined ? 0 : layerIn === state.layer ? 1 : layerIn === parentOf(name) ? 2 : 3);
    let layer: string | undefined;
    if (kind === 1) {
      if (state.layer === undefined) throw new DecodeError(`container tensor head ${i} repeats a layer no tensor before it has. The file is corrupted.`);
      layer = state.layer;
    } else if (kind === 2) {
      layer = parentOf(name);
      if (layer === undefined) throw new DecodeError(`container tensor head ${i} takes its layer from a name without "/". The file is corrupted.`);
    } else if (kind === 3) layer = h.string(h.layers, layerIn);
    strings.push(name);
    if (layer !== undefined) strings.push(layer);
    state.tags = tags;
    state.layer = layer;
    if (ci !== undefined) state.ci = ci;
    out.push({ tags, name, ...(layer === undefined ? {} : { layer }), ...(ci === undefined ? {} : { ci }) });
  }
  return out;
}

/** The distinct strings in order of first appearance. */
function distinct(strings: readonly string[]): string[] {
  return [...new Set(strings)];
}

/**
 * Codes the heads of `tensors` then `passthrough`; returns the stream, the distinct names and
 * layers in order of first appearance (the container's string list for codebook ids) and the
 * characters the strings expand to as a reader counts them: a stream whose `chars` exceed
 * {@link headsCharCap} of its length would be refused, so the caller keeps the plain table then.
 */
export function writeHeads(tensors: readonly HeadEntry[], passthrough: readonly HeadEntry[]): { bytes: Uint8Array; strings: string[]; chars: number } {
  const e = new RangeEncoder();
  const h = new HeadsModel(encoding(e), Infinity);
  const state = { tags: 0, ci: 0, layer: undefined as string | undefined };
  const strings: string[] = [];
  codeEntries(h, tensors, tensors.length, true, state, strings);
  codeEntries(h, passthrough, passthrough.length, false, state, strings);
  return { bytes: e.finish(), strings: distinct(strings), chars: h.total };
}

/** Reads `nT` tensor and `nP` passthrough heads from `buf[start, end)` (see {@link writeHeads}). */
export function readHeads(buf: Uint8Array, start: number, end: number, nT: number, nP: number): { tensors: HeadEntry[]; passthrough: HeadEntry[]; strings: string[] } {
  const d = new RangeDecoder(buf, start, end);
  const h = new HeadsModel(decoding(d), headsCharCap(end - start));
  const state = { tags: 0, ci: 0, layer: undefined as string | undefined };
  const strings: string[] = [];
  const tensors = codeEntries(h, undefined, nT, true, state, strings);
  const passthrough = codeEntries(h, undefined, nP, false, state, strings);
  if (!d.done) throw new DecodeError("container head stream has unread bytes. The file is corrupted.");
  return { tensors, passthrough, strings: distinct(strings) };
}
