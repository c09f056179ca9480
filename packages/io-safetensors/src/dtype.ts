/**
 * Every dtype the safetensors format defines, with its size in bits. Taken from the reference
 * implementation (huggingface/safetensors `Dtype`), so an unknown string can be told apart from
 * a real dtype that quantforge merely does not read.
 */
const ALL_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
};

/** The float dtypes this package reads. F64 is narrowed to float32 (see {@link readTensor}). */
export type SafetensorsDtype = "F32" | "F16" | "BF16" | "F64";

/** Bytes per element of each readable dtype. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** The readable dtypes, in the order error messages list them. */
export const READABLE_DTYPES: readonly SafetensorsDtype[] = ["F32", "F16", "BF16", "F64"];

/** True when `s` is a dtype this package reads. */
export function isReadableDtype(s: string): s is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BYTES, s);
}

/** True when `s` is any dtype the safetensors format defines (readable or not). */
export function isKnownDtype(s: string): boolean {
  return Object.prototype.hasOwnProperty.call(ALL_DTYPE_BITS, s);
}

/** Names of every dtype the format defines, for error messages. */
export function knownDtypes(): string[] {
  return Object.keys(ALL_DTYPE_BITS);
}
