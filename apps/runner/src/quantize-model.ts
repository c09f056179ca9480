import { rename, rm, rmdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ErrorCodes, QuantforgeError, requireCapabilities, type ModelProbe, type WeightTensor } from "@quantforge/core";
import { createRunContext, CollectingDiagnostics, streamPipeline } from "@quantforge/core/host";
import { accumulateStats, emptyStats, mergeStats, sqnrDb } from "@quantforge/metrics";
import { readSafetensorsHeader } from "@quantforge/io-safetensors";
import { createTfjsModelWriter } from "@quantforge/io-tfjs";
import { dequantizedErrorStats } from "./error-stats.js";
import { UsageError } from "./errors.js";
import { disposeModel } from "./model-probe.js";
import { CODED_TARGETS, TARGETS, inputFormat, openSource, type InputFormat } from "./quantize/source.js";
import type { QuantizeModelOptions } from "./quantize/options.js";
import { renderQuantizeMarkdown, rowOf, type QuantizeReport, type QuantizeTensorRow } from "./quantize/report.js";
import { evaluateModel } from "./quantize/reload-check.js";
import { manifestNote } from "./quantize/manifest-note.js";
import { defaultTarget, outputAdvice, sizeAdvice, storedQuantizedNote } from "./quantize/advice.js";
import { transpose } from "./quantize/nbits-view.js";
import { prepareOut } from "./quantize/out-dir.js";
import { onnxSink, qfSink, safetensorsSink, tfjsSink, type Sink } from "./sinks/index.js";

export { CODED_TARGETS, TARGETS, inputFormat, type InputFormat, type QuantizeTarget } from "./quantize/source.js";
export type { QuantizeModelOptions } from "./quantize/options.js";
export { sizeAdvice, defaultTarget } from "./quantize/advice.js";
export { renderQuantizeMarkdown, type OutputAgreement, type QuantizeReport, type QuantizeTensorRow } from "./quantize/report.js";

/**
 * `quantforge quantize`: reads a model (tfjs model.json, ONNX or safetensors), quantizes its
 * weights, writes the smaller model in the chosen target format into a temp directory, checks
 * it (the written model must compute what the evaluated weights compute), and renames the
 * directory onto `out`. Per-tensor quantizers stream: one tensor is read, quantized, coded,
 * checked and written at a time, so peak memory is about the largest tensor; joint quantizers
 * see the whole selected weight set at once. A quantizer that needs model capabilities (`auto`:
 * `forward`) runs with `o.model()`, the same tfjs/ONNX file loaded as a runnable probe.
 */
export async function quantizeModel(o: QuantizeModelOptions): Promise<{ report: QuantizeReport; markdown: string }> {
  const t0 = performance.now();
  let peakRss = process.memoryUsage.rss();
  const sampleRss = () => {
    const r = process.memoryUsage.rss();
    if (r > peakRss) peakRss = r;
  };
  const fmt = inputFormat(o.input);
  if (o.target !== undefined && !TARGETS[fmt].includes(o.target)) throw new UsageError(`--target ${o.target} does not apply to ${fmt} input. Choose one of: ${TARGETS[fmt].join(", ")}.`);
  const wanted = o.target ?? defaultTarget(fmt);
  if (CODED_TARGETS.has(wanted) && !o.coder) throw new UsageError(`--target ${o.target} needs a coder.`);
  // Quantizers that need model capabilities get the input as a runnable probe (tfjs and ONNX
  // models); a weights file has none, so they fail here, early.
  const needs = o.quantizer.instance.needs ?? [];
  const probe = needs.length > 0 && fmt !== "safetensors" && o.model ? await o.model() : undefined;
  requireCapabilities(o.quantizer.id, probe, needs, o.quantizer.instance.capabilityAdvice);
  try {
    return await quantizeWith(o, fmt, probe, t0, () => peakRss, sampleRss);
  } finally {
    await disposeModel(probe);
  }
}

