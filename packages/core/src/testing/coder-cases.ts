import fc from "fast-check";
import { dequantizeScaleCode, type Codebook } from "../codebook.js";
import { crc32 } from "../crc32.js";
import { ErrorCodes } from "../errors.js";
import { groupCount, type Grouping } from "../grouping.js";
import type { Coder } from "../plugin.js";
import type { QuantizedTensor } from "../quantized.js";
import { isCodeArray } from "../code-array.js";
import { Rng } from "../rng.js";
import { shapeSize } from "../tensor.js";
import { shapeArb } from "./arbitraries.js";
import { assertCode, firstDiff, sameBits } from "./suite.js";

// The coder conformance suite's cases and checks (coder-conformance.ts registers the tests).

/** A tensor and the codebook it is coded with. */
export interface CoderCase {
  readonly label: string;
  readonly tensor: QuantizedTensor;
  readonly codebook: Codebook;
}

export function affine(id: string, levels: number, groups = 1): Codebook {
  const scale = new Float32Array(groups),
    zeroPoint = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    scale[g] = 0.01 * (g + 1);
    zeroPoint[g] = Math.floor(levels / 2);
  }
  return { kind: "affine", id, levels, scale, zeroPoint };
}
function levelsCb(id: string, n: number): Codebook {
  const levels = new Float32Array(n);
  for (let i = 0; i < n; i++) levels[i] = (i - n / 2) * 0.125;
  return { kind: "levels", id, levels };
}
function gridCb(id: string, levels: number, groups = 1): Codebook {
  const sigma = new Float32Array(groups).fill(0.5),
    mu = new Float32Array(groups);
  return { kind: "grid", id, levels, xMax: Math.fround(2.5), midtread: levels % 2 === 1, sigma, mu, sigmaSource: "rms" };
}

/** Random codes in 0…alphabet−1 that include both ends (so the widest code is exercised). */
function randomCodes(rng: Rng, n: number, alphabet: number): Uint32Array {
  const c = new Uint32Array(n);
  for (let i = 0; i < n; i++) c[i] = rng.int(0, alphabet - 1);
  if (n > 0) c[0] = alphabet - 1;
  if (n > 1) c[n - 1] = 0;
  return c;
}
function randomPositions(rng: Rng, n: number, keep: number): Uint32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(idx);
  return Uint32Array.from(idx.slice(0, keep).sort((a, b) => a - b));
}

function tensor(name: string, shape: number[], codebook: string, grouping: Grouping, codes: Uint32Array, positions?: Uint32Array): QuantizedTensor {
  return { name, shape, codebook, grouping, codes, ...(positions ? { sparse: { positions } } : {}) };
}

