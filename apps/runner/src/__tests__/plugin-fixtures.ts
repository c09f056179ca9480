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
