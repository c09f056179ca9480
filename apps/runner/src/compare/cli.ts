import { isAbsolute, resolve, dirname } from "node:path";
import { AbortedError, QuantforgeError, ErrorCodes, NothingToQuantizeError, type ErrorCode } from "@quantforge/core";
import { resultsText } from "./display.js";
import { isReferenceModelId } from "@quantforge/model-tfjs";
import { UsageError } from "../errors.js";
import { parseBudgetSeconds } from "../options.js";
import { parseInputShapes, parseSeed } from "../options.js";
import { printJson } from "../output.js";
import type { Runtime } from "../runtime.js";
import { isPluginPath, loadCompareConfig, resolveCompareConfig, validateCompareConfig, type CompareConfigInput, type ResolvedCompareConfig } from "./config.js";
import { createCompareDisplay, type CompareDisplay } from "./display.js";
import { OUTPUT_FILES, writeCompareOutputs } from "./outputs.js";
import { runCompare } from "./run-compare.js";
import { verifyResults } from "./verify.js";

/**
 * Codes whose core errors exit 1 (a failure of the run, not of its input: `InternalError`,
 * `TimeoutError`, `AbortedError`, `InvalidQuantizedError`); a cell's recorded error keeps only its
 * code, so an all-failed compare exits as that error would have.
 */
const RUNTIME_FAILURES: ReadonlySet<string> = new Set([ErrorCodes.INTERNAL, ErrorCodes.TIMEOUT, ErrorCodes.ABORTED, ErrorCodes.INVALID_QUANTIZED]);

/** Flags of `quantforge compare` (undefined = not given on the command line). */
export interface CompareFlags {
  model?: string;
  data?: string;
  inputShape?: string[];
  inputRange?: string[];
  weights?: string;
  quantizers?: string[];
  bits?: string;
  coders?: string[];
  evaluators?: string[];
  seed?: string;
  timeout?: string;
  jobs?: string;
  out?: string;
  json?: boolean;
  config?: string;
  include?: string[];
  exclude?: string[];
  allTensors?: boolean;
  allowEmpty?: boolean;
  verify?: string;
  quiet?: boolean;
  budgetSeconds?: string;
  queue?: string;
  queueName?: string;
  resume?: boolean;
}

function parseJobs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > 64) throw new UsageError(`--jobs "${raw}" is not an integer in 1…64. Pass the number of worker threads.`);
  return n;
}

function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw.trim()) || !(n > 0)) throw new UsageError(`--timeout "${raw}" is not a positive number of seconds. Pass e.g. --timeout 120.`);
  return n;
}

// Lives in options.ts (run imports it without loading compare's report/yaml modules).
export { parseBudgetSeconds } from "../options.js";

/** Gives every `auto` entry without its own `budgetSeconds` the one from `--budget-seconds`. */
function withBudget(c: ResolvedCompareConfig, seconds: number | undefined): ResolvedCompareConfig {
  if (seconds === undefined) return c;
  if (!c.quantizers.some((q) => q.id === "auto")) throw new UsageError("--budget-seconds sets the time budget of the auto quantizer, and none of --quantizers is auto. Drop it or add auto.");
  return { ...c, quantizers: c.quantizers.map((q) => (q.id === "auto" && !("budgetSeconds" in q.options) && !q.sweep?.budgetSeconds ? { ...q, options: { ...q.options, budgetSeconds: seconds } } : q)) };
}

/** Makes the file-relative paths of a config file absolute (flags stay relative to the working directory). */
function absolutize(c: CompareConfigInput, dir: string): CompareConfigInput {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(dir, p));
  return {
    ...c,
    ...(c.model !== undefined ? { model: isReferenceModelId(c.model) ? c.model : abs(c.model) } : {}),
    ...(c.weights !== undefined ? { weights: abs(c.weights) } : {}),
    ...(c.data !== undefined && c.data !== "embedded" ? { data: abs(c.data) } : {}),
    ...(c.out !== undefined ? { out: abs(c.out) } : {}),
    ...(c.plugins !== undefined ? { plugins: c.plugins.map((p) => (isPluginPath(p) && !p.startsWith("file:") ? abs(p)! : p)) } : {}),
  };
}

/**
 * Loads the config's `plugins` (package names resolve from the config file's directory) and
 * returns the config with every loaded plugin — these, `--plugin` and `--discover` ones — as
 * reloadable specs (package names, absolute paths), so `manifest.config` and `--verify` know them.
 */
