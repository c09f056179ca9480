import fc from "fast-check";
import { describe } from "vitest";
import { ErrorCodes } from "../errors.js";
import type { Coder, CoderPlugin } from "../plugin.js";
import type { QuantizedTensor } from "../quantized.js";
import type { PluginHost } from "../host.js";
import { assertPluginDescriptor, standaloneHost } from "../registry.js";
import { assertQuantizedTensor, largestCode } from "../validate.js";
import { assertCode, firstDiff, optionSets, optionsLabel, sameBits, testRegistrar, type SkipEntry } from "./suite.js";
import { affine, assertSameQuantizedTensor, assertWellFormed, coderCases, expectDecodeError, fixCrc, quantizedTensorArb, smallCases, type CoderCase } from "./coder-cases.js";
import { checkCoderInContainer } from "./coder-container-check.js";

export { assertSameQuantizedTensor, coderCases, type CoderCase };

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

        test("container", "round trip through the .qf container; a corrupted stream inside it is a DecodeError", () => checkCoderInContainer(make, maxAlphabet, versionOffset));
      });
    }
  });
}
