/**
 * onnxruntime's `com.microsoft` `MatMulNBits` layout (docs/ContribOperators.md; the packing of
 * `MatMul4BitsQuantizer` / `matmul_nbits_quantizer.py`), for a MatMul weight B `[K, N]`:
 *
 * - blocks of `block_size` consecutive elements along K, per output column n (the last block of
 *   a column is zero-padded when K is not a multiple of it); `n_blocks = ⌈K / block_size⌉`;
 * - `B`: uint8 `[N, n_blocks, block_size·bits/8]`, codes packed least significant bits first
 *   (4-bit: element 2j in the low nibble of byte j, 2j+1 in the high nibble);
 * - `scales`: float32 `[N · n_blocks]`, column-major over blocks (index n·n_blocks + b);
 * - `zero_points` (optional): uint8 `[N · ⌈n_blocks·bits/8⌉]`, packed like B within each column,
 *   or float32 `[N · n_blocks]` (then ORT dequantizes in float); absent means 2^(bits−1).
 *
 * ORT dequantizes block (n, b) as `(q − z)·s`: MLAS's fp32 kernels subtract the integer zero
 * point from the integer code and multiply by the float32 scale, which is exactly core's affine
 * expression `fround((q − z)·s)` for integral z; the unpacked fallback (float zero points)
 * computes `q·s + (−s·z)`, equal up to float32 rounding.
 *
 * Pure: no I/O; the graph edits are in `nbits.ts`.
 */
import { ErrorCodes, QuantforgeError, groupIndexMap, printable, type Codebook, type QuantizedTensor } from "@quantforge/core";

/** Bit widths onnxruntime's CPU MatMulNBits kernel accepts. */
export const NBITS_SUPPORTED_BITS = [2, 4, 8] as const;
/** Block sizes MatMulNBits accepts (powers of two 16…256), largest first (fewest scales). */
export const NBITS_BLOCK_SIZES = [256, 128, 64, 32, 16] as const;

/** A quantized tensor `onnx-nbits` cannot express (bad codebook, grouping or bits); exit code 2. */
export class NbitsTargetError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_OPTIONS, message);
  }
}

/** The MatMulNBits form of one weight. */
export interface PackedNbits {
  readonly k: number;
  readonly n: number;
  readonly bits: number;
  readonly blockSize: number;
  readonly blocks: number;
  /** uint8 `[N, blocks, blockSize·bits/8]`. */
  readonly b: Uint8Array;
  /** float32 `[N · blocks]`. */
  readonly scales: Float32Array;
  /** Packed uint8 zero points, float32 ones, or none (all equal 2^(bits−1)). */
  readonly zeroPoints: { readonly kind: "uint8"; readonly data: Uint8Array } | { readonly kind: "float"; readonly data: Float32Array } | null;
}

const HINT = "rtn or gptq with --option granularity=group --option groupSize=<16|32|64|128|256>, or hqq with --option groupSize=<…>, at most 8 bits";

/** Smallest supported width holding `levels` codes. */
function bitsFor(name: string, levels: number): number {
  for (const b of NBITS_SUPPORTED_BITS) if (levels <= 2 ** b) return b;
  throw new NbitsTargetError(`tensor "${printable(name)}" has ${levels} levels; MatMulNBits stores at most 8 bits (256 levels). Quantize with --bits 8 or fewer, or use --target onnx-qdq.`);
}

/** The largest block size whose blocks (along K, per column) each lie inside one parameter group, or null. */
function blockSizeFor(groups: Int32Array, k: number, n: number): number | null {
  for (const bs of NBITS_BLOCK_SIZES) {
    // No block longer than K (all padding) unless K is below the smallest block.
    if (bs > k && bs !== NBITS_BLOCK_SIZES.at(-1)) continue;
    let ok = true;
    for (let c = 0; c < n && ok; c++) {
      for (let start = 0; start < k && ok; start += bs) {
        const g = groups[c * k + start]!;
        for (let i = start + 1; i < Math.min(k, start + bs); i++)
          if (groups[c * k + i] !== g) {
            ok = false;
            break;
          }
      }
    }
    if (ok) return bs;
  }
  return null;
}

/**
 * Packs one quantized MatMul weight, given as its transposed view `[N, K]` (codes row-major, so
 * runs along K are contiguous — the view `onnx-nbits` quantizes), into MatMulNBits' layout.
 *
 * @throws {NbitsTargetError} For a non-affine codebook (nf4's scaledLevels, k-means levels,
 *   grids), more than 256 levels, a grouping whose groups do not contain whole blocks of 16–256
 *   along K, a pruned tensor, or non-finite parameters.
 */