async function withPlugins(rt: Runtime, resolved: ResolvedCompareConfig, configFile: string | undefined): Promise<ResolvedCompareConfig> {
  await rt.loadPlugins([{ specs: resolved.plugins ?? [], baseDir: configFile ? dirname(resolve(configFile)) : rt.cwd, via: "config" }]);
  if (rt.pluginSources.length === 0) return resolved;
  return { ...resolved, plugins: rt.pluginSources.map((s) => (isPluginPath(s.spec) ? s.path : s.source)) };
}

/** The configuration from `--config` overlaid with the flags given on the command line. */
async function configFrom(flags: CompareFlags) {
  const file = flags.config ? absolutize(await loadCompareConfig(flags.config), dirname(resolve(flags.config))) : undefined;
  const fromFlags: Partial<CompareConfigInput> = {
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(flags.data !== undefined ? { data: flags.data } : {}),
    ...(flags.inputShape?.length ? { inputShapes: Object.fromEntries(parseInputShapes(flags.inputShape)) } : {}),
    ...(flags.inputRange?.length ? { inputRanges: flags.inputRange } : {}),
    ...(flags.weights !== undefined ? { weights: flags.weights } : {}),
    ...(flags.quantizers?.length ? { quantizers: flags.quantizers } : {}),
    ...(flags.bits !== undefined ? { bits: flags.bits } : {}),
    ...(flags.coders?.length ? { coders: flags.coders } : {}),
    ...(flags.evaluators?.length ? { evaluators: flags.evaluators } : {}),
    ...(flags.seed !== undefined ? { seed: parseSeed(flags.seed) } : {}),
    ...(flags.timeout !== undefined ? { timeout: parseTimeout(flags.timeout)! } : {}),
    ...(flags.jobs !== undefined ? { jobs: parseJobs(flags.jobs)! } : {}),
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    ...(flags.include?.length ? { include: flags.include } : {}),
    ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
    ...(flags.allTensors ? { allTensors: true } : {}),
    ...(flags.allowEmpty ? { allowEmpty: true } : {}),
  };
  // A flag naming the input replaces the file's input entirely.
  const base: CompareConfigInput = file ? { ...file } : { quantizers: [] };
  if (fromFlags.model !== undefined || fromFlags.weights !== undefined) {
    delete base.model;
    delete base.weights;
    delete base.data;
    delete base.inputShapes;
    delete base.inputRanges;
  }
  const source = flags.config ? `config "${flags.config}" with the command-line flags` : "the command line";
  if (!file && !flags.quantizers?.length) throw new UsageError("--quantizers is missing. Give e.g. --quantizers rtn,uniform-mse --bits 2,4,8 (or --config file.yaml).");
  const merged = validateCompareConfig({ ...base, ...fromFlags }, source);
  return { merged, resolved: withBudget(resolveCompareConfig(merged, process.cwd(), source), parseBudgetSeconds(flags.budgetSeconds)) };
}

/**
 * Runs `fn` with an AbortSignal that the first Ctrl-C (SIGINT) or SIGTERM aborts, so the finished
 * cells are written before the process exits; a second signal exits at once (130 / 143).
 */
