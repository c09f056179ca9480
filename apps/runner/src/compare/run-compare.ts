import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import type { ModelProbe } from "@quantforge/core";
import { compare, planCompare, type CompareCellRunner, type CompareCoder, type CompareEvaluator, type CompareQuantizer } from "@quantforge/core/host";
import { COMPARE_FORMAT, COMPARE_FORMAT_VERSION, cellPoints, rankingOf, type CompareDocument, type InputFile, type PluginVersion } from "@quantforge/report";
import { UsageError } from "../errors.js";
import { disposeModel } from "../model-probe.js";
import { builtinsRebuildable } from "../threads/rebuildable.js";
import type { Runtime } from "../runtime.js";
import { runCellInChild } from "./cell.js";
import type { ResolvedCompareConfig } from "./config.js";
import type { CompareDisplay } from "./display.js";
import { inputFiles, inputTitle, loadCompareInput, selectorOf } from "./input.js";
import { WorkerPool } from "./pool.js";

/** How a comparison is run (none of it changes the results). */
export interface CompareRunOptions {
  /** 1: cells run one after another on this thread; n > 1: n worker threads. */
  readonly jobs: number;
  /** Ctrl-C: stops the run, keeping finished cells. */
  readonly signal?: AbortSignal;
  readonly display?: CompareDisplay;
  /** Runs the cells elsewhere (`compare --queue`) instead of on this thread or its worker threads. */
  readonly remote?: RemoteCells;
  /** Wraps whichever cell runner is used (`--resume` answers finished cells from stored results). */
  readonly wrapCell?: (run: CompareCellRunner, ctx: CellRunContext) => CompareCellRunner;
}

/** What a remote runner or a runner wrapper knows about the comparison. */
export interface CellRunContext {
  readonly config: ResolvedCompareConfig;
  readonly inputs: readonly InputFile[];
  readonly plugins: readonly PluginVersion[];
  readonly quantforgeVersion: string;
}

/**
 * Cells run outside this process (a job queue). All cells are handed over at once; the remote
 * side enforces the per-cell time limit, since a cell's wait in the queue is not its run time.
 */
export interface RemoteCells {
  open(ctx: CellRunContext, signal: AbortSignal): Promise<{ run: CompareCellRunner; close: () => Promise<void> }>;
}

/** The quantforge version recorded in manifests (the runner's package version). */
export function quantforgeVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** The comparison's plugins, resolved from the registry, and its plan (ids and options checked up front). */
export function preparePlan(rt: Runtime, config: ResolvedCompareConfig) {
  const quantizers: CompareQuantizer[] = config.quantizers.map((q) => ({ plugin: rt.registry.quantizer(q.id), options: q.options, ...(q.sweep ? { sweep: q.sweep } : {}), ...(q.label ? { label: q.label } : {}) }));
  const coders: CompareCoder[] = config.coders.map((c) => ({ plugin: rt.registry.coder(c.id), options: c.options }));
  const evaluators: CompareEvaluator[] = config.evaluators.map((e) => ({ plugin: rt.registry.evaluator(e.id), options: e.options }));
  const plan = planCompare({ quantizers, bits: config.bits, coders });
  // Options are validated before any work. A quantizer whose options fail for every cell has a
  // typo: stop (exit 2). One that rejects only some cells (a bit rate it does not support) gets
  // those cells marked failed with the plugin's error, and the others run.
  const firstError = new Map<string, unknown>();
  const anyValid = new Set<string>();
  for (const s of plan) {
    try {
      quantizers.find((q) => q.plugin.id === s.quantizer)!.plugin.parseOptions(s.options);
      anyValid.add(s.label);
    } catch (e) {
      if (!firstError.has(s.label)) firstError.set(s.label, e);
    }
  }
  for (const [label, e] of firstError) if (!anyValid.has(label)) throw e;
  for (const c of coders) c.plugin.parseOptions(c.options ?? {});
  for (const e of evaluators) e.plugin.parseOptions(e.options ?? {});
  const used = new Map<string, PluginVersion>();
  for (const p of [...quantizers, ...coders, ...evaluators].map((x) => x.plugin)) used.set(`${p.kind}/${p.id}`, { kind: p.kind, id: p.id, version: p.version });
  return { quantizers, coders, evaluators, plan, plugins: [...used.values()] };
}

