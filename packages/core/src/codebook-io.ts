import { ByteReader, ByteWriter } from "./bytes.js";
import { dequantizeScaleCode, type Codebook, type ScaleCodes } from "./codebook.js";
import { fromFloat16Bits, toFloat16Bits } from "./float16.js";
import { assertFiniteValues, MAX_CODEBOOK_LEVELS } from "./budget.js";
import { DecodeError } from "./errors.js";
import { printable } from "./printable.js";

const KIND_CODE = { levels: 0, affine: 1, grid: 2 } as const;
/** Compact encodings of the same in-memory kinds (read back bit-identically). */
const AFFINE_INT_ZERO = 3;
const GRID_ZERO_MU = 4;
/** scaledLevels: shared levels + scales as float16 (layout 0), float32 (1) or 8-bit double-quantized codes (2). */
const SCALED_LEVELS = 5;
const SC_F16 = 0,
  SC_F32 = 1,
  SC_DQ = 2;
/** scaledLevels whose level list is an index into the container's level lists (codebook-table.ts). */
const SCALED_LEVELS_SHARED = 6;

/**
 * Container context of a codebook record in the shared codebook table (codebook-table.ts): ids
 * that are in the container's string table are written as an index, and a scaledLevels
 * codebook's level list as an index into the container's distinct level lists.
 */
export interface CodebookRefsWriter {
  /** The string-table index of `id`, if the table holds it. */
  idRef(id: string): number | undefined;
  /** The index of `levels` (bit for bit) in the container's level lists. */
  levelRef(levels: Float32Array): number;
  /** How many level lists the container holds: with one, the index is not written. */
  readonly levelListCount: number;
}
/** What {@link readCodebook} resolves the references of {@link CodebookRefsWriter} against. */
export interface CodebookRefsReader {
  readonly strings: readonly string[];
  readonly levelLists: readonly Float32Array[];
}

/** The record head: kind, then the id as a string or (with refs) varint 0 + string / index + 1. */
function writeHead(w: ByteWriter, kind: number, id: string, refs: CodebookRefsWriter | undefined): ByteWriter {
  w.u8(kind);
  if (!refs) return w.str(id);
  const i = refs.idRef(id);
  return i === undefined ? w.varint(0).str(id) : w.varint(i + 1);
}
function readId(r: ByteReader, refs: CodebookRefsReader | undefined): string {
  if (!refs) return r.str();
  const i = r.varint();
  if (i === 0) return r.str();
  if (i > refs.strings.length) throw new DecodeError(`codebook id refers to string ${i - 1} of ${refs.strings.length}. The file is corrupted.`);
  return refs.strings[i - 1]!;
}

function scaleLayout(cb: Extract<Codebook, { kind: "scaledLevels" }>): number {
  const sc = cb.scaleCodes;
  if (sc && sc.codes.length === cb.scale.length && sc.blockSize >= 1 && sc.step.length === Math.ceil(cb.scale.length / sc.blockSize)) {
    let same = true;
    for (let g = 0; g < cb.scale.length && same; g++) same = Object.is(dequantizeScaleCode(sc, g), cb.scale[g]);
    if (same) return SC_DQ;
  }
  for (let g = 0; g < cb.scale.length; g++) if (!Object.is(fromFloat16Bits(toFloat16Bits(cb.scale[g]!)), cb.scale[g])) return SC_F32;
  return SC_F16;
}
/** Zero-point layouts of {@link AFFINE_INT_ZERO}: one shared varint, or one u8 / u16 per group. */
const ZP_SHARED = 0,
  ZP_U8 = 1,
  ZP_U16 = 2;

/**
 * How the zero points of an affine codebook can be stored: as integers when every one is an
 * integer in 0…65535 (rtn with `zero: "exact"`, tfjs-converter's nudged grids, symmetric grids).
 * Why: float32 zero points cost 32 bits per group — a per-channel or per-group grid's side
 * information halves to 40 (or 32 + one shared) bits per group.
 */
function zeroPointLayout(zp: Float32Array): number | undefined {
  let max = 0,
    shared = true;
  for (let g = 0; g < zp.length; g++) {
    const z = zp[g]!;
    if (!Number.isInteger(z) || z < 0 || z > 65535 || Object.is(z, -0)) return undefined;
    if (z > max) max = z;
    if (z !== zp[0]) shared = false;
  }
  return shared ? ZP_SHARED : max <= 255 ? ZP_U8 : ZP_U16;
}

function allZero(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 || Object.is(a[i], -0)) return false;
  return true;
}

/**
 * Serialises a codebook exactly (float32 values bit for bit). Affine codebooks with integer zero
 * points store them as integers, grid codebooks whose μ are all +0 omit them; {@link readCodebook}
 * restores the same values. With `refs` (the container's shared codebook table) the id and a
 * scaledLevels codebook's level list are written as references; read such a record back with
 * the matching {@link CodebookRefsReader}.
 */
