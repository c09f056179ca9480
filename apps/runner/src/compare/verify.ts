import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { FormatError, IoError, type CompareCell } from "@quantforge/core";
import { COMPARE_FORMAT, type CompareDocument } from "@quantforge/report";
import type { Runtime } from "../runtime.js";
import { resolveCompareConfig, validateCompareConfig } from "./config.js";
import { cellName } from "./display.js";
import { inputFiles } from "./input.js";
import { quantforgeVersion, runCompare, type CompareRunOptions } from "./run-compare.js";

/** One way a re-run differs from the stored results. */
export interface VerifyDifference {
  /** Plan index of the cell, or null for an input file. */
  readonly index: number | null;
  /** The cell (`#3 rtn [bits=4] + fixed`) or input (`input weights /path`). */
  readonly what: string;
  /** Dotted path of the differing value (`codesSha256`, `result.summary.sqnrDb`). */
  readonly field: string;
  readonly stored: unknown;
  readonly rerun: unknown;
}

/** What `compare --verify` found. */
export interface VerifyReport {
  readonly file: string;
  /** Cells compared. */
  readonly checked: number;
  readonly differences: readonly VerifyDifference[];
  /** Version changes (quantforge, Node, plugins): not differences, but the likely reason for one. */
  readonly notes: readonly string[];
  /** The re-run's document (write it with `--out`). */
  readonly rerun: CompareDocument;
}

/** Reads and checks the header of a stored `results.json`. */
export async function readResults(path: string): Promise<CompareDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new IoError(`cannot read "${path}": ${(e as Error).message}. Pass the results.json a compare run wrote.`, e);
  }
  let doc: CompareDocument;
  try {
    doc = JSON.parse(text) as CompareDocument;
  } catch (e) {
    throw new FormatError(`"${path}" is not JSON (${(e as Error).message}). Pass the results.json a compare run wrote.`, e);
  }
  if (doc?.format !== COMPARE_FORMAT || !doc.manifest || !Array.isArray(doc.cells)) {
    throw new FormatError(`"${path}" is not a quantforge compare results.json (no "format": "${COMPARE_FORMAT}" with a manifest and cells).`);
  }
  return doc;
}

/** Leaf-by-leaf differences of two JSON values (`seconds` ignored: timings are not results). */
export function diffJson(a: unknown, b: unknown, path = ""): { field: string; stored: unknown; rerun: unknown }[] {
  if (Object.is(a, b)) return [];
  const isObj = (v: unknown) => typeof v === "object" && v !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].filter((k) => k !== "seconds");
    return keys.flatMap((k) => diffJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k));
  }
  return [{ field: path || "(value)", stored: a, rerun: b }];
}

/**
 * `compare --verify`: re-runs the comparison stored in `path`'s manifest (same config and seed)
 * and lists every cell whose coded bytes (SHA-256 of the container), status, error or metrics
 * differ, plus every input file whose SHA-256 changed. Cells the stored run did not finish
 * (interrupted) are not compared.
 */
export async function verifyResults(rt: Runtime, path: string, o: CompareRunOptions): Promise<VerifyReport> {
  const stored = await readResults(path);
  const source = `"${path}" manifest.config`;
  const config = resolveCompareConfig(validateCompareConfig(stored.manifest.config, source), dirname(path), source);
  // The run's third-party plugins: package names resolve from the working directory.
  if (config.plugins?.length) await rt.loadPlugins([{ specs: config.plugins, baseDir: rt.cwd, via: "config" }]);
  const differences: VerifyDifference[] = [];
  const now = await inputFiles(config);
  for (const f of stored.manifest.inputs ?? []) {
    const g = now.find((x) => x.path === f.path);
    if (!g || g.sha256 !== f.sha256) differences.push({ index: null, what: `input ${f.role} ${f.path}`, field: "sha256", stored: f.sha256, rerun: g?.sha256 ?? null });
  }
  const notes: string[] = [];
  if (stored.manifest.quantforgeVersion !== quantforgeVersion()) notes.push(`quantforge ${stored.manifest.quantforgeVersion} wrote the results; this is ${quantforgeVersion()}`);
  if (stored.manifest.node !== process.version) notes.push(`Node ${stored.manifest.node} wrote the results; this is ${process.version}`);
  const rerun = await runCompare(rt, config, o);
  const current = new Map(rerun.manifest.plugins.map((p) => [`${p.kind}/${p.id}`, p.version]));
  for (const p of stored.manifest.plugins ?? []) {
    const v = current.get(`${p.kind}/${p.id}`);
    if (v !== p.version) notes.push(`${p.kind} ${p.id} was ${p.version}, now ${v ?? "not registered"}`);
  }
  const byIndex = new Map<number, CompareCell>(rerun.cells.map((c) => [c.index!, c]));
  let checked = 0;
  for (const s of stored.cells) {
    const r = byIndex.get(s.index!);
    checked++;
    if (!r) {
      differences.push({ index: s.index ?? null, what: cellName(s), field: "(cell)", stored: s.status, rerun: "did not run" });
      continue;
    }
    for (const d of diffJson(JSON.parse(JSON.stringify(s)), JSON.parse(JSON.stringify(r)))) differences.push({ index: s.index ?? null, what: cellName(s), ...d });
  }
  if (rerun.interrupted) notes.push(`the re-run was interrupted after ${rerun.totals.finished} of ${rerun.totals.planned} cells`);
  return { file: path, checked, differences, notes, rerun };
}
