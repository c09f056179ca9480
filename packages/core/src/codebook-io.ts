import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { DecodeError } from "./errors.js";

const KIND_CODE = { levels: 0, affine: 1, grid: 2 } as const;

/** Serialises a codebook exactly (float32 values bit for bit). */
export function writeCodebook(w: ByteWriter, cb: Codebook): void {
  w.u8(KIND_CODE[cb.kind]).str(cb.id);
  if (cb.kind === "levels") {
    w.varint(cb.levels.length).f32array(cb.levels);
  } else if (cb.kind === "affine") {
    w.varint(cb.levels).varint(cb.scale.length).f32array(cb.scale).f32array(cb.zeroPoint);
  } else {
    w.varint(cb.levels).f32(cb.xMax).u8(cb.midtread ? 1 : 0).str(cb.sigmaSource ?? "").varint(cb.sigma.length).f32array(cb.sigma).f32array(cb.mu);
  }
}

function count(r: ByteReader, bytesEach: number, what: string): number {
  const n = r.varint();
  if (n * bytesEach > r.remaining) throw new DecodeError(`codebook ${what} count ${n} exceeds the stream. The file is corrupted or truncated.`);
  return n;
}

/** Reads a codebook written by {@link writeCodebook}; malformed input is a {@link DecodeError}. */
export function readCodebook(r: ByteReader): Codebook {
  const kind = r.u8();
  const id = r.str();
  if (kind === 0) {
    const n = count(r, 4, "levels");
    return { kind: "levels", id, levels: r.f32array(n) };
  }
  if (kind === 1) {
    const levels = r.varint();
    const n = count(r, 8, "parameter");
    if (levels < 1 || n < 1) throw new DecodeError(`affine codebook "${id}" is empty. The file is corrupted.`);
    return { kind: "affine", id, levels, scale: r.f32array(n), zeroPoint: r.f32array(n) };
  }
  if (kind === 2) {
    const levels = r.varint();
    const xMax = r.f32();
    const midtread = r.u8() === 1;
    const src = r.str();
    const n = count(r, 8, "parameter");
    if (levels < 1 || n < 1) throw new DecodeError(`grid codebook "${id}" is empty. The file is corrupted.`);
    const cb: Codebook = { kind: "grid", id, levels, xMax, midtread, sigma: r.f32array(n), mu: r.f32array(n), ...(src ? { sigmaSource: src } : {}) };
    return cb;
  }
  throw new DecodeError(`unknown codebook kind ${kind}. The file is corrupted or from a newer quantforge.`);
}
