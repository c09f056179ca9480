import { dirname } from "node:path";
import { ErrorCodes, FormatError, IoError, QuantforgeError, printable } from "@quantforge/core";
import type { CompareCell } from "@quantforge/core/host";
import { readRegularFile } from "@quantforge/core/node";
import { COMPARE_FORMAT, type CompareDocument } from "@quantforge/report";
import type { Runtime } from "../runtime.js";
import { isPluginPath, resolveCompareConfig, validateCompareConfig } from "./config.js";
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
  /** The plugins the stored results were made with (`kind id version`), all loaded now. */
  readonly plugins: readonly string[];
  /** Version changes (quantforge, Node, plugins): not differences, but the likely reason for one. */
  readonly notes: readonly string[];
  /** The re-run's document (write it with `--out`). */
  readonly rerun: CompareDocument;
}

/** Largest results.json read (256 MiB): a regular file, never a FIFO or device. */
const MAX_RESULTS_BYTES = 256 * 1024 * 1024;

/** Reads and checks the header of a stored `results.json`. */
export async function readResults(path: string): Promise<CompareDocument> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { what: "results file", maxBytes: MAX_RESULTS_BYTES });
  } catch (e) {
    throw new IoError(`cannot read "${printable(path)}": ${(e as Error).message} Pass the results.json a compare run wrote.`, e);
  }
  let doc: CompareDocument;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes)) as CompareDocument;
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
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== "seconds");
    return keys.flatMap((k) => diffJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k));
  }
  return [{ field: path || "(value)", stored: a, rerun: b }];
}

/**
 * The plugins a results file was made with, checked against the ones loaded now. Data never runs
 * code: the plugin paths and package names in a results file's manifest are never imported; the
 * user names the plugins to use on the command line (`--plugin`), and a plugin the results need
 * but that is not loaded is `QF_PLUGIN_MISSING`.
 *
 * @returns The plugins of the stored run, one `kind id version` string each.
 */
export function checkStoredPlugins(rt: Pick<Runtime, "registry">, stored: CompareDocument, path: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- `as unknown` stops Array.isArray from narrowing a readonly T[] to any[]
  const list = Array.isArray(stored.manifest.plugins as unknown) ? stored.manifest.plugins : [];
  const missing: string[] = [];
  for (const p of list) {
    const kind = String(p?.kind),
      id = String(p?.id);
    if (kind !== "quantizer" && kind !== "coder" && kind !== "evaluator") continue;
    if (!rt.registry.list(kind).some((q) => q.id === id)) missing.push(`${printable(kind)} "${printable(id)}"`);
  }
  const specs = Array.isArray(stored.manifest.config?.plugins) ? stored.manifest.config.plugins.map((s) => `"${printable(String(s))}"`) : [];
  if (missing.length > 0) {
    throw new QuantforgeError(
      ErrorCodes.PLUGIN_MISSING,
      `"${printable(path)}" was made with ${missing.join(", ")}, which ${missing.length === 1 ? "is" : "are"} not loaded. --verify never loads plugins named in a results file (that would run code from data); load them yourself with --plugin <package or path>${specs.length ? ` (the results name ${specs.join(", ")})` : ""} if you trust them.`,
    );
  }
  return list.map((p) => `${printable(String(p?.kind))} ${printable(String(p?.id))} ${printable(String(p?.version))}`);
}

/**
 * `compare --verify`: re-runs the comparison stored in `path`'s manifest (same config and seed)
 * and lists every cell whose coded bytes (SHA-256 of the container), status, error or metrics
 * differ, plus every input file whose SHA-256 changed. Cells the stored run did not finish
 * (interrupted) are not compared. Only the plugins the user loaded run (see
 * {@link checkStoredPlugins}).
 */
export async function verifyResults(rt: Runtime, path: string, o: CompareRunOptions): Promise<VerifyReport> {
  const stored = await readResults(path);
  const source = `"${path}" manifest.config`;
  const fromFile = resolveCompareConfig(validateCompareConfig(stored.manifest.config, source), dirname(path), source);
  const plugins = checkStoredPlugins(rt, stored, path);
  // The manifest's `plugins` list is dropped: the re-run uses the plugins the user loaded.
  const { plugins: _ignored, ...rest } = fromFile;
  const config = rt.pluginSources.length > 0 ? { ...rest, plugins: rt.pluginSources.map((s) => (isPluginPath(s.spec) ? s.path : s.source)) } : rest;
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
  return { file: path, checked, differences, notes, plugins, rerun };
}
