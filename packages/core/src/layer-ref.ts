import { DecodeError } from "./errors.js";
import { printable } from "./printable.js";

/**
 * Layer references of container versions 2 and 3. Tensor names are paths and a tensor's layer
 * is nearly always its name's parent ("dense_1" of "dense_1/kernel"); with the shared-tables
 * header flag (codebook-table.ts) such a layer is one code, not a string in the table.
 *
 *   without the flag: 0 none, [v3 tensors: 1 the previous tensor's], else string index + base
 *   with the flag:    0 none, [v3 tensors: 1 the previous tensor's], next the name's parent,
 *                     else string index + base (one more than without)
 */

/** The name up to its last "/", or undefined when it has none (or nothing before it). */
export function parentOf(name: string): string | undefined {
  const i = name.lastIndexOf("/");
  return i > 0 ? name.slice(0, i) : undefined;
}

/** How one section codes layers: `previous` adds the v3 "previous tensor's" code, `derived` the parent code. */
export interface LayerCoding {
  readonly previous: boolean;
  readonly derived: boolean;
}

const parentCode = (c: LayerCoding): number => (c.previous ? 2 : 1);
const indexBase = (c: LayerCoding): number => parentCode(c) + (c.derived ? 1 : 0);

/** True when `layer` needs a string-table entry under `c` (it is not `name`'s parent). */
export function layerNeedsString(name: string, layer: string | undefined, c: LayerCoding): boolean {
  return layer !== undefined && layer !== "" && !(c.derived && layer === parentOf(name));
}

/** The code of `layer` for the tensor `name`; `prev` is the previous tensor's layer (v3). */
export function layerCode(name: string, layer: string | undefined, prev: string | undefined, index: ReadonlyMap<string, number>, c: LayerCoding): number {
  if (!layer) return 0;
  if (c.previous && layer === prev) return 1;
  if (c.derived && layer === parentOf(name)) return parentCode(c);
  return index.get(layer)! + indexBase(c);
}

/**
 * Resolves a layer code (see {@link layerCode}); `str` resolves a string index (checked). A
 * "previous" code without a previous layer or a parent code for a name without one is a
 * {@link DecodeError}.
 */
export function resolveLayer(code: number, name: string, prev: string | undefined, str: (i: number, what: string) => string, c: LayerCoding): string | undefined {
  if (code === 0) return undefined;
  if (c.previous && code === 1) {
    if (prev === undefined) throw new DecodeError(`container tensor "${printable(name)}" repeats a layer no tensor before it has. The file is corrupted.`);
    return prev;
  }
  if (c.derived && code === parentCode(c)) {
    const p = parentOf(name);
    if (p === undefined) throw new DecodeError(`container tensor "${printable(name)}" takes its layer from its name, which has no "/". The file is corrupted.`);
    return p;
  }
  return str(code - indexBase(c), "layer");
}
