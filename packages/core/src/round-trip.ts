import { InvalidQuantizedError } from "./errors.js";
import type { Coder, GroupCoder } from "./plugin.js";
import type { CodeArray, QuantizedModel, QuantizedTensor } from "./quantized.js";

/** True when two code arrays hold the same values (one tight loop; the same array is equal). */
function sameCodes(x: CodeArray | undefined, y: CodeArray | undefined): boolean {
  if (x === y) return true;
  if (!x || !y || x.length !== y.length) return false;
  const n = x.length;
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * True when two quantized tensors carry the same codes and the same sparse positions: the
 * round-trip check after decoding (the pipeline's and `quantize`'s).
 */
export function sameTensorCodes(a: QuantizedTensor, b: QuantizedTensor): boolean {
  return sameCodes(a.codes, b.codes) && sameCodes(a.sparse?.positions, b.sparse?.positions);
}

/** The error of a coder whose decoded codes differ from the coded ones (the pipeline's and the streaming pipeline's). */
export function roundTripError(coderId: string, tensor: string): InvalidQuantizedError {
  return new InvalidQuantizedError(`coder "${coderId}" did not round-trip tensor "${tensor}" bit-exactly. The coder is broken.`);
}

/** Checks that decoding reproduced exactly the codes that were coded. */
export function assertSameCodes(a: QuantizedModel, b: QuantizedModel, coderId: string): void {
  for (let i = 0; i < a.tensors.length; i++) {
    const t = a.tensors[i]!,
      u = b.tensors[i];
    if (!u || u.name !== t.name || !sameTensorCodes(t, u)) throw roundTripError(coderId, t.name);
  }
}

/** Ranges from this many bytes are compared by the platform's memcmp when there is one. */
const NATIVE_MIN_BYTES = 1 << 20;

let native: ((a: Uint8Array, b: Uint8Array) => boolean) | null | undefined;

/**
 * Node's `Buffer#equals` (a memcmp) over views of the same bytes, feature-detected as core's
 * crc32 finds zlib (no import: core still loads in a browser, where the word loop below is the
 * comparison). The pipeline's round trip compares every coded stream with the bytes the
 * container hands back: 50 MB took ~60 ms in the loop below and ~5 ms this way (issue 18).
 */
function nativeEquals(): ((a: Uint8Array, b: Uint8Array) => boolean) | null {
  if (native !== undefined) return native;
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const B = (p?.getBuiltinModule?.("node:buffer") as { Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): { equals(o: Uint8Array): boolean } } } | undefined)?.Buffer;
  native = B ? (a, b) => B.from(a.buffer, a.byteOffset, a.length).equals(b) : null;
  return native;
}

/** Host byte order, so DataView words read like Int32Array words. */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * True when two byte arrays are equal, 8 bytes per step: words of the aligned one (if either is)
 * against DataView words (host order) of the other. A container hands groups back at odd
 * offsets, where a byte loop cost 3× as much (50 MB: 82 ms vs 24 ms on Node 20).
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // The same memory (a container read from its parts hands back the streams it holds).
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  const native = a.length >= NATIVE_MIN_BYTES ? nativeEquals() : null;
  if (native) return native(a, b);
  if ((a.byteOffset & 3) !== 0 && (b.byteOffset & 3) === 0) return sameBytes(b, a);
  const n = a.length,
    words = n >>> 2;
  const vb = new DataView(b.buffer, b.byteOffset, n);
  let diff = 0,
    k = 0;
  if ((a.byteOffset & 3) === 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    for (; k + 1 < words; k += 2) diff |= (wa[k]! ^ vb.getInt32(k << 2, HOST_LE)) | (wa[k + 1]! ^ vb.getInt32((k << 2) + 4, HOST_LE));
  } else {
    const va = new DataView(a.buffer, a.byteOffset, n);
    for (; k + 1 < words; k += 2) diff |= (va.getInt32(k << 2, true) ^ vb.getInt32(k << 2, true)) | (va.getInt32((k << 2) + 4, true) ^ vb.getInt32((k << 2) + 4, true));
  }
  for (let i = k << 2; i < n; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Byte strings a coder wrote, by length, each with what it was written from; `take` finds and
 * removes the entry whose bytes equal `bytes`. Containers decode in the order they wrote, so the
 * first candidate matches and the search stays linear in the number of streams.
 */
class Written<T> {
  private readonly byLength = new Map<number, { bytes: Uint8Array; from: T }[]>();
  add(bytes: Uint8Array, from: T): void {
    const list = this.byLength.get(bytes.length);
    if (list) list.push({ bytes, from });
    else this.byLength.set(bytes.length, [{ bytes, from }]);
  }
  take(bytes: Uint8Array): T | undefined {
    const list = this.byLength.get(bytes.length);
    if (!list) return undefined;
    const k = list.length > 0 && sameBytes(list[0]!.bytes, bytes) ? 0 : list.findIndex((w) => sameBytes(w.bytes, bytes));
    return k < 0 ? undefined : list.splice(k, 1)[0]!.from;
  }
}

/** The group coder of {@link roundTripCoder}: matched groups are decoded knowing their tensors. */
function roundTripGroup(group: GroupCoder): GroupCoder {
  const decodeEncodedGroup = group.decodeEncodedGroup?.bind(group);
  if (!decodeEncodedGroup) return group;
  const written = new Written<readonly QuantizedTensor[]>();
  return {
    encodeGroup(tensors, cb) {
      const g = group.encodeGroup(tensors, cb);
      written.add(g.bytes, tensors);
      return g;
    },
    decodeGroup(bytes, count, cb, limits) {
      const known = written.take(bytes);
      return known && known.length === count ? decodeEncodedGroup(bytes, count, cb, known, limits) : group.decodeGroup(bytes, count, cb, limits);
    },
  };
}

/**
 * The coder for the pipeline's encode → decode round trip. With `decodeEncoded` (and a group
 * coder's `decodeEncodedGroup`), each stream or group the container hands back is matched byte
 * for byte against one the coder wrote, and the coder decodes it knowing the tensors it came
 * from (no second full decode of the codes), with the histogram of its codes when `histograms`
 * (core's AheadFacts, by codes array) has it; bytes that match none are decoded in full. Without
 * them, the coder itself.
 */
export function roundTripCoder(coder: Coder, histograms?: ReadonlyMap<CodeArray, Float64Array>): Coder {
  const decodeEncoded = coder.decodeEncoded?.bind(coder);
  const group = coder.group ? roundTripGroup(coder.group) : undefined;
  if (!decodeEncoded) return group === coder.group ? coder : { ...coderFunctions(coder), ...(group ? { group } : {}) };
  const written = new Written<QuantizedTensor>();
  return {
    id: coder.id,
    ...(group ? { group } : {}),
    encode(t, cb, facts) {
      const stream = coder.encode(t, cb, facts);
      written.add(stream, t);
      return stream;
    },
    decode(bytes, limits) {
      const tensor = written.take(bytes);
      if (!tensor) return coder.decode(bytes, limits);
      const histogram = histograms?.get(tensor.codes);
      return decodeEncoded(bytes, tensor, limits, histogram ? { histogram } : undefined);
    },
  };
}

/** `coder`'s id, encode and decode, bound (a coder may be a class instance). */
function coderFunctions(coder: Coder): Coder {
  return { id: coder.id, encode: (t, cb, f) => coder.encode(t, cb, f), decode: (b, l) => coder.decode(b, l) };
}
