import type { ByteReader, ByteWriter } from "./bytes.js";
import { checkedShapeSize, DECODED_BYTES_PER_ELEMENT } from "./budget.js";
import { DecodeError } from "./errors.js";
import type { LayerKind, TensorRole } from "./tensor.js";

// The tensor tags and the decode-budget check every container version shares (one copy: they
// were written out in container.ts, container-v2.ts and container-stream.ts).

/** Tensor roles by their stored index (0: none). */
const ROLES: readonly (TensorRole | undefined)[] = [undefined, "weight", "bias", "other"];
/** Layer kinds by their stored index (0: none). */
const KINDS: readonly (LayerKind | undefined)[] = [undefined, "dense", "conv2d", "other"];

/** Version 1's tags of a tensor: u8 role, str layer, u8 layer kind. */
export function writeTagsV1(w: ByteWriter, t: { role?: TensorRole; layer?: string; layerKind?: LayerKind }): void {
  w.u8(ROLES.indexOf(t.role))
    .str(t.layer ?? "")
    .u8(KINDS.indexOf(t.layerKind));
}

/** The inverse of {@link writeTagsV1}. */
export function readTagsV1(r: ByteReader): { role?: TensorRole; layer?: string; layerKind?: LayerKind } {
  const role = ROLES[r.u8()];
  const layer = r.str();
  const layerKind = KINDS[r.u8()];
  return { ...(role ? { role } : {}), ...(layer ? { layer } : {}), ...(layerKind ? { layerKind } : {}) };
}

/** Role and layer kind in one byte (role | kind << 2): versions 2 and 3. */
export function tagsByte(t: { role?: TensorRole; layerKind?: LayerKind }): number {
  return ROLES.indexOf(t.role) | (KINDS.indexOf(t.layerKind) << 2);
}

/** The inverse of {@link tagsByte}; an unknown value is a {@link DecodeError}. */
export function readTags(b: number): { role?: TensorRole; layerKind?: LayerKind } {
  if (b > 15) throw new DecodeError(`container has unknown tensor tags ${b}. The file is corrupted.`);
  const role = ROLES[b & 3],
    layerKind = KINDS[b >> 2];
  return { ...(role ? { role } : {}), ...(layerKind ? { layerKind } : {}) };
}

/** Checks a tensor's element count against the decode budget before anything is allocated. */
export function elementsWithin(shape: readonly number[], what: string, budget: number): number {
  const n = checkedShapeSize(shape, what);
  if (n > budget)
    throw new DecodeError(`${what} needs ${n} elements (${n * DECODED_BYTES_PER_ELEMENT} bytes decoded) but the decode budget has ${budget} left. The file is corrupted or a size bomb; raise --max-memory only if you trust it.`);
  return n;
}