async function quantizeWith(asked: QuantizeModelOptions, fmt: InputFormat, probe: ModelProbe | undefined, t0: number, peak: () => number, sampleRss: () => void): Promise<{ report: QuantizeReport; markdown: string }> {
  const src = await openSource(asked.input, fmt, asked.target, { shared: asked.ahead?.shared === true });
  // No --target: the smallest the model allows (an ONNX model's opset decides whether DequantizeLinear exists).
  const o = { ...asked, target: asked.target ?? defaultTarget(fmt, src.onnx?.opset) };
  const diagnostics = new CollectingDiagnostics();
  for (const d of o.deprecations ?? []) diagnostics.report(d);
  const ctx = createRunContext({ seed: o.seed, diagnostics, progress: o.progress, ...(o.signal ? { signal: o.signal } : {}), ...(probe ? { model: probe } : {}) });
  const tmp = await prepareOut(o.out, [o.input, ...(o.data !== undefined ? [o.data] : [])]);
  // A bare tfjs weights manifest has no topology: no outputs to check, but its written weights are reloaded with stock tfjs.
  const bareManifest = src.tfjs?.format === "weights-manifest";
  const runnable = o.evaluate && ((fmt === "tfjs" && !bareManifest) || fmt === "onnx");
  const coder = CODED_TARGETS.has(o.target) ? o.coder!.instance : undefined;
  let sink: Sink | undefined;
  try {
    const metadata = { generator: "quantforge quantize", quantizer: o.quantizer.id, quantizerOptions: o.quantizer.recorded ?? o.quantizer.options, seed: o.seed };
    if (o.target === "qf") sink = await qfSink(tmp, coder!, { ...metadata, tensorOrder: src.entries.filter((e) => e.float).map((e) => e.name) });
    else if (o.target === "safetensors-float") {
      const h = await readSafetensorsHeader(o.input);
      sink = await safetensorsSink(tmp, h.tensors, { generator: "quantforge quantize", quantizer: o.quantizer.id });
    } else if (o.target === "onnx" || o.target === "onnx-qdq" || o.target === "onnx-nbits") sink = onnxSink(tmp, src.onnx!, o.target, { strict: o.strictTarget === true, ...(src.transposed ? { nbits: src.transposed } : {}) });
    else sink = tfjsSink(await createTfjsModelWriter(tmp, src.tfjs!, { target: o.target, ...(coder ? { coder } : {}), metadata }), src.tfjs!);

    const streaming = o.quantizer.instance.perTensor === true;
    const rows: QuantizeTensorRow[] = [];
    const overall = emptyStats();
    const decoded = new Map<string, Float32Array>();
    let quantizedWeights = 0,
      weights = 0;
    // onnx-nbits reads MatMul weights transposed (nbits-view.ts): rows show, and the output check and writers get, the stored layout.
    const shown = (t: WeightTensor): WeightTensor => {
      const v = src.transposed?.get(t.name);
      return v ? { ...t, shape: [v.k, v.n] } : t;
    };
    // Slots that are not float weights are never read; each is written in file order, just before
    // the float tensor that follows it (the trailing ones after the last).
    const gaps: string[][] = [];
    let gap: string[] = [];
    async function* floats(): AsyncGenerator<WeightTensor> {
      for (const e of src.entries) {
        if (!e.float) gap.push(e.name);
        else {
          const t = await e.read();
          gaps.push(gap);
          gap = [];
          yield t;
        }
      }
    }
    const total = src.entries.length;
    let slot = 0;
    const keptSlot = async (name: string): Promise<void> => {
      await sink!.kept(name, undefined);
      o.progress.update("quantize", ++slot, total);
    };
    // Quantize, code, round-trip check and dequantize are core's streaming pipeline; the report rows and the writing are here.
    const tensors = streamPipeline(floats(), { quantizer: o.quantizer.instance, ...(coder ? { coder } : {}), select: o.select, ctx, ...(streaming && o.ahead ? { workers: o.ahead } : {}), ...(o.allowEmpty ? { allowEmpty: true } : {}) });
    for await (const r of tensors) {
      for (const name of gaps.shift() ?? []) await keptSlot(name);
      const t = r.tensor;
      weights += t.data.length;
      sampleRss();
      if (!r.quantized) {
        // Not selected, or the quantizer kept it in float32 (passthrough).
        rows.push(rowOf(shown(t), false, accumulateStats(emptyStats(), t.data, t.data)));
        await sink.kept(t.name, t);
      } else {
        const view = src.transposed?.get(t.name);
        let dec: Float32Array | undefined;
        const values = (): Float32Array => (dec ??= view ? transpose(r.decoded, view.n, view.k) : r.decoded);
        const keep = runnable || (o.evaluate && bareManifest);
        // Values only float targets and the output check read: else the sums are taken block by
        // block and no tensor's values are held (issue 18: the 2 GB .qf benchmark's busiest thread).
        const s = keep || sink.readsDecoded === true ? accumulateStats(emptyStats(), t.data, r.decoded) : dequantizedErrorStats(t.data, r.quantized, r.codebook!);
        mergeStats(overall, s);
        quantizedWeights += t.data.length;
        rows.push(rowOf(shown(t), true, s, r.stream?.length));
        if (keep) decoded.set(t.name, values());
        sampleRss();
        await sink.quantized(t.name, r.quantized, r.codebook!, r.stream, values);
      }
      o.progress.update("quantize", ++slot, total);
    }
    for (const name of gap) await keptSlot(name);
    const closed = await sink.close();
    sink = undefined;
    sampleRss();
    const checked = runnable ? await evaluateModel(src, tmp, o.target, decoded, o) : null;
    const skipped = checked && "skipped" in checked ? checked.skipped : undefined;
    const model = checked && !("skipped" in checked) ? checked : null;
    if (model && !model.reload.matches && !model.reload.runtimeNondeterministic) {
      throw new QuantforgeError(
        ErrorCodes.INTERNAL,
        `the written model does not compute what the evaluated weights compute (max relative difference ${model.reload.maxRelDiff.toExponential(3)} with ${model.reload.runtime}). Nothing was written; report this bug.`,
        { exitCode: 1 },
      );
    }
    const outBytes = closed.files.reduce((a, f) => a + f.bytes, 0);
    const seconds = (performance.now() - t0) / 1000;
    sampleRss();
    const notes = [...closed.notes];
    if (bareManifest) notes.push(await manifestNote(src.tfjs, tmp, o, decoded));
    const stored = src.tfjs ? storedQuantizedNote(src.tfjs, new Set(rows.filter((r) => r.quantized).map((r) => r.name))) : undefined;
    if (stored) notes.push(stored);
    if (!streaming) notes.push(`"${o.quantizer.id}" quantizes the selected tensors jointly, so the whole selected weight set was held in memory (per-tensor quantizers stream one tensor at a time).`);
    if (skipped) notes.push(`The model-output check was skipped: ${skipped}.`);
    if (fmt === "onnx" && o.data === undefined && (o.quantizer.instance.needs ?? []).includes("layerInputs")) {
      notes.push(`"${o.quantizer.id}" captured the layer inputs on seeded generated model inputs (seed ${o.seed}), as the output check feeds them; pass --data with real inputs to calibrate on them.`);
    }
    if (model?.reload.runtimeNondeterministic)
      notes.push(
        `The written model differs from the evaluated weights beyond the tolerance at ${model.reload.runtime}, but the unquantized model differs the same way there: the runtime is not deterministic at that level, so this is not a quantforge bug.`,
      );
    const advice = sizeAdvice(o.target, o.quantizer.options);
    const fidelityAdvice = outputAdvice(model, o.quantizer.options);
    if (o.target === "qf" && fmt !== "safetensors") notes.push("qf holds the float weights only (non-float tensors such as shape constants are not weights and are left out); use the model's own format to get a runnable model.");
    const report: QuantizeReport = {
      command: "quantize",
      input: { file: basename(o.input), format: src.format, sha256: await src.sha256(), bytes: src.fileBytes },
      output: { dir: o.out, target: o.target, files: closed.files, bytes: outBytes },
      size: { before: src.fileBytes, after: outBytes, ratio: outBytes > 0 ? src.fileBytes / outBytes : 0 },
      quantizer: { id: o.quantizer.id, version: o.quantizer.version, options: o.quantizer.options },
      coder: coder ? { id: o.coder!.id, version: o.coder!.version } : null,
      seed: o.seed,
      mode: streaming ? "per-tensor streaming" : "joint (whole weight set in memory)",
      overall: {
        tensors: rows.length,
        quantized: rows.filter((r) => r.quantized).length,
        weights,
        quantizedWeights,
        sqnrDb: sqnrDb(overall).value,
        mse: overall.count > 0 ? overall.noise / overall.count : null,
      },
      tensors: rows,
      ...(closed.container ? { container: closed.container } : {}),
      model,
      ...(skipped ? { outputCheckSkipped: skipped } : {}),
      ...(advice ? { sizeAdvice: advice } : {}),
      ...(fidelityAdvice ? { outputAdvice: fidelityAdvice } : {}),
      ...(closed.floatFallback ? { floatFallback: closed.floatFallback } : {}),
      notes,
      diagnostics: diagnostics.items,
      // maxRSS is the process's lifetime peak (kB): exact, and it includes the sampled points.
      timing: { seconds, weightsPerSecond: seconds > 0 ? weights / seconds : 0, peakRssBytes: Math.max(peak(), process.resourceUsage().maxRSS * 1024) },
    };
    const markdown = renderQuantizeMarkdown(report);
    await writeFile(join(tmp, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(tmp, "report.md"), markdown);
    // `out` is absent or an empty directory (checked up front): replace it in one rename.
    await rmdir(resolve(o.out)).catch(() => undefined);
    await rename(tmp, resolve(o.out));
    return { report, markdown };
  } catch (e) {
    await sink?.abort().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await src.close();
  }
}