export function packMatMulNBits(t: QuantizedTensor, cb: Codebook): PackedNbits {
  const name = t.name;
  if (t.shape.length !== 2) throw new NbitsTargetError(`tensor "${printable(name)}" is not 2-D; MatMulNBits replaces MatMul weights [K, N] only.`);
  const [n, k] = t.shape as [number, number];
  if (cb.kind !== "affine") throw new NbitsTargetError(`tensor "${printable(name)}" uses a ${cb.kind} codebook; MatMulNBits dequantizes (q − z)·s per block only. Use ${HINT}.`);
  if (t.sparse) throw new NbitsTargetError(`tensor "${printable(name)}" is pruned (sparse); MatMulNBits stores every code. Use --target onnx.`);
  const bits = bitsFor(name, cb.levels);
  const groups = groupIndexMap(t.shape, t.grouping);
  const bs = blockSizeFor(groups, k, n);
  if (bs === null) {
    const what = t.grouping.kind === "group" ? `groups of ${t.grouping.size}` : `its ${t.grouping.kind} grouping`;
    throw new NbitsTargetError(`tensor "${printable(name)}" (K = ${k}) has ${what}, which do not hold whole MatMulNBits blocks of 16–256 along K. Use ${HINT}, with a group size dividing K.`);
  }
  const blocks = Math.ceil(k / bs),
    blob = (bs * bits) / 8;
  const param = (g: number, len: number) => (len === 1 ? 0 : g);
  const scales = new Float32Array(n * blocks);
  const zf = new Float32Array(n * blocks);
  let integral = true,
    allDefault = true;
  const dflt = 2 ** (bits - 1),
    maxCode = 2 ** bits - 1;
  for (let c = 0; c < n; c++) {
    for (let b = 0; b < blocks; b++) {
      const g = groups[c * k + b * bs]!;
      const s = cb.scale[param(g, cb.scale.length)]!,
        z = cb.zeroPoint[param(g, cb.zeroPoint.length)]!;
      if (!Number.isFinite(s) || !Number.isFinite(z)) throw new NbitsTargetError(`tensor "${printable(name)}" has a non-finite scale or zero point.`);
      scales[c * blocks + b] = s;
      zf[c * blocks + b] = z;
      if (!Number.isInteger(z) || z < 0 || z > maxCode) integral = false;
      if (z !== dflt) allDefault = false;
    }
  }
  const out = new Uint8Array(n * blocks * blob);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < k; i++) {
      const q = t.codes[c * k + i]!;
      const b = (i / bs) | 0,
        j = i - b * bs;
      const bit = j * bits;
      out[(c * blocks + b) * blob + (bit >> 3)]! |= q << (bit & 7);
    }
  }
  let zeroPoints: PackedNbits["zeroPoints"] = null;
  if (!integral) zeroPoints = { kind: "float", data: zf };
  else if (!allDefault) {
    const perCol = Math.ceil((blocks * bits) / 8);
    const zp = new Uint8Array(n * perCol);
    for (let c = 0; c < n; c++) {
      for (let b = 0; b < blocks; b++) {
        const bit = b * bits;
        zp[c * perCol + (bit >> 3)]! |= zf[c * blocks + b]! << (bit & 7);
      }
    }
    zeroPoints = { kind: "uint8", data: zp };
  }
  return { k, n, bits, blockSize: bs, blocks, b: out, scales, zeroPoints };
}

/**
 * The weight `[K, N]` that onnxruntime computes from a packed MatMulNBits weight: `(q − z)·s`
 * in float32 (integral zero points; float ones as ORT's unpacked kernel, `q·s + (−s·z)`). The
 * reference the tests hold the packing to.
 */
export function unpackMatMulNBits(p: PackedNbits): Float32Array {
  const { k, n, bits, blockSize: bs, blocks } = p;
  const blob = (bs * bits) / 8,
    mask = 2 ** bits - 1,
    perCol = Math.ceil((blocks * bits) / 8);
  const w = new Float32Array(k * n);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < k; i++) {
      const b = (i / bs) | 0,
        bit = (i - b * bs) * bits;
      const q = (p.b[(c * blocks + b) * blob + (bit >> 3)]! >> (bit & 7)) & mask;
      const s = p.scales[c * blocks + b]!;
      const zp = p.zeroPoints;
      if (zp?.kind === "float") {
        w[i * n + c] = Math.fround(Math.fround(q * s) + Math.fround(-s * zp.data[c * blocks + b]!));
      } else {
        const z = zp ? (zp.data[c * perCol + ((b * bits) >> 3)]! >> ((b * bits) & 7)) & mask : 2 ** (bits - 1);
        w[i * n + c] = Math.fround((q - z) * s);
      }
    }
  }
  return w;
}