/**
 * Runs a comparison for the CLI: resolves and validates every plugin and option, hashes the
 * inputs, then calls core's `compare()` with a cell runner that puts every cell in its own DI
 * child container — on this thread (`jobs` 1) or in a pool of worker threads (`jobs` > 1, each
 * with its own registry of the built-in plugins). Returns the `results.json` document.
 *
 * @throws {UsageError} when `jobs` > 1 but the runtime has plugins the workers cannot load.
 */
export async function runCompare(rt: Runtime, config: ResolvedCompareConfig, o: CompareRunOptions): Promise<CompareDocument> {
  const { quantizers, coders, evaluators, plan, plugins } = preparePlan(rt, config);
  const select = selectorOf(config);
  const inputs = await inputFiles(config);
  const jobs = Math.max(1, Math.min(o.jobs, plan.length));
  const internal = new AbortController();
  const onOuter = () => internal.abort(o.signal?.reason);
  if (o.signal?.aborted) onOuter();
  o.signal?.addEventListener("abort", onOuter, { once: true });
  let pool: WorkerPool | undefined;
  let loadedModel: ModelProbe | undefined;
  let runCell: CompareCellRunner;
  let closeRemote: (() => Promise<void>) | undefined;
  const ctx: CellRunContext = { config, inputs, plugins, quantforgeVersion: quantforgeVersion() };
  if (o.remote) {
    // Every cell waits at once (one abort listener each).
    setMaxListeners(0, internal.signal);
    const r = await o.remote.open(ctx, internal.signal);
    runCell = r.run;
    closeRemote = r.close;
  } else if (o.jobs > 1) {
    // Workers rebuild the registry from the built-in list plus the loaded plugins' modules; a
    // composition root with other in-process plugins (tests) cannot be rebuilt there.
    if (!builtinsRebuildable(rt)) {
      throw new UsageError(`--jobs ${o.jobs} runs cells in worker threads, which load the built-in plugins only (plus --plugin/config ones), but this runner has other plugins registered. Use --jobs 1.`);
    }
    const p = new WorkerPool(
      jobs,
      {
        input: { model: config.model, data: config.data, weights: config.weights, inputShapes: config.inputShapes, inputRanges: config.inputRanges },
        select: { include: config.include, exclude: config.exclude, allTensors: config.allTensors, ...(config.allowEmpty ? { allowEmpty: true } : {}) },
        evaluators: config.evaluators,
        seed: config.seed,
        ...(rt.pluginSources.length ? { plugins: rt.pluginSources } : {}),
      },
      () => internal.abort(),
    );
    pool = p;
    internal.signal.addEventListener("abort", () => p.stop(), { once: true });
    try {
      await p.start();
    } catch (e) {
      await p.close();
      throw p.fatal ?? e;
    }
    runCell = (spec, env) => p.run(spec, env);
  } else {
    const input = await loadCompareInput(config);
    loadedModel = input.model;
    runCell = (spec, env) => runCellInChild(rt.container, input, spec, config.evaluators, select, env, config.allowEmpty);
  }
  if (o.wrapCell) runCell = o.wrapCell(runCell, ctx);
  const d = o.display;
  const t0 = performance.now();
  let result;
  try {
    result = await compare({
      quantizers,
      bits: config.bits,
      coders,
      evaluators,
      seed: config.seed,
      signal: internal.signal,
      concurrency: o.remote ? plan.length : jobs,
      runCell,
      ...(config.timeout !== null && !o.remote ? { timeoutMs: config.timeout * 1000 } : {}),
      onStart: (spec, total) => d?.start(spec, total),
      onProgress: (spec, task, done, total) => d?.progress(spec, task, done, total),
      onCell: (cell, done, total) => d?.cell(cell, done, total),
    });
  } finally {
    o.signal?.removeEventListener("abort", onOuter);
    await pool?.close();
    await closeRemote?.();
    await disposeModel(loadedModel);
  }
  if (pool?.fatal) throw pool.fatal;
  const cells = result.cells;
  const ok = cells.filter((c) => c.status === "ok").length;
  return {
    format: COMPARE_FORMAT,
    version: COMPARE_FORMAT_VERSION,
    title: inputTitle(config),
    manifest: {
      seed: config.seed,
      quantforgeVersion: quantforgeVersion(),
      node: process.version,
      plugins,
      inputs,
      config: config as unknown as Record<string, unknown>,
    },
    interrupted: result.aborted,
    totals: { planned: result.total, finished: cells.length, ok, failed: cells.length - ok, seconds: (performance.now() - t0) / 1000 },
    cells,
    rankedBy: rankingOf(cellPoints(cells)).metric,
  };
}