export function writeCodebook(w: ByteWriter, cb: Codebook, refs?: CodebookRefsWriter): void {
  if (cb.kind === "levels") {
    writeHead(w, KIND_CODE.levels, cb.id, refs).varint(cb.levels.length).f32array(cb.levels);
  } else if (cb.kind === "affine") {
    const zl = zeroPointLayout(cb.zeroPoint);
    if (zl === undefined) {
      writeHead(w, KIND_CODE.affine, cb.id, refs).varint(cb.levels).varint(cb.scale.length).f32array(cb.scale).f32array(cb.zeroPoint);
      return;
    }
    writeHead(w, AFFINE_INT_ZERO, cb.id, refs).varint(cb.levels).varint(cb.scale.length).f32array(cb.scale).u8(zl);
    if (zl === ZP_SHARED) w.varint(cb.zeroPoint[0]!);
    else if (zl === ZP_U8) for (let g = 0; g < cb.zeroPoint.length; g++) w.u8(cb.zeroPoint[g]!);
    else for (let g = 0; g < cb.zeroPoint.length; g++) w.u16(cb.zeroPoint[g]!);
  } else if (cb.kind === "scaledLevels") {
    const layout = scaleLayout(cb);
    if (refs) {
      writeHead(w, SCALED_LEVELS_SHARED, cb.id, refs);
      if (refs.levelListCount > 1) w.varint(refs.levelRef(cb.levels));
    } else writeHead(w, SCALED_LEVELS, cb.id, refs).varint(cb.levels.length).f32array(cb.levels);
    w.varint(cb.scale.length).u8(layout);
    if (layout === SC_F16) for (let g = 0; g < cb.scale.length; g++) w.u16(toFloat16Bits(cb.scale[g]!));
    else if (layout === SC_F32) w.f32array(cb.scale);
    else {
      const sc = cb.scaleCodes!;
      w.varint(sc.blockSize).f32(sc.offset).f32array(sc.step);
      for (let g = 0; g < sc.codes.length; g++) w.u8(sc.codes[g]!);
    }
  } else {
    const zeroMu = allZero(cb.mu);
    writeHead(w, zeroMu ? GRID_ZERO_MU : KIND_CODE.grid, cb.id, refs);
    w.varint(cb.levels)
      .f32(cb.xMax)
      .u8(cb.midtread ? 1 : 0)
      .str(cb.sigmaSource ?? "")
      .varint(cb.sigma.length)
      .f32array(cb.sigma);
    if (!zeroMu) w.f32array(cb.mu);
  }
}

function count(r: ByteReader, bytesEach: number, what: string): number {
  const n = r.varint();
  if (n * bytesEach > r.remaining) throw new DecodeError(`codebook ${what} count ${n} exceeds the stream. The file is corrupted or truncated.`);
  return n;
}

/** Level counts of affine and grid codebooks: 1 … 2^32 (codes are u32). */
function levelCount(r: ByteReader, kind: string, id: string): number {
  const levels = r.varint();
  if (levels < 1 || levels > MAX_CODEBOOK_LEVELS) throw new DecodeError(`${kind} codebook "${printable(id)}" declares ${levels} levels (1…2^32 allowed). The file is corrupted.`);
  return levels;
}

/**
 * Reads a codebook written by {@link writeCodebook}; malformed input is a {@link DecodeError}.
 * Every level, scale, zero point, σ, μ and x_max must be finite (quantforge never writes
 * anything else, and a NaN would silently decode to NaN weights). `refs` resolves the references
 * of a record written with {@link CodebookRefsWriter}; an index out of range is a DecodeError.
 */
export function readCodebook(r: ByteReader, refs?: CodebookRefsReader): Codebook {
  const cb = readCodebookRaw(r, refs);
  const what = `codebook "${printable(cb.id)}"`;
  if (cb.kind === "levels") assertFiniteValues(cb.levels, `${what} levels`);
  else if (cb.kind === "scaledLevels") {
    assertFiniteValues(cb.levels, `${what} levels`);
    assertFiniteValues(cb.scale, `${what} scales`);
    for (let g = 0; g < cb.scale.length; g++) if (!(cb.scale[g]! >= 0)) throw new DecodeError(`${what} has a negative scale. The file is corrupted.`);
  } else if (cb.kind === "affine") {
    assertFiniteValues(cb.scale, `${what} scales`);
    assertFiniteValues(cb.zeroPoint, `${what} zero points`);
  } else {
    assertFiniteValues([cb.xMax], `${what} x_max`);
    assertFiniteValues(cb.sigma, `${what} σ`);
    assertFiniteValues(cb.mu, `${what} μ`);
  }
  return cb;
}

