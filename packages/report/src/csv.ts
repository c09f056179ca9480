import type { CompareDocument } from "./document.js";

/** Quotes a CSV field per RFC 4180 when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const FIXED = ["index", "label", "quantizer", "options", "sweep", "bits", "coder", "coder_options", "status", "error_code", "error_message", "codes_sha256"] as const;

/** The manifest columns every row repeats, so the CSV alone says what produced it. */
const MANIFEST = ["seed", "quantforge_version", "node_version", "plugin_versions", "input_sha256", "config"] as const;

/**
 * `results.csv`: one row per cell. Fixed columns (ids, options as JSON, status, error, the
 * SHA-256 of the coded container), then every overall metric any cell has (in order of first
 * appearance), the σ-normalised SQNR and rate, the cell's seconds, and the manifest (seed,
 * versions, input hashes as `role path=sha256; …`, the resolved config as JSON) on every row.
 */
export function renderCsv(doc: CompareDocument): string {
  const metrics: string[] = [];
  for (const c of doc.cells) for (const k of Object.keys(c.result?.summary ?? {})) if (!metrics.includes(k)) metrics.push(k);
  const head = [...FIXED, ...metrics, "normalized_sqnr_db", "normalized_bits_per_weight", "seconds", ...MANIFEST];
  const m = doc.manifest;
  const manifest = [m.seed, m.quantforgeVersion, m.node, m.plugins.map((p) => `${p.kind}/${p.id}@${p.version}`).join(" "), m.inputs.map((f) => `${f.role} ${f.path}=${f.sha256}`).join("; "), m.config];
  const lines = [head.map(csvField).join(",")];
  doc.cells.forEach((c, i) => {
    const s = (c.result?.summary ?? {}) as Record<string, unknown>;
    lines.push(
      [
        c.index ?? i,
        c.label,
        c.quantizer,
        c.options,
        c.sweep ?? {},
        c.bits,
        c.coder,
        c.coderOptions ?? {},
        c.status,
        c.error?.code,
        c.error?.message,
        c.codesSha256,
        ...metrics.map((k) => s[k]),
        c.normalized?.sqnrDb,
        c.normalized?.bitsPerWeight,
        c.seconds,
        ...manifest,
      ]
        .map(csvField)
        .join(","),
    );
  });
  return `${lines.join("\r\n")}\r\n`;
}
