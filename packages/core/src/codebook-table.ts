import { ByteReader, ByteWriter } from "./bytes.js";
import { assertFiniteValues, MAX_CODEBOOK_LEVELS } from "./budget.js";
import type { Codebook } from "./codebook.js";
import { readCodebook, writeCodebook, type CodebookRefsReader } from "./codebook-io.js";
import { DecodeError } from "./errors.js";

/**
 * Header flag of container versions 2 and 3 (bit 0 of the u16 after the version): the codebook
 * section is the shared codebook table below instead of length-prefixed stand-alone records.
 * Files without it (written before the flag existed, or by the streaming `ContainerEncoder`)
 * still read.
 *
 *   level lists: varint L, each: varint k | k × f32 — every distinct (bit for bit) level list of
 *                the scaledLevels codebooks, in order of first use
 *   codebooks:   varint n, each a codebook record (codebook-io.ts) whose id is varint index + 1
 *                into the container's string table (0: a string follows) and whose scaledLevels
 *                level list is a varint index into the level lists (not written when L = 1)
 *
 * Why: a scaledLevels quantizer (nf4) uses one level list (the 16 NormalFloat-4 levels) for
 * every tensor, and each tensor's codebook is named after it; stored once and referenced, the
 * per-tensor codebook costs its scales and a few bytes.
 */
export const CODEBOOK_TABLE_FLAG = 1;

function bitsKey(levels: Float32Array): string {
  return new Uint32Array(levels.buffer.slice(levels.byteOffset, levels.byteOffset + levels.byteLength)).join(",");
}

/**
 * Writes the shared codebook table of `codebooks`; `strings` maps the container's string table
 * to indices. Returns the bytes of the records and level lists (`total`; the counts and list
 * lengths are header bytes) and each codebook's share: its record plus an equal share of its
 * level list among the codebooks using it.
 */
export function writeCodebookTable(w: ByteWriter, codebooks: readonly Codebook[], strings: ReadonlyMap<string, number>): { total: number; each: number[] } {
  const lists: Float32Array[] = [];
  const at = new Map<string, number>();
  const users: number[] = [];
  const listOf = codebooks.map((cb) => {
    if (cb.kind !== "scaledLevels") return -1;
    const key = bitsKey(cb.levels);
    let i = at.get(key);
    if (i === undefined) {
      i = lists.length;
      at.set(key, i);
      lists.push(cb.levels);
      users.push(0);
    }
    users[i]!++;
    return i;
  });
  w.varint(lists.length);
  const listBytes = lists.map((l) => {
    w.varint(l.length);
    const before = w.length;
    w.f32array(l);
    return w.length - before;
  });
  w.varint(codebooks.length);
  let total = listBytes.reduce((a, b) => a + b, 0);
  const each = codebooks.map((cb, c) => {
    const before = w.length;
    writeCodebook(w, cb, { idRef: (id) => strings.get(id), levelRef: () => listOf[c]!, levelListCount: lists.length });
    total += w.length - before;
    const li = listOf[c]!;
    return w.length - before + (li < 0 ? 0 : listBytes[li]! / users[li]!);
  });
  return { total, each };
}

/** Reads a table written by {@link writeCodebookTable}; `strings` is the container's string table. */
export function readCodebookTable(r: ByteReader, strings: readonly string[]): Codebook[] {
  const nL = r.varint();
  if (nL * 5 > r.remaining) throw new DecodeError(`container level-list count ${nL} exceeds the file. The file is corrupted.`);
  const levelLists: Float32Array[] = [];
  for (let i = 0; i < nL; i++) {
    const k = r.varint();
    if (k < 1 || k > MAX_CODEBOOK_LEVELS || k * 4 > r.remaining) throw new DecodeError(`container level list ${i} declares ${k} levels (1…2^32, within the file). The file is corrupted.`);
    const levels = r.f32array(k);
    assertFiniteValues(levels, `container level list ${i}`);
    levelLists.push(levels);
  }
  const refs: CodebookRefsReader = { strings, levelLists };
  const n = r.varint();
  if (n > r.remaining) throw new DecodeError("container codebook count exceeds the file. The file is corrupted.");
  const codebooks: Codebook[] = [];
  for (let i = 0; i < n; i++) codebooks.push(readCodebook(r, refs));
  return codebooks;
}