function readCodebookRaw(r: ByteReader, refs: CodebookRefsReader | undefined): Codebook {
  const kind = r.u8();
  const id = readId(r, refs);
  if (kind === 0) {
    const n = count(r, 4, "levels");
    return { kind: "levels", id, levels: r.f32array(n) };
  }
  if (kind === 1 || kind === AFFINE_INT_ZERO) {
    const levels = levelCount(r, "affine", id);
    const n = count(r, kind === 1 ? 8 : 4, "parameter");
    if (n < 1) throw new DecodeError(`affine codebook "${printable(id)}" is empty. The file is corrupted.`);
    const scale = r.f32array(n);
    if (kind === 1) return { kind: "affine", id, levels, scale, zeroPoint: r.f32array(n) };
    const zl = r.u8();
    const zeroPoint = new Float32Array(n);
    if (zl === ZP_SHARED) zeroPoint.fill(r.varint());
    else if (zl === ZP_U8 || zl === ZP_U16) {
      if (n * (zl === ZP_U8 ? 1 : 2) > r.remaining) throw new DecodeError(`affine codebook "${printable(id)}" has ${n} zero points but the stream ends first. The file is corrupted or truncated.`);
      for (let g = 0; g < n; g++) zeroPoint[g] = zl === ZP_U8 ? r.u8() : r.u16();
    } else throw new DecodeError(`affine codebook "${printable(id)}" has an unknown zero-point layout ${zl}. The file is corrupted or from a newer quantforge.`);
    return { kind: "affine", id, levels, scale, zeroPoint };
  }
  if (kind === 2 || kind === GRID_ZERO_MU) {
    const levels = levelCount(r, "grid", id);
    const xMax = r.f32();
    const midtread = r.u8() === 1;
    const src = r.str();
    const n = count(r, kind === 2 ? 8 : 4, "parameter");
    if (n < 1) throw new DecodeError(`grid codebook "${printable(id)}" is empty. The file is corrupted.`);
    const sigma = r.f32array(n);
    const mu = kind === 2 ? r.f32array(n) : new Float32Array(n);
    const cb: Codebook = { kind: "grid", id, levels, xMax, midtread, sigma, mu, ...(src ? { sigmaSource: src } : {}) };
    return cb;
  }
  if (kind === SCALED_LEVELS || (kind === SCALED_LEVELS_SHARED && refs)) {
    let levels: Float32Array;
    if (kind === SCALED_LEVELS) {
      const k = count(r, 4, "levels");
      if (k < 1 || k > MAX_CODEBOOK_LEVELS) throw new DecodeError(`scaledLevels codebook "${printable(id)}" has ${k} levels. The file is corrupted.`);
      levels = r.f32array(k);
    } else {
      const li = refs!.levelLists.length > 1 ? r.varint() : 0;
      const shared = refs!.levelLists[li];
      if (!shared) throw new DecodeError(`scaledLevels codebook "${printable(id)}" refers to level list ${li} of ${refs!.levelLists.length}. The file is corrupted.`);
      // A copy: decoded codebooks are independent values, as when each stored its own list.
      levels = shared.slice();
    }
    const n = count(r, 1, "scale");
    if (n < 1) throw new DecodeError(`scaledLevels codebook "${printable(id)}" is empty. The file is corrupted.`);
    const layout = r.u8();
    if (layout === SC_F16) {
      if (n * 2 > r.remaining) throw new DecodeError(`scaledLevels codebook "${printable(id)}" has ${n} scales but the stream ends first. The file is corrupted or truncated.`);
      const scale = new Float32Array(n);
      for (let g = 0; g < n; g++) scale[g] = fromFloat16Bits(r.u16());
      return { kind: "scaledLevels", id, levels, scale };
    }
    if (layout === SC_F32) {
      if (n * 4 > r.remaining) throw new DecodeError(`scaledLevels codebook "${printable(id)}" has ${n} scales but the stream ends first. The file is corrupted or truncated.`);
      return { kind: "scaledLevels", id, levels, scale: r.f32array(n) };
    }
    if (layout !== SC_DQ) throw new DecodeError(`scaledLevels codebook "${printable(id)}" has an unknown scale layout ${layout}. The file is corrupted or from a newer quantforge.`);
    const blockSize = r.varint();
    if (blockSize < 1) throw new DecodeError(`scaledLevels codebook "${printable(id)}" has block size 0. The file is corrupted.`);
    const offset = r.f32();
    const blocks = Math.ceil(n / blockSize);
    if (blocks * 4 + n > r.remaining) throw new DecodeError(`scaledLevels codebook "${printable(id)}" has ${n} scale codes but the stream ends first. The file is corrupted or truncated.`);
    const step = r.f32array(blocks);
    const codes = new Uint8Array(n);
    for (let g = 0; g < n; g++) codes[g] = r.u8();
    const scaleCodes: ScaleCodes = { codes, blockSize, step, offset };
    assertFiniteValues([offset, ...step], `scaledLevels codebook "${printable(id)}" scale steps`);
    const scale = new Float32Array(n);
    for (let g = 0; g < n; g++) scale[g] = dequantizeScaleCode(scaleCodes, g);
    return { kind: "scaledLevels", id, levels, scale, scaleCodes };
  }
  throw new DecodeError(`unknown codebook kind ${kind}. The file is corrupted or from a newer quantforge.`);
}
