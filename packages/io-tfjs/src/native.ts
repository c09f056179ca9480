import { ErrorCodes, QuantforgeError, codebookGroupParams, codebookSize, dequantizeCodes, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { fromFloat16Bits, toFloat16Bits } from "@quantforge/core/format";
import type { TfjsQuantization } from "./manifest.js";

/** A quantized tensor that a write target cannot carry (choose another target). */
export class TargetMismatchError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
  }
}

/** A tensor in tfjs's own storage quantization. */
export interface NativeEncoding {
  readonly quantization: TfjsQuantization;
  /** The stored bytes (uint8, uint16 little-endian or float16 little-endian). */
  readonly bytes: Uint8Array;
}

/** How tfjs decodes a uint8/uint16 code: float64 `q·scale + min`, stored to float32. */
function tfjsValue(q: number, scale: number, min: number): number {
  return Math.fround(q * scale + min);
}

/** True when tfjs's `fround(i·scale + min)` reproduces `levels[i]` for every i. */
function fits(levels: Float32Array | readonly number[], scale: number, min: number): boolean {
  if (!Number.isFinite(scale) || !Number.isFinite(min)) return false;
  for (let i = 0; i < levels.length; i++) if (tfjsValue(i, scale, min) !== levels[i]) return false;
  return true;
}

function isHalf(v: number): boolean {
  return Number.isFinite(v) && fromFloat16Bits(toFloat16Bits(v)) === v;
}

/**
 * Expresses a quantized tensor in tfjs's own weight quantization, so stock tfjs loads it and
 * decodes exactly the weights quantforge evaluated:
 *
 * - an `affine` codebook (one scale and zero point for the tensor) becomes `uint8` (≤ 256
 *   codes) or `uint16` (≤ 65 536) with `scale = s` and `min = −z·s` — both exact in float64,
 *   so tfjs's `fround(q·scale + min)` equals quantforge's `fround((q − z)·s)`;
 * - any other codebook whose distinct levels are equally spaced the same way (e.g. a
 *   per-tensor `grid`) becomes uint8/uint16 over its sorted levels;
 * - a codebook whose levels are all float16 values (the `tfjs-affine` float16 baseline) becomes
 *   tfjs's `float16`.
 *
 * Every candidate is verified level by level against tfjs's decoding formula; anything that
 * would not decode bit-exactly is refused. Pruned elements (sparse tensors) need a level that
 * is exactly 0.
 *
 * @throws {TargetMismatchError} For per-channel/per-group parameters, more than 65 536 levels,
 *   unequally spaced levels that are not all float16, or a pruned tensor without a zero level.
 */
export function nativeEncoding(t: QuantizedTensor, cb: Codebook): NativeEncoding {
  const hint = `Use --target tfjs-coded (quantforge shards + loader) or tfjs-float.`;
  if (codebookGroupParams(cb) !== 1 && t.grouping.kind !== "tensor") {
    throw new TargetMismatchError(`tensor "${t.name}" has per-${t.grouping.kind} ${cb.kind} parameters, but tfjs's own quantization has one scale and min per tensor. ${hint}`);
  }
  const k = codebookSize(cb);
  if (k > 65536) throw new TargetMismatchError(`tensor "${t.name}" uses a codebook of ${k} levels; tfjs stores at most 65536 (uint16). ${hint}`);
  const all = new Uint32Array(k);
  for (let i = 0; i < k; i++) all[i] = i;
  const levels = new Float32Array(k);
  dequantizeCodes(cb, all, null, levels);

  // Candidate 1: the codebook's own affine parameters.
  let map: Uint32Array | null = null; // code → stored integer
  let scale = 0,
    min = 0;
  if (cb.kind === "affine") {
    const s = cb.scale[0]!,
      z = cb.zeroPoint[0]!;
    if (fits(levels, s, -z * s)) {
      map = all;
      scale = s;
      min = -z * s + 0;
    }
  }
  // Candidate 2: equally spaced distinct levels, in ascending order.
  if (map === null) {
    const order = Array.from(all).sort((a, b) => levels[a]! - levels[b]! || a - b);
    const sorted: number[] = [];
    const rank = new Uint32Array(k);
    for (const c of order) {
      const v = levels[c]!;
      if (sorted.length === 0 || sorted[sorted.length - 1] !== v) sorted.push(v);
      rank[c] = sorted.length - 1;
    }
    if (sorted.every((v) => Number.isFinite(v))) {
      const lo = sorted[0]!,
        hi = sorted[sorted.length - 1]!;
      const cand: [number, number][] =
        sorted.length === 1
          ? [[1, lo]]
          : [
              [(hi - lo) / (sorted.length - 1), lo],
              [Math.fround((hi - lo) / (sorted.length - 1)), lo],
            ];
      if (sorted.length > 1) cand.push([sorted[1]! - lo, lo]);
      for (const [s, m] of cand)
        if (fits(sorted, s, m)) {
          map = rank;
          scale = s;
          min = m;
          break;
        }
    }
  }
  const zeroCode = (): number => {
    for (let i = 0; i < k; i++) if (levels[i] === 0) return i;
    throw new TargetMismatchError(`tensor "${t.name}" is pruned but its codebook has no level exactly 0, so tfjs's dense storage cannot hold the pruned elements. ${hint}`);
  };
  const n = t.sparse ? t.shape.reduce((a, b) => a * b, 1) : t.codes.length;
  const codeAt = (() => {
    if (!t.sparse) return (i: number) => t.codes[i]!;
    const dense = new Uint32Array(n).fill(zeroCode());
    const p = t.sparse.positions;
    for (let i = 0; i < p.length; i++) dense[p[i]!] = t.codes[i]!;
    return (i: number) => dense[i]!;
  })();

  if (map !== null) {
    let top = 0;
    for (let i = 0; i < map.length; i++) if (map[i]! > top) top = map[i]!;
    if (top < 256) {
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = map[codeAt(i)]!;
      return { quantization: { dtype: "uint8", scale, min, original_dtype: "float32" }, bytes };
    }
    const bytes = new Uint8Array(n * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) view.setUint16(i * 2, map[codeAt(i)]!, true);
    return { quantization: { dtype: "uint16", scale, min, original_dtype: "float32" }, bytes };
  }
  if (levels.every(isHalf)) {
    const halves = new Uint16Array(k);
    for (let i = 0; i < k; i++) halves[i] = toFloat16Bits(levels[i]!);
    const bytes = new Uint8Array(n * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) view.setUint16(i * 2, halves[codeAt(i)]!, true);
    return { quantization: { dtype: "float16", original_dtype: "float32" }, bytes };
  }
  throw new TargetMismatchError(`tensor "${t.name}" uses a ${cb.kind} codebook whose ${k} levels are neither an exact tfjs uint8/uint16 grid nor float16 values, so stock tfjs cannot decode it exactly. ${hint}`);
}
