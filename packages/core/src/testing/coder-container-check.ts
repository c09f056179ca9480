import { ByteWriter } from "../bytes.js";
import type { Codebook } from "../codebook.js";
import { writeCodebook } from "../codebook-io.js";
import { decodeContainer, encodeContainer } from "../container.js";
import { ErrorCodes } from "../errors.js";
import type { Coder } from "../plugin.js";
import type { QuantizedModel } from "../quantized.js";
import { assertSameQuantizedTensor, coderCases, fixCrc, indexOf } from "./coder-cases.js";
import { assertCode, caught, sameBits } from "./suite.js";

/**
 * The coder conformance suite's `container` test: a selection of {@link coderCases} through the
 * `.qf` container (versions 2 and 1, and 3 for coders with group coding), codebooks unchanged,
 * and corrupted or truncated containers a `DecodeError`. `make` creates the coder under test.
 */
export async function checkCoderInContainer(make: () => Coder, maxAlphabet: number, versionOffset: number): Promise<void> {
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
}