/** The fixed round-trip cases: every layout and alphabet size the suite requires. */
export function coderCases(maxAlphabet = 65536): CoderCase[] {
  const rng = new Rng(2024);
  const out: CoderCase[] = [];
  const T: Grouping = { kind: "tensor" };
  for (const n of [1, 2, 3, 4, 5, 16, 17, 255, 256, 257, 1000, 4096, 65535, 65536, 65537, 1 << 20]) {
    if (n > maxAlphabet) continue;
    const cb = n <= 256 ? levelsCb(`cb${n}`, n) : n % 2 === 1 ? gridCb(`cb${n}`, n) : affine(`cb${n}`, n);
    out.push({ label: `dense, ${n} codes`, codebook: cb, tensor: tensor(`dense/${n}`, [67], cb.id, T, randomCodes(rng, 67, n)) });
  }
  const a16 = affine("a16", 16),
    a256 = affine("a256", 256),
    a8 = affine("a8", 8);
  out.push({ label: "dense 2-D, 5-bit alphabet, long stream", codebook: affine("a32", 32), tensor: tensor("long/kernel", [300, 7], "a32", T, randomCodes(rng, 2100, 32)) });
  out.push({ label: "dense, 8-bit, long stream", codebook: a256, tensor: tensor("bytes", [1031], "a256", T, randomCodes(rng, 1031, 256)) });
  if (maxAlphabet >= 65536) out.push({ label: "dense, 16-bit, long stream", codebook: affine("a65536", 65536), tensor: tensor("halves", [5, 211], "a65536", T, randomCodes(rng, 1055, 65536)) });
  out.push({ label: "dense, 4-D", codebook: a16, tensor: tensor("conv/kernel", [3, 3, 2, 5], "a16", T, randomCodes(rng, 90, 16)) });
  // Sparse: survivors at random positions, including the first and the last element.
  {
    const pos = randomPositions(rng, 200, 61);
    const p = new Set(pos);
    p.add(0);
    p.add(199);
    const positions = Uint32Array.from([...p].sort((x, y) => x - y));
    out.push({ label: "sparse, 16 codes", codebook: a16, tensor: tensor("pruned/kernel", [10, 20], "a16", T, randomCodes(rng, positions.length, 16), positions) });
  }
  out.push({ label: "sparse with big gaps", codebook: a8, tensor: tensor("gaps", [5000], "a8", T, randomCodes(rng, 4, 8), Uint32Array.from([3, 2999, 3000, 4999])) });
  out.push({ label: "sparse, no survivors", codebook: a8, tensor: tensor("all-pruned", [4, 4], "a8", T, new Uint32Array(0), new Uint32Array(0)) });
  out.push({
    label: "sparse, every element survives",
    codebook: a8,
    tensor: tensor(
      "none-pruned",
      [9],
      "a8",
      T,
      randomCodes(rng, 9, 8),
      Uint32Array.from({ length: 9 }, (_, i) => i),
    ),
  });
  out.push({ label: "sparse, one survivor at the end", codebook: a8, tensor: tensor("last-only", [2, 6], "a8", T, Uint32Array.from([5]), Uint32Array.from([11])) });
  // Per-channel and per-group parameters.
  out.push({ label: "per-channel (axis 1)", codebook: affine("ch", 16, 5), tensor: tensor("channel/kernel", [6, 5], "ch", { kind: "channel", axis: 1 }, randomCodes(rng, 30, 16)) });
  out.push({ label: "per-channel (axis 0), 3-D", codebook: gridCb("ch0", 7, 2), tensor: tensor("channel0", [2, 3, 4], "ch0", { kind: "channel", axis: 0 }, randomCodes(rng, 24, 7)) });
  {
    // scaledLevels (NF4-style): float16 scales, float32 scales, and 8-bit double-quantized scales.
    const levels = Float32Array.from({ length: 16 }, (_, i) => Math.fround(-1 + (2 * i) / 15));
    const half: Codebook = { kind: "scaledLevels", id: "nf16", levels, scale: Float32Array.of(0.5, 0.25, 1.5, 3) };
    const full: Codebook = { kind: "scaledLevels", id: "nf32", levels, scale: Float32Array.of(0.1, 0.2, 0.3, 0.4) };
    const sc = { codes: Uint8Array.of(0, 128, 255, 7), blockSize: 2, step: Float32Array.of(0.01, 0.02), offset: 2 };
    const dq: Codebook = { kind: "scaledLevels", id: "nfdq", levels, scale: Float32Array.from({ length: 4 }, (_, g) => dequantizeScaleCode(sc, g)), scaleCodes: sc };
    for (const cb of [half, full, dq]) out.push({ label: `scaledLevels ${cb.id}, groups of 8`, codebook: cb, tensor: tensor(`scaled/${cb.id}`, [4, 8], cb.id, { kind: "group", size: 8 }, randomCodes(rng, 32, 16)) });
  }
  out.push({ label: "per-group (size 8, ragged last group)", codebook: gridCb("grp", 15, 5), tensor: tensor("group/kernel", [37], "grp", { kind: "group", size: 8 }, randomCodes(rng, 37, 15)) });
  {
    const positions = randomPositions(rng, 48, 20);
    out.push({ label: "sparse and per-channel", codebook: affine("sc", 4, 6), tensor: tensor("sparse-channel", [8, 6], "sc", { kind: "channel", axis: 1 }, randomCodes(rng, 20, 4), positions) });
  }
  // Empty tensors and scalars.
  out.push({ label: "empty tensor [0]", codebook: a16, tensor: tensor("empty", [0], "a16", T, new Uint32Array(0)) });
  out.push({ label: "empty tensor [3, 0]", codebook: a16, tensor: tensor("empty2", [3, 0], "a16", T, new Uint32Array(0)) });
  out.push({ label: "empty sparse tensor [0]", codebook: a16, tensor: tensor("empty-sparse", [0], "a16", T, new Uint32Array(0), new Uint32Array(0)) });
  out.push({ label: "scalar", codebook: a16, tensor: tensor("scalar", [], "a16", T, Uint32Array.from([9])) });
  out.push({ label: "unicode name and codebook id", codebook: levelsCb("码本/κ", 3), tensor: tensor("层/kernel:0 ✓", [4], "码本/κ", T, Uint32Array.from([0, 2, 1, 2])) });
  return out;
}

/** Small streams for the truncation and bit-flip tests (header and payload both matter). */
export function smallCases(): CoderCase[] {
  const rng = new Rng(7);
  const a8 = affine("a8", 8);
  return [
    { label: "dense 3×5, 3-bit", codebook: a8, tensor: tensor("small", [3, 5], "a8", { kind: "tensor" }, randomCodes(rng, 15, 8)) },
    { label: "sparse 4×4, per-channel", codebook: affine("s", 4, 4), tensor: tensor("small-sparse", [4, 4], "s", { kind: "channel", axis: 1 }, randomCodes(rng, 5, 4), Uint32Array.from([0, 3, 6, 10, 15])) },
  ];
}

export function describeTensor(t: QuantizedTensor): string {
  return `"${t.name}" [${t.shape.join(", ")}]`;
}

