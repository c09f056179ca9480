import fc from "fast-check";
import { describe } from "vitest";
import { ByteWriter } from "../bytes.js";
import { dequantizeScaleCode, type Codebook } from "../codebook.js";
import { writeCodebook } from "../codebook-io.js";
import { decodeContainer, encodeContainer } from "../container.js";
import { crc32 } from "../crc32.js";
import { ErrorCodes } from "../errors.js";
import { groupCount, type Grouping } from "../grouping.js";
import type { Coder, CoderPlugin } from "../plugin.js";
import type { QuantizedModel, QuantizedTensor } from "../quantized.js";
import { isCodeArray } from "../code-array.js";
import type { PluginHost } from "../host.js";
import { assertPluginDescriptor, standaloneHost } from "../registry.js";
import { Rng } from "../rng.js";
import { shapeSize } from "../tensor.js";
import { assertQuantizedTensor, largestCode } from "../validate.js";
import { shapeArb } from "./arbitraries.js";
import { assertCode, caught, firstDiff, optionSets, optionsLabel, sameBits, sameValues, testRegistrar, type SkipEntry } from "./suite.js";

/**
 * Ids of the coder conformance tests (use them in `skip`):
 * - `descriptor`: the descriptor is well-formed and `create` gives the plugin's coder;
 * - `round-trip`: bit-exact codes, positions, grouping, name, shape and codebook id for dense,
 *   sparse, per-channel and per-group tensors, alphabets of 1…65536 codes, empty tensors and
 *   scalars, also from an unaligned view inside a larger buffer;
 * - `round-trip-property`: the same on random (fast-check) tensors;
 * - `deterministic`: the same input gives the same bytes, and encoding leaves its input intact;
 * - `narrow-codes`: the same codes in a `Uint8Array` or `Uint16Array` (a `CodeArray` a quantizer
 *   may give) encode to the bytes of their `Uint32Array` and decode to the same codes;
 * - `truncation`: every proper prefix of a small stream is a `DecodeError`;
 * - `bit-flips`: every single-bit flip of a small stream (header and payload) is a `DecodeError`;
 * - `version`: a changed format version (checksum fixed up) is a `DecodeError`;
 * - `garbage`: random bytes, a valid prefix with random rest, and checksum-fixed random
 *   corruptions are a `DecodeError` or (for the last) a well-formed tensor — never another error;
 * - `container`: the same through the `.qf` container, including a corrupted stream inside it.
 */
export const CODER_TESTS = ["descriptor", "round-trip", "round-trip-property", "deterministic", "narrow-codes", "truncation", "bit-flips", "version", "garbage", "container"] as const;

/** Options of {@link describeCoderConformance}. */
export interface CoderConformanceOptions {
  /**
   * The host `create(options, host)` receives (a plugin that looks up other plugins needs them
   * registered here). Default: a host whose registry holds the plugin under test only.
   */
  readonly host?: PluginHost;
  /** Option sets to test (raw); default `[{}]`. */
  readonly options?: Record<string, unknown> | readonly Record<string, unknown>[];
  /** Reviewed exceptions: test id (see {@link CODER_TESTS}) and the reason. */
  readonly skip?: readonly SkipEntry[];
  /** Byte offset of the format version in a stream (default 4: after a 4-byte magic). */
  readonly versionOffset?: number;
  /** Streams end with a little-endian CRC-32 of everything before it (default true); the `version` and `garbage` tests fix it up. */
  readonly trailingCrc32?: boolean;
  /** Largest alphabet the coder supports (default 65536). */
  readonly maxAlphabet?: number;
  /** fast-check runs of the property tests (default 60). */
  readonly numRuns?: number;
  /** Per-test timeout in ms (default 60 000): a hanging decoder fails instead of blocking the run. */
  readonly timeoutMs?: number;
}

/** A tensor and the codebook it is coded with. */
export interface CoderCase {
  readonly label: string;
  readonly tensor: QuantizedTensor;
  readonly codebook: Codebook;
}

