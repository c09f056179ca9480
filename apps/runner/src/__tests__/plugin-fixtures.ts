import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Source of a self-contained plugin module (no imports, so it loads from any temp directory):
 * a quantizer `id` that maps every weight to the nearest of {min, max} of its tensor (a `levels`
 * codebook), written as plain JavaScript exactly as a third-party package would ship it.
 */
export function quantizerModule(id: string, version = "1.0.0", exportExpr = "plugin"): string {
  return `
const plugin = {
  kind: "quantizer", id: ${JSON.stringify(id)}, version: ${JSON.stringify(version)}, description: "two-level fixture quantizer",
  optionsSchema: undefined,
  parseOptions(raw) { return raw ?? {}; },
  create() {
    return {
      id: ${JSON.stringify(id)}, perTensor: true,
      quantize(weights) {
        const codebooks = [], tensors = [];
        for (const t of weights) {
          let lo = Infinity, hi = -Infinity;
          for (const v of t.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
          const levels = Float32Array.of(lo, hi);
          const codes = new Uint32Array(t.data.length);
          for (let i = 0; i < codes.length; i++) codes[i] = t.data[i] - lo <= hi - t.data[i] ? 0 : 1;
          codebooks.push({ kind: "levels", id: t.name, levels });
          tensors.push({ name: t.name, shape: t.shape, codebook: t.name, grouping: { kind: "tensor" }, codes });
        }
        return { codebooks, tensors };
      },
    };
  },
};
export default ${exportExpr};
`;
}

/**
 * Source of a self-contained quantizer module that declares itself an `auto` candidate (the
 * descriptor's `auto` field, core's `AutoEligibility`): `id` rounds every tensor onto 2^bits
 * evenly spaced levels between its min and max (a `levels` codebook), offered to auto at
 * 2, 4 and 8 bits. Plain JavaScript, as a third-party package would ship it.
 */
export function eligibleQuantizerModule(id: string): string {
  return `
const plugin = {
  kind: "quantizer", id: ${JSON.stringify(id)}, version: "1.0.0", description: "evenly spaced levels between min and max",
  parseOptions(raw) {
    const bits = (raw ?? {}).bits ?? 4;
    if (!Number.isInteger(bits) || bits < 1 || bits > 12) throw Object.assign(new Error("bits must be an integer in 1…12"), { code: "QF_INVALID_OPTIONS" });
    return { bits };
  },
  auto: { order: 5, candidates: [{ options: {}, bits: [2, 4, 8] }] },
  create(options) {
    return {
      id: ${JSON.stringify(id)}, perTensor: true,
      quantize(weights) {
        const codebooks = [], tensors = [];
        for (const t of weights) {
          let lo = Infinity, hi = -Infinity;
          for (const v of t.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
          const n = hi > lo ? 2 ** options.bits : 1;
          const levels = new Float32Array(n);
          for (let k = 0; k < n; k++) levels[k] = n === 1 ? lo : lo + ((hi - lo) * k) / (n - 1);
          const codes = new Uint32Array(t.data.length);
          for (let i = 0; i < codes.length; i++) codes[i] = n === 1 ? 0 : Math.round(((t.data[i] - lo) / (hi - lo)) * (n - 1));
          codebooks.push({ kind: "levels", id: t.name, levels });
          tensors.push({ name: t.name, shape: t.shape, codebook: t.name, grouping: { kind: "tensor" }, codes });
        }
        return { codebooks, tensors };
      },
    };
  },
};
export default plugin;
`;
}

/** Writes `files` (path → content) under `root`, creating directories. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** A package.json for a fixture plugin package. */
export function pluginPackageJson(name: string, o: { version?: string; core?: string; peer?: boolean; exports?: unknown; main?: string } = {}): string {
  const deps = o.core === undefined ? {} : o.peer === false ? { dependencies: { "@quantforge/core": o.core } } : { peerDependencies: { "@quantforge/core": o.core } };
  return JSON.stringify({ name, version: o.version ?? "1.0.0", type: "module", ...(o.main ? { main: o.main } : { exports: o.exports ?? { ".": { types: "./index.d.ts", default: "./index.js" } } }), ...deps });
}
