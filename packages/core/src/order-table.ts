import { ByteReader, ByteWriter } from "./bytes.js";
import { DecodeError } from "./errors.js";
import type { QuantizedModel } from "./quantized.js";

/**
 * The order section of container version 3, and of version 2 with the shared-tables flag
 * (codebook-table.ts): the metadata's `tensorOrder` over `all` = [tensors…, passthrough…] as
 *
 *   varint 0: no `tensorOrder`
 *   varint 1: `tensorOrder` is `all` in container order
 *   varint 2: one varint index into `all` per entry
 *   varint 3 (flag only): the tensors and the passthrough tensors each in container order,
 *             interleaved: one bit per entry, LSB first (1 the next tensor, 0 the next
 *             passthrough tensor), zero-padded to a byte
 *
 * Why kind 3: the runner records the input order, in which each layer's bias (passthrough)
 * follows its weight (quantized); as indices that costs one or two bytes per tensor, as an
 * interleaving one bit.
 */

/** Writes `order` (null: none); `nT` is the number of quantized tensors, `interleave` allows kind 3. */
export function writeOrderSection(w: ByteWriter, order: readonly number[] | null, nT: number, interleave: boolean): void {
  if (!order) {
    w.varint(0);
    return;
  }
  if (order.every((v, i) => v === i)) {
    w.varint(1);
    return;
  }
  let nextT = 0,
    nextP = nT;
  const merged = interleave && order.every((v) => (v < nT ? v === nextT++ : v === nextP++));
  if (!merged) {
    w.varint(2);
    for (const i of order) w.varint(i);
    return;
  }
  w.varint(3);
  const bits = new Uint8Array(Math.ceil(order.length / 8));
  for (const [k, v] of order.entries()) if (v < nT) bits[k >> 3]! |= 1 << (k & 7);
  w.bytes(bits);
}

/**
 * Reads an order section over `names` (the tensors' names, then the passthrough names; `nT`
 * tensors); returns the `tensorOrder` names or null. Anything that is not a permutation is a
 * {@link DecodeError}.
 */
export function readOrderSection(r: ByteReader, names: readonly string[], nT: number, interleave: boolean): string[] | null {
  const kind = r.varint();
  const m = names.length;
  if (kind === 0) return null;
  if (kind === 1) return [...names];
  if (kind === 2) return readPermutation(r, names);
  if (kind !== 3 || !interleave) throw new DecodeError(`container tensor order has unknown kind ${kind}. The file is corrupted.`);
  const bits = r.bytes(Math.ceil(m / 8));
  const out: string[] = [];
  let nextT = 0,
    nextP = nT;
  for (let k = 0; k < m; k++) {
    const isTensor = (bits[k >> 3]! >> (k & 7)) & 1;
    const i = isTensor ? nextT++ : nextP++;
    if (isTensor ? i >= nT : i >= m) throw new DecodeError("container tensor order interleaves more tensors than the container has. The file is corrupted.");
    out.push(names[i]!);
  }
  if (m % 8 !== 0 && bits[bits.length - 1]! >> (m % 8) !== 0) throw new DecodeError("container tensor order has non-zero padding bits. The file is corrupted.");
  return out;
}

/** `names.length` varint indices that must form a permutation; returns the names in that order. */
export function readPermutation(r: ByteReader, names: readonly string[]): string[] {
  const m = names.length;
  const seen = new Uint8Array(m);
  const out: string[] = [];
  for (let k = 0; k < m; k++) {
    const i = r.varint();
    if (i >= m || seen[i]) throw new DecodeError("container tensor order is not a permutation. The file is corrupted.");
    seen[i] = 1;
    out.push(names[i]!);
  }
  return out;
}

/** The metadata's `tensorOrder` as indices into `names`, when it is exactly a permutation of them. */
function orderIndices(order: unknown, names: readonly string[]): number[] | null {
  if (!Array.isArray(order) || order.length !== names.length || order.length === 0) return null;
  const at = new Map(names.map((n, i) => [n, i]));
  if (at.size !== names.length) return null;
  const out: number[] = [];
  for (const n of order) {
    const i = typeof n === "string" ? at.get(n) : undefined;
    if (i === undefined) return null;
    at.delete(n as string);
    out.push(i);
  }
  return out;
}

/** Splits `tensorOrder` out of the metadata when the compact order table can hold it. */
export function compactOrder(qm: QuantizedModel, metadata: Record<string, unknown>): { metadata: Record<string, unknown>; order: number[] | null } {
  return compactOrderOf(
    [...qm.tensors, ...(qm.passthrough ?? [])].map((t) => t.name),
    metadata,
  );
}

/** {@link compactOrder} given the stored names (tensors, then passthrough). */
export function compactOrderOf(names: readonly string[], metadata: Record<string, unknown>): { metadata: Record<string, unknown>; order: number[] | null } {
  const order = orderIndices(metadata.tensorOrder, names);
  if (!order) return { metadata, order: null };
  const { tensorOrder: _, ...rest } = metadata;
  return { metadata: rest, order };
}