function affine(id: string, levels: number, groups = 1): Codebook {
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
function smallCases(): CoderCase[] {
  const rng = new Rng(7);
  const a8 = affine("a8", 8);
  return [
    { label: "dense 3×5, 3-bit", codebook: a8, tensor: tensor("small", [3, 5], "a8", { kind: "tensor" }, randomCodes(rng, 15, 8)) },
    { label: "sparse 4×4, per-channel", codebook: affine("s", 4, 4), tensor: tensor("small-sparse", [4, 4], "s", { kind: "channel", axis: 1 }, randomCodes(rng, 5, 4), Uint32Array.from([0, 3, 6, 10, 15])) },
  ];
}

function describeTensor(t: QuantizedTensor): string {
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
  if (!sameValues(a.codes, b.codes)) throw new Error(`${w}: codes differ (length ${b.codes.length} vs ${a.codes.length}, first difference at ${firstDiff(a.codes, b.codes)}).`);
  if (!!a.sparse !== !!b.sparse) throw new Error(`${w}: decoded ${b.sparse ? "sparse" : "dense"}, coded ${a.sparse ? "sparse" : "dense"}.`);
  if (a.sparse && b.sparse) {
    if (!(b.sparse.positions instanceof Uint32Array)) throw new Error(`${w}: decoded positions are not a Uint32Array.`);
    if (!sameBits(a.sparse.positions, b.sparse.positions)) throw new Error(`${w}: positions differ (first difference at ${firstDiff(a.sparse.positions, b.sparse.positions)}).`);
  }
}

/** Decodes and requires a DecodeError (any other outcome fails with a description). */
async function expectDecodeError(coder: Coder, bytes: Uint8Array, what: string): Promise<void> {
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
function assertWellFormed(t: QuantizedTensor): void {
  const n = shapeSize(t.shape);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`decoded an impossible shape [${t.shape.join(", ")}].`);
  const expected = t.sparse ? t.sparse.positions.length : n;
  if (t.codes.length !== expected) throw new Error(`decoded ${t.codes.length} codes for ${expected} elements.`);
  if (t.grouping.kind !== "tensor") groupCount(t.shape, t.grouping);
  const p = t.sparse?.positions;
  if (p) for (let i = 0; i < p.length; i++) if (p[i]! >= n || (i > 0 && p[i]! <= p[i - 1]!)) throw new Error(`decoded positions that are not strictly increasing inside 0…${n - 1}.`);
}

function fixCrc(b: Uint8Array): void {
  if (b.length < 4) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
}

/** Random quantized tensors (and a matching affine codebook) for the round-trip property. */
function quantizedTensorArb(maxAlphabet: number): fc.Arbitrary<CoderCase> {
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

/**
 * Registers the coder conformance suite (vitest `describe`/`it`) for `plugin`, one block per
 * option set:
 *
 * ```ts
 * describeCoderConformance(fixedCoder());
 * ```
 *
 * The `version`/`garbage` tests assume the version byte at `versionOffset` (default 4) and a
 * trailing CRC-32 (default); say otherwise in the options. Every skip needs a reason.
 */
export function describeCoderConformance(plugin: CoderPlugin, o: CoderConformanceOptions = {}): void {
  const host = o.host ?? standaloneHost([plugin]);
  const timeout = o.timeoutMs ?? 60_000;
  const sets = optionSets(o.options);
  const maxAlphabet = o.maxAlphabet ?? 65536;
  const numRuns = o.numRuns ?? 60;
  const versionOffset = o.versionOffset ?? 4;
  const trailing = o.trailingCrc32 ?? true;
  const test = testRegistrar(`coder conformance (${plugin.id})`, CODER_TESTS, o.skip, timeout);
  describe(`coder conformance: ${plugin.id}`, () => {
    test("descriptor", "descriptor is well-formed and create() returns the plugin's coder", () => {
      assertPluginDescriptor(plugin);
      if (plugin.kind !== "coder") throw new Error(`descriptor kind is "${plugin.kind}", not "coder".`);
      for (const opts of sets) {
        const c = plugin.create(plugin.parseOptions(opts), host);
        if (typeof c.encode !== "function" || typeof c.decode !== "function") throw new Error("create() returned no coder.");
        if (c.id !== plugin.id) throw new Error(`the coder's id "${c.id}" differs from the descriptor's "${plugin.id}".`);
      }
    });

    for (const opts of sets) {
      const make = (): Coder => plugin.create(plugin.parseOptions(opts), host);
      describe(optionsLabel(opts), () => {
        test("round-trip", "dense, sparse, per-channel, per-group, 1…65536 codes, empty and scalar tensors round-trip bit-exactly", () => {
          const coder = make();
          for (const c of coderCases(maxAlphabet)) {
            assertQuantizedTensor(c.tensor, c.codebook); // the case itself is valid
            try {
              const bytes = coder.encode(c.tensor, c.codebook);
              if (!(bytes instanceof Uint8Array)) throw new Error("encode() did not return a Uint8Array.");
              assertSameQuantizedTensor(c.tensor, make().decode(bytes));
              // Containers hand coders views into a larger buffer at any offset.
              const big = new Uint8Array(bytes.length + 10);
              big.set(bytes, 3);
              assertSameQuantizedTensor(c.tensor, coder.decode(big.subarray(3, 3 + bytes.length)));
            } catch (e) {
              throw new Error(`${c.label}: ${(e as Error).message}`, { cause: e });
            }
          }
        });

        test("round-trip-property", "random tensors round-trip bit-exactly (fast-check)", () => {
          const coder = make();
          fc.assert(
            fc.property(quantizedTensorArb(maxAlphabet), (c) => {
              assertSameQuantizedTensor(c.tensor, coder.decode(coder.encode(c.tensor, c.codebook)));
            }),
            { numRuns, seed: 1234 },
          );
        });

        test("deterministic", "the same input gives the same bytes and encoding leaves the input untouched", () => {
          for (const c of coderCases(maxAlphabet)) {
            const before = c.tensor.codes.slice();
            const a = make().encode(c.tensor, c.codebook);
            const b = make().encode(c.tensor, c.codebook);
            if (!sameBits(a, b)) throw new Error(`${c.label}: two encodings differ (first at byte ${firstDiff(a, b)}).`);
            if (!sameBits(before, c.tensor.codes)) throw new Error(`${c.label}: encode() modified the codes.`);
          }
        });

        test("narrow-codes", "codes in a Uint8Array or Uint16Array encode to the bytes of their Uint32Array and round-trip", () => {
          const coder = make();
          for (const c of coderCases(maxAlphabet)) {
            const wide = coder.encode(c.tensor, c.codebook);
            // The narrowest array that holds every code of the case (a quantizer's codeArray for its codebook).
            const top = largestCode(c.tensor.codes);
            for (const Narrow of [Uint8Array, Uint16Array]) {
              if (top >= 2 ** (8 * Narrow.BYTES_PER_ELEMENT)) continue;
              const narrow = { ...c.tensor, codes: Narrow.from(c.tensor.codes) };
              const bytes = coder.encode(narrow, c.codebook);
              if (!sameBits(bytes, wide)) throw new Error(`${c.label}: ${Narrow.name} codes encode differently (first at byte ${firstDiff(bytes, wide)}).`);
              assertSameQuantizedTensor(c.tensor, make().decode(bytes));
            }
          }
        });

        test("truncation", "every proper prefix of a stream is a DecodeError", async () => {
          const coder = make();
          for (const c of smallCases()) {
            const bytes = coder.encode(c.tensor, c.codebook);
            for (let k = 0; k < bytes.length; k++) await expectDecodeError(coder, bytes.slice(0, k), `${c.label} truncated to ${k} of ${bytes.length} bytes`);
          }
        });

        test("bit-flips", "every single-bit flip (header and payload) is a DecodeError", async () => {
          const coder = make();
          for (const c of smallCases()) {
            const bytes = coder.encode(c.tensor, c.codebook);
            for (let i = 0; i < bytes.length; i++) {
              for (let bit = 0; bit < 8; bit++) {
                const b = bytes.slice();
                b[i]! ^= 1 << bit;
                await expectDecodeError(coder, b, `${c.label} with bit ${bit} of byte ${i}/${bytes.length} flipped`);
              }
            }
          }
        });

        test("version", "a changed format version is a DecodeError (checksum fixed up)", async () => {
          const coder = make();
          const c = smallCases()[0]!;
          const bytes = coder.encode(c.tensor, c.codebook);
          if (versionOffset >= bytes.length) throw new Error(`versionOffset ${versionOffset} is beyond the ${bytes.length}-byte stream.`);
          const v = bytes[versionOffset]!;
          for (const nv of new Set([(v + 1) & 0xff, (v + 0x80) & 0xff, 0, 0xff])) {
            if (nv === v) continue;
            const b = bytes.slice();
            b[versionOffset] = nv;
            if (trailing) fixCrc(b);
            await expectDecodeError(coder, b, `version byte ${v} changed to ${nv}`);
          }
        });

        test("garbage", "random bytes are a DecodeError; checksum-fixed corruption never crashes", async () => {
          const coder = make();
          const valid = coder.encode(smallCases()[1]!.tensor, smallCases()[1]!.codebook);
          fc.assert(
            fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
              try {
                coder.decode(b);
              } catch (e) {
                assertCode(e, ErrorCodes.DECODE, "random bytes");
                return;
              }
              throw new Error(`random bytes [${Array.from(b.subarray(0, 16)).join(",")}…] decoded without error.`);
            }),
            { numRuns: numRuns * 3, seed: 99 },
          );
          fc.assert(
            fc.property(fc.integer({ min: 0, max: valid.length }), fc.uint8Array({ maxLength: 200 }), (keep, tail) => {
              const b = new Uint8Array(keep + tail.length);
              b.set(valid.subarray(0, keep));
              b.set(tail, keep);
              if (sameBits(b, valid)) return;
              try {
                coder.decode(b);
              } catch (e) {
                assertCode(e, ErrorCodes.DECODE, `valid prefix of ${keep} bytes + ${tail.length} random`);
                return;
              }
              throw new Error(`a valid prefix of ${keep} bytes + ${tail.length} random bytes decoded without error.`);
            }),
            { numRuns: numRuns * 3, seed: 100 },
          );
          if (trailing) {
            // Corruption that slips past the checksum must still be caught by validation or give
            // a well-formed tensor: never a RangeError, a hang or an impossible tensor.
            const big = coder.encode(coderCases(maxAlphabet).find((c) => c.label === "sparse, 16 codes")!.tensor, affine("a16", 16));
            fc.assert(
              fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
                const b = big.slice();
                for (const [at, x] of edits) b[at % (b.length - 4)]! ^= x;
                fixCrc(b);
                let t: QuantizedTensor;
                try {
                  t = coder.decode(b);
                } catch (e) {
                  assertCode(e, ErrorCodes.DECODE, "checksum-fixed corruption");
                  return;
                }
                assertWellFormed(t);
              }),
              { numRuns: numRuns * 5, seed: 101 },
            );
          }
        });

        test("container", "round trip through the .qf container; a corrupted stream inside it is a DecodeError", async () => {
          const coder = make();
          const cases = coderCases(maxAlphabet).filter((c) => /sparse, 16|per-channel \(axis 1\)|per-group|scalar|empty tensor \[0\]|dense, 5 codes/.test(c.label));
          const codebooks: Codebook[] = [];
          const seen = new Set<string>();
          for (const c of cases)
            if (!seen.has(c.codebook.id)) {
              seen.add(c.codebook.id);
              codebooks.push(c.codebook);
            }
          const model: QuantizedModel = {
            codebooks,
            tensors: cases.map((c) => c.tensor),
            passthrough: [{ name: "bias", shape: [3], data: Float32Array.from([0.5, -1, 2]) }],
          };
          // Version 2 (the default) stores nameless streams (the container holds names and
          // codebook ids); version 1 stores each stream as the coder wrote it.
          for (const version of [2, 1] as const) {
            const enc = encodeContainer(model, coder, { test: true }, { version });
            const back = decodeContainer(enc.bytes, (id) => {
              if (id !== coder.id) throw new Error(`container asks for coder "${id}".`);
              return make();
            });
            if (back.coderId !== coder.id) throw new Error(`container coder id "${back.coderId}".`);
            model.tensors.forEach((t, i) => assertSameQuantizedTensor(t, back.model.tensors[i]!));
            const cbBytes = (cb: Codebook) => {
              const w = new ByteWriter();
              writeCodebook(w, cb);
              return w.finish();
            };
            codebooks.forEach((cb, i) => {
              if (!sameBits(cbBytes(cb), cbBytes(back.model.codebooks[i]!))) throw new Error(`codebook "${cb.id}" changed in the container.`);
            });
            // Corrupt the first tensor's stream inside the container and fix the container's CRC,
            // so only the coder's own checks can catch it.
            const t0 = model.tensors[0]!,
              cb0 = codebooks.find((cb) => cb.id === t0.codebook)!;
            const stream = version === 2 ? coder.encode({ ...t0, name: "", codebook: "" }, { ...cb0, id: "" }) : coder.encode(t0, cb0);
            const at = indexOf(enc.bytes, stream);
            if (at < 0) throw new Error("the tensor stream is not stored verbatim in the container.");
            for (const off of [0, versionOffset, Math.floor(stream.length / 2), stream.length - 1]) {
              const b = enc.bytes.slice();
              b[at + off]! ^= 0x10;
              fixCrc(b);
              const e = await caught(() => decodeContainer(b, () => make()), `version-${version} container with byte ${off} of a stream corrupted`);
              assertCode(e, ErrorCodes.DECODE, `version-${version} container with byte ${off} of a stream corrupted`);
            }
            for (const k of [enc.bytes.length - 1, Math.floor(enc.bytes.length / 2), 5]) {
              const e = await caught(() => decodeContainer(enc.bytes.slice(0, k), () => make()), `version-${version} container truncated to ${k} bytes`);
              assertCode(e, ErrorCodes.DECODE, `version-${version} container truncated to ${k} bytes`);
            }
          }
          // Version 3 (the default for coders with group coding): one byte string per codebook,
          // covered by the container's CRC only. Corrupted bytes with the CRC fixed must decode
          // to something or fail with a DecodeError — never another error, never a hang.
          if (coder.group) {
            const enc = encodeContainer(model, coder, { test: true });
            if (enc.bytes[4] !== 3) throw new Error(`a coder with group coding wrote container version ${enc.bytes[4]}, not 3.`);
            const back = decodeContainer(enc.bytes, () => make());
            model.tensors.forEach((t, i) => assertSameQuantizedTensor(t, back.model.tensors[i]!));
            for (let off = 8; off < enc.bytes.length - 4; off += Math.max(1, Math.floor(enc.bytes.length / 97))) {
              const b = enc.bytes.slice();
              b[off]! ^= 0x24;
              const e = await caught(() => decodeContainer(b, () => make()), `version-3 container with byte ${off} flipped`);
              assertCode(e, ErrorCodes.DECODE, `version-3 container with byte ${off} flipped`);
              fixCrc(b);
              try {
                decodeContainer(b, () => make());
              } catch (err) {
                assertCode(err, ErrorCodes.DECODE, `version-3 container with byte ${off} flipped and its CRC fixed`);
              }
            }
            for (const k of [enc.bytes.length - 1, Math.floor(enc.bytes.length / 2), 5]) {
              const e = await caught(() => decodeContainer(enc.bytes.slice(0, k), () => make()), `version-3 container truncated to ${k} bytes`);
              assertCode(e, ErrorCodes.DECODE, `version-3 container truncated to ${k} bytes`);
            }
          }
        });
      });
    }
  });
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