async function withInterrupt<T>(display: CompareDisplay, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const on = (signal: "SIGINT" | "SIGTERM") => () => {
    if (ac.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    display.note(`interrupted${signal === "SIGTERM" ? " (SIGTERM)" : ""}: stopping; finished cells are kept (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to quit at once)`);
    ac.abort(new AbortedError());
  };
  const onSigint = on("SIGINT"),
    onSigterm = on("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  try {
    return await fn(ac.signal);
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}

/** `compare --verify <results.json>`: re-run and report differences; exit 1 when any. */
async function verifyCommand(rt: Runtime, flags: CompareFlags): Promise<void> {
  const given = (["model", "weights", "quantizers", "bits", "coders", "evaluators", "seed", "config", "timeout", "include", "exclude", "budgetSeconds", "queue", "queueName", "resume"] as const).filter(
    (k) => flags[k] !== undefined && !(Array.isArray(flags[k]) && flags[k].length === 0),
  );
  if (given.length > 0) throw new UsageError(`--verify re-runs exactly what the results.json manifest says; drop --${given[0]} (only --jobs, --out, --json and --quiet go with --verify).`);
  const jobs = parseJobs(flags.jobs) ?? 1;
  const display = createCompareDisplay(rt, { quiet: flags.quiet });
  let report;
  try {
    report = await withInterrupt(display, (signal) => verifyResults(rt, flags.verify!, { jobs, signal, display }));
  } finally {
    display.finish();
  }
  if (flags.out) await writeCompareOutputs(flags.out, report.rerun);
  for (const n of report.notes) rt.err(`note: ${n}\n`);
  if (flags.json) printJson(rt, { file: report.file, checked: report.checked, identical: report.differences.length === 0, differences: report.differences, notes: report.notes, plugins: report.plugins });
  else if (report.differences.length === 0) rt.out(`verify ${report.file}: ${report.checked} cells re-run, codes and metrics identical; inputs unchanged\n`);
  else {
    rt.out(`verify ${report.file}: ${report.differences.length} difference(s) in ${report.checked} cells checked\n`);
    const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    for (const d of report.differences) rt.out(`  ${d.what}: ${d.field}: stored ${show(d.stored)}, re-run ${show(d.rerun)}\n`);
  }
  if (report.differences.length > 0) {
    throw new QuantforgeError(ErrorCodes.VERIFY_MISMATCH, `verify found ${report.differences.length} difference(s) between "${report.file}" and a re-run (listed above). The results are not reproducible as stored.`, { exitCode: 1 });
  }
}

/**
 * `quantforge compare`: builds the configuration (`--config` + flags), runs every cell with live
 * progress on stderr, writes `results.json`, `results.csv`, `report.md` and `report.html` into
 * `--out`, and prints a table (or, with `--json`, only the results document) on stdout. Ctrl-C
 * writes the finished cells and exits with `QF_ABORTED`.
 */
export async function compareCommand(rt: Runtime, flags: CompareFlags): Promise<void> {
  if (flags.verify !== undefined) return verifyCommand(rt, flags);
  const { merged, resolved: fromConfig } = await configFrom(flags);
  const resolved = await withPlugins(rt, fromConfig, flags.config);
  const out = merged.out;
  if (out === undefined) throw new UsageError("--out is missing. Give the output directory: --out <dir> (or out: in the config file).");
  // --queue/--resume: BullMQ and the resume logic load only when asked for.
  const queued = flags.queue !== undefined || flags.queueName !== undefined || flags.resume ? await (await import("../queue/compare-options.js")).queueCompareSetup(rt, flags, out) : undefined;
  const display = createCompareDisplay(rt, { quiet: flags.quiet });
  let doc;
  try {
    doc = await withInterrupt(display, (signal) => runCompare(rt, resolved, { jobs: merged.jobs ?? 1, signal, display: queued?.display(display) ?? display, ...queued?.options }));
  } finally {
    display.finish();
    const note = queued?.note();
    if (note) rt.err(`note: ${note}\n`);
  }
  // Every cell stopped because nothing was selected: one input error (exit 2), not a table of failures.
  const empty = doc.cells.length > 0 && doc.cells.every((c) => c.status === "failed" && c.error?.code === ErrorCodes.NOTHING_TO_QUANTIZE);
  if (empty) throw new NothingToQuantizeError(doc.cells[0]!.error!.message);
  const written = await writeCompareOutputs(out, doc);
  if (flags.json) printJson(rt, doc);
  else {
    rt.out(resultsText(doc, rt.columns));
    rt.out(`wrote ${written.join(", ")}\n`);
  }
  if (doc.interrupted) {
    throw new QuantforgeError(ErrorCodes.ABORTED, `interrupted: ${doc.totals.finished} of ${doc.totals.planned} cells finished; ${OUTPUT_FILES.join(", ")} in "${out}" hold them. Run again to finish.`, { exitCode: 1 });
  }
  // Nothing compared is no success: with every cell failed, exit with the first cell's error
  // (the files, written above, hold each cell's). Some cells failing is a result, as before.
  const first = doc.cells[0]?.error;
  if (first && doc.cells.every((c) => c.status === "failed")) {
    const exitCode = RUNTIME_FAILURES.has(first.code) ? 1 : 2;
    const which = doc.cells.length === 1 ? "the one cell failed" : `every one of the ${doc.cells.length} cells failed`;
    throw new QuantforgeError(first.code as ErrorCode, `${which} (${OUTPUT_FILES.join(", ")} in "${out}" hold each error); the first: ${first.message}`, { exitCode });
  }
}