/** Throws unless `b` equals `a` in every coded field. */
export function assertSameQuantizedTensor(a: QuantizedTensor, b: QuantizedTensor): void {
  const w = describeTensor(a);
  if (b.name !== a.name) throw new Error(`name: decoded "${b.name}", coded "${a.name}".`);
  if (!Array.isArray(b.shape) || b.shape.length !== a.shape.length || b.shape.some((d, i) => d !== a.shape[i])) throw new Error(`${w}: decoded shape [${b.shape.join(", ")}].`);
  if (b.codebook !== a.codebook) throw new Error(`${w}: decoded codebook id "${b.codebook}", coded "${a.codebook}".`);
  const g = (x: Grouping) => JSON.stringify(x.kind === "tensor" ? { kind: x.kind } : x.kind === "channel" ? { kind: x.kind, axis: x.axis } : { kind: x.kind, size: x.size });
  if (g(b.grouping) !== g(a.grouping)) throw new Error(`${w}: decoded grouping ${g(b.grouping)}, coded ${g(a.grouping)}.`);
  if (!isCodeArray(b.codes)) throw new Error(`${w}: decoded codes are not a Uint8Array, Uint16Array or Uint32Array.`);
  // By value, whatever the arrays' element types (the same codes in any CodeArray are the same tensor).
  const at = firstDiff(a.codes, b.codes);
  if (at >= 0) throw new Error(`${w}: codes differ (length ${b.codes.length} vs ${a.codes.length}, first difference at ${at}).`);
  if (!!a.sparse !== !!b.sparse) throw new Error(`${w}: decoded ${b.sparse ? "sparse" : "dense"}, coded ${a.sparse ? "sparse" : "dense"}.`);
  if (a.sparse && b.sparse) {
    if (!(b.sparse.positions instanceof Uint32Array)) throw new Error(`${w}: decoded positions are not a Uint32Array.`);
    if (!sameBits(a.sparse.positions, b.sparse.positions)) throw new Error(`${w}: positions differ (first difference at ${firstDiff(a.sparse.positions, b.sparse.positions)}).`);
  }
}

/** Decodes and requires a DecodeError (any other outcome fails with a description). */
export async function expectDecodeError(coder: Coder, bytes: Uint8Array, what: string): Promise<void> {
  let result: QuantizedTensor;
  try {
    result = coder.decode(bytes);
  } catch (e) {
    assertCode(e, ErrorCodes.DECODE, what);
    return;
  }
  throw new Error(`${what}: decode succeeded (returned ${describeTensor(result)}) instead of throwing DecodeError.`);
}

/** A tensor decoded from a corrupted-but-checksummed stream must at least be well-formed. */
export function assertWellFormed(t: QuantizedTensor): void {
  const n = shapeSize(t.shape);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`decoded an impossible shape [${t.shape.join(", ")}].`);
  const expected = t.sparse ? t.sparse.positions.length : n;
  if (t.codes.length !== expected) throw new Error(`decoded ${t.codes.length} codes for ${expected} elements.`);
  if (t.grouping.kind !== "tensor") groupCount(t.shape, t.grouping);
  const p = t.sparse?.positions;
  if (p) for (let i = 0; i < p.length; i++) if (p[i]! >= n || (i > 0 && p[i]! <= p[i - 1]!)) throw new Error(`decoded positions that are not strictly increasing inside 0…${n - 1}.`);
}

export function fixCrc(b: Uint8Array): void {
  if (b.length < 4) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
}

/** Random quantized tensors (and a matching affine codebook) for the round-trip property. */
export function quantizedTensorArb(maxAlphabet: number): fc.Arbitrary<CoderCase> {
  return fc
    .record({
      shape: fc.oneof(shapeArb({ minDims: 0, maxDims: 4, minSide: 0, maxSide: 9, maxSize: 400 }), shapeArb({ minDims: 1, maxDims: 2, maxSide: 64, maxSize: 2000 })),
      alphabet: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: maxAlphabet })),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      sparse: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
      grouping: fc.constantFrom("tensor", "channel", "group"),
      groupSize: fc.integer({ min: 1, max: 20 }),
      name: fc.string({ maxLength: 12 }),
    })
    .map(({ shape, alphabet, seed, sparse, grouping, groupSize, name }) => {
      const rng = new Rng(seed);
      const n = shapeSize(shape);
      const g: Grouping = grouping === "channel" && shape.length > 0 ? { kind: "channel", axis: rng.int(0, shape.length - 1) } : grouping === "group" ? { kind: "group", size: groupSize } : { kind: "tensor" };
      const positions = sparse === undefined ? undefined : randomPositions(rng, n, Math.round(sparse * n));
      const codes = randomCodes(rng, positions ? positions.length : n, alphabet);
      const groups = g.kind === "tensor" ? 1 : groupCount(shape, g);
      const cb = affine("p", alphabet, Math.max(1, groups));
      return { label: "random", codebook: cb, tensor: tensor(name, [...shape], "p", g, codes, positions) };
    });
}

/** First index of `needle` in `hay`, or −1. */
export function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
