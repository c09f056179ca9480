import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, rm, rmdir, stat, writeFile, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import {
  ContainerEncoder, ErrorCodes, InvalidQuantizedError, QuantforgeError, Rng, codebookMap, createRunContext, crc32, dequantizeTensor, shapeSize,
  CollectingDiagnostics, assertQuantizedModel, assertWeightSet, requireCapabilities, throwIfAborted,
  type Codebook, type Coder, type Diagnostic, type EncodedSize, type ProgressReporter, type QuantizedModel, type QuantizedTensor,
  type ModelProbe, type Quantizer, type TensorSelector, type WeightTensor,
} from "@quantforge/core";
import { accumulateStats, emptyStats, mergeStats, sqnrDb, type ErrorStats } from "@quantforge/evaluator-sqnr";
import { DEFAULT_KL_EPSILON, meanKlDivergence, top1Agreement, topClasses } from "@quantforge/evaluator-accuracy";
import { createSafetensorsWriter, loadSafetensors, readSafetensorsHeader, readTensor, type SafetensorsWriter } from "@quantforge/io-safetensors";
import {
  createTfjsModelWriter, isFloatEntry, loadCodedTfjsModel, loadTfjsFromArtifacts, readTfjsModel, readTfjsTensor, runTfjsModel, tfjsArtifacts, tfjsInputSpecs,
  type ModelFeed, type ModelOutput, type TfjsModel, type TfjsModelWriter, type TfjsRuntime, type WrittenFile,
} from "@quantforge/io-tfjs";
import { encodeOnnxModel, feedableType, readOnnxModel, readOnnxTensor, isWeightInitializer, runOnnxModel, writeOnnxModel, type OnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx";
import { UsageError } from "./errors.js";
import { disposeModel } from "./model-probe.js";
import { sha256File } from "./jobs.js";

/** Input formats `quantforge quantize` reads. */
export type InputFormat = "tfjs" | "onnx" | "safetensors";
/** Every write target. */
export type QuantizeTarget = "tfjs-native" | "tfjs-coded" | "tfjs-float" | "onnx" | "onnx-qdq" | "safetensors-float" | "qf";

/** Targets each input format can be written to; the first is the default. */
export const TARGETS: Readonly<Record<InputFormat, readonly QuantizeTarget[]>> = {
  tfjs: ["tfjs-coded", "tfjs-native", "tfjs-float", "qf"],
  onnx: ["onnx", "onnx-qdq", "qf"],
  safetensors: ["qf", "safetensors-float"],
};

/** Targets whose files hold coder streams. */
export const CODED_TARGETS: ReadonlySet<QuantizeTarget> = new Set(["tfjs-coded", "qf"]);

/** The format of an input path, from its name. */
export function inputFormat(path: string): InputFormat {
  const p = path.toLowerCase();
  if (p.endsWith(".json")) return "tfjs";
  if (p.endsWith(".onnx")) return "onnx";
  if (p.endsWith(".safetensors")) return "safetensors";
  throw new UsageError(`cannot tell the format of "${path}". Pass a tfjs model.json, an .onnx file or a .safetensors file.`);
}

/** Everything {@link quantizeModel} needs (plugins already resolved and validated). */
export interface QuantizeModelOptions {
  readonly input: string;
  readonly out: string;
  readonly target: QuantizeTarget;
  readonly quantizer: { readonly id: string; readonly version: string; readonly options: unknown; readonly instance: Quantizer };
  readonly coder?: { readonly id: string; readonly version: string; readonly instance: Coder };
  readonly seed: number;
  readonly select: TensorSelector;
  /** Evaluate model outputs (runnable formats only). */
  readonly evaluate: boolean;
  /** Random input samples for the output evaluation. */
  readonly samples: number;
  /** A safetensors file of model inputs instead of random ones. */
  readonly data?: string;
  /** Shapes for inputs with unknown dimensions (batch excluded). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  readonly progress: ProgressReporter;
  /**
   * Loads the input as a runnable model probe, for quantizers that need model capabilities (the
   * `auto` quantizer needs `forward`); called only when the quantizer's `needs` is non-empty and
   * the input is a tfjs or ONNX model.
   */
  readonly model?: () => Promise<ModelProbe>;
  /** The tfjs namespace with a backend (the runner passes model-tfjs's WASM one). */
  readonly tf?: () => Promise<TfjsRuntime>;
  readonly signal?: AbortSignal;
}

/** One tensor's row in the report. */
export interface QuantizeTensorRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  readonly role: string | null;
  readonly quantized: boolean;
  readonly sqnrDb: number | null;
  readonly sqnrNote?: string;
  readonly mse: number | null;
  readonly maxAbsError: number | null;
  /** Coded stream bytes (coded targets). */
  readonly streamBytes?: number;
}

/** Output-agreement metrics of one model output. */
export interface OutputAgreement {
  readonly name: string;
  readonly shape: readonly number[];
  /** ‖ŷ − y‖₂ / ‖y‖₂ over the samples (y: float model, ŷ: the quantized weights). */
  readonly relativeError: number | null;
  readonly maxAbsError: number;
  /** Mean KL(p‖q) in nats of the class distributions (2-D outputs; softmax unless rows already sum to 1). */
  readonly kl?: number;
  /** Share of samples whose top-1 class is unchanged (2-D outputs). */
  readonly top1Agreement?: number;
}

/** The whole report (report.json). */
export interface QuantizeReport {
  readonly command: "quantize";
  readonly input: { readonly file: string; readonly format: string; readonly sha256: string; readonly bytes: number };
  readonly output: { readonly dir: string; readonly target: QuantizeTarget; readonly files: readonly WrittenFile[]; readonly bytes: number };
  readonly size: { readonly before: number; readonly after: number; readonly ratio: number; readonly note?: string };
  readonly quantizer: { readonly id: string; readonly version: string; readonly options: unknown };
  readonly coder: { readonly id: string; readonly version: string } | null;
  readonly seed: number;
  readonly mode: "per-tensor streaming" | "joint (whole weight set in memory)";
  readonly overall: { readonly tensors: number; readonly quantized: number; readonly weights: number; readonly quantizedWeights: number; readonly sqnrDb: number | null; readonly mse: number | null };
  readonly tensors: readonly QuantizeTensorRow[];
  readonly container?: EncodedSize;
  readonly model: null | {
    readonly runtime: string;
    readonly inputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
    readonly inputSource: string;
    readonly outputs: readonly OutputAgreement[];
    readonly worstRelativeError: number | null;
    readonly reload: {
      readonly runtime: string; readonly maxAbsDiff: number; readonly maxRelDiff: number; readonly matches: boolean;
      /** onnx-qdq: the written file under ORT's default optimization level vs the checked (basic) run — ORT's fused kernels (MatMulNBits) compute differently. */
      readonly defaultOptimization?: { readonly maxAbsDiff: number; readonly maxRelDiff: number };
    };
  };
  readonly notes: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  readonly timing: { readonly seconds: number; readonly weightsPerSecond: number; readonly peakRssBytes: number };
}

/** One weight slot of the input, in file order. */
interface SourceEntry {
  readonly name: string;
  /** A float tensor quantforge may quantize. */
  readonly float: boolean;
  read(): Promise<WeightTensor>;
}

interface Source {
  readonly format: string;
  readonly entries: readonly SourceEntry[];
  readonly fileBytes: number;
  readonly tfjs?: TfjsModel;
  readonly onnx?: OnnxModel;
  close(): Promise<void>;
}

async function openSource(path: string, fmt: InputFormat): Promise<Source> {
  if (fmt === "tfjs") {
    const m = await readTfjsModel(path);
    return {
      format: `tfjs ${m.format}`, fileBytes: m.fileBytes, tfjs: m, close: async () => undefined,
      entries: m.entries.map((e) => ({ name: e.spec.name, float: isFloatEntry(e), read: () => readTfjsTensor(m, e) })),
    };
  }
  if (fmt === "onnx") {
    const m = await readOnnxModel(path);
    return {
      format: "onnx", fileBytes: m.fileBytes, onnx: m, close: async () => undefined,
      entries: m.initializers.map((i) => ({ name: i.name, float: isWeightInitializer(i), read: () => readOnnxTensor(m, i) })),
    };
  }
  const header = await readSafetensorsHeader(path);
  const fh = await open(path, "r");
  return {
    format: "safetensors", fileBytes: header.fileSize, close: () => fh.close(),
    entries: header.tensors.map((e) => ({ name: e.name, float: true, read: () => readTensor(fh, e) })),
  };
}

/** Where quantized and kept tensors go; called in input order. */
interface Sink {
  quantized(name: string, t: QuantizedTensor, cb: Codebook, stream: Uint8Array | undefined, decoded: Float32Array): Promise<void>;
  kept(name: string, tensor: WeightTensor | undefined): Promise<void>;
  close(): Promise<{ files: WrittenFile[]; container?: EncodedSize; notes: string[] }>;
  abort(): Promise<void>;
}

async function writeAll(fh: FileHandle, b: Uint8Array): Promise<void> {
  let done = 0;
  while (done < b.length) done += (await fh.write(b, done, b.length - done)).bytesWritten;
}

/** `.qf` container written incrementally: records spooled to temp files, assembled at the end. */
async function qfSink(dir: string, coder: Coder, metadata: Record<string, unknown>): Promise<Sink> {
  const enc = new ContainerEncoder(coder, metadata);
  const tPath = join(dir, ".tensors.spool"), pPath = join(dir, ".passthrough.spool");
  const tSpool = await open(tPath, "wx"), pSpool = await open(pPath, "wx");
  let tBytes = 0, pBytes = 0;
  return {
    async quantized(_name, t, cb, stream) {
      const rec = enc.tensorRecord(t, cb, stream);
      await writeAll(tSpool, rec);
      tBytes += rec.length;
    },
    async kept(_name, tensor) {
      if (!tensor) return; // non-float entries of a model are not weights
      const rec = enc.passthroughRecord(tensor);
      await writeAll(pSpool, rec);
      pBytes += rec.length;
    },
    async close() {
      await tSpool.close();
      await pSpool.close();
      const out = await open(join(dir, "model.qf"), "wx");
      let crc = 0;
      const put = async (b: Uint8Array) => { crc = crc32(b, 0, b.length, crc); await writeAll(out, b); };
      const copy = async (p: string, n: number) => {
        const src = await open(p, "r");
        const buf = new Uint8Array(Math.min(Math.max(n, 1), 8 << 20));
        try {
          for (let pos = 0; pos < n;) {
            const r = await src.read(buf, 0, Math.min(buf.length, n - pos), pos);
            if (r.bytesRead === 0) throw new InvalidQuantizedError(`spool "${p}" is shorter than written.`);
            await put(buf.subarray(0, r.bytesRead));
            pos += r.bytesRead;
          }
        } finally { await src.close(); }
      };
      try {
        await put(enc.head());
        await copy(tPath, tBytes);
        await put(enc.middle());
        await copy(pPath, pBytes);
        const tail = new Uint8Array(4);
        new DataView(tail.buffer).setUint32(0, crc, true);
        await writeAll(out, tail);
      } finally {
        await out.close();
      }
      await rm(tPath, { force: true });
      await rm(pPath, { force: true });
      const size = enc.size();
      return { files: [{ name: "model.qf", bytes: (await stat(join(dir, "model.qf"))).size }], container: size, notes: [] };
    },
    async abort() {
      await tSpool.close().catch(() => undefined);
      await pSpool.close().catch(() => undefined);
    },
  };
}

async function safetensorsSink(dir: string, entries: readonly { name: string; shape: readonly number[] }[], metadata: Record<string, string>): Promise<Sink> {
  const w: SafetensorsWriter = await createSafetensorsWriter(join(dir, "model.safetensors"), entries, { metadata });
  return {
    async quantized(name, t, _cb, _s, decoded) { await w.write({ name, shape: t.shape, data: decoded }); },
    async kept(_name, tensor) { if (tensor) await w.write(tensor); },
    async close() {
      const h = await w.close();
      return { files: [{ name: "model.safetensors", bytes: h.fileSize }], notes: [] };
    },
    abort: () => w.abort(),
  };
}

function tfjsSink(w: TfjsModelWriter, m: TfjsModel): Sink {
  const byName = new Map(m.entries.map((e) => [e.spec.name, e]));
  return {
    quantized: (name, tensor, codebook, stream) => w.add(byName.get(name)!, { kind: "quantized", tensor, codebook, ...(stream ? { stream } : {}) }),
    kept: (name) => w.add(byName.get(name)!, { kind: "original" }),
    async close() {
      const r = await w.close();
      return { files: [...r.files], ...(r.container ? { container: r.container } : {}), notes: [] };
    },
    abort: () => w.abort(),
  };
}

function onnxSink(dir: string, m: OnnxModel, target: "onnx" | "onnx-qdq"): Sink {
  const outputs = new Map<string, OnnxWeightOutput>();
  return {
    async quantized(name, tensor, codebook) { outputs.set(name, { kind: "quantized", tensor: { ...tensor, name }, codebook }); },
    async kept() {},
    async close() {
      const path = join(dir, "model.onnx");
      const r = await writeOnnxModel(path, m, outputs, { target });
      const notes = r.roundedToHalf > 0 ? [`${r.roundedToHalf} decoded value(s) of FLOAT16 initializers were rounded to the nearest half (the model stores them as FLOAT16); model outputs below are measured on the written file.`] : [];
      if (r.qdq.length > 0) notes.push(`${r.qdq.length} initializer(s) written as uint8 + DequantizeLinear: ${r.qdq.slice(0, 5).join(", ")}${r.qdq.length > 5 ? ", …" : ""}.`);
      return { files: [{ name: "model.onnx", bytes: r.bytes.length }], notes };
    },
    async abort() {},
  };
}

/** ‖a − b‖ metrics of model outputs (b the reference). */
function agreement(ref: ModelOutput, got: ModelOutput): OutputAgreement {
  let num = 0, den = 0, maxAbs = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = got.data[i]! - ref.data[i]!;
    num += d * d;
    den += ref.data[i]! * ref.data[i]!;
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  const row: OutputAgreement = { name: ref.name, shape: ref.shape, relativeError: den === 0 ? (num === 0 ? 0 : null) : Math.sqrt(num / den), maxAbsError: maxAbs };
  if (ref.shape.length === 2 && ref.shape[1]! >= 2) {
    const [n, c] = ref.shape as [number, number];
    const p = probabilities(ref.data, n, c), q = probabilities(got.data, n, c);
    return { ...row, kl: meanKlDivergence(p, q, n, c, DEFAULT_KL_EPSILON), top1Agreement: top1Agreement(topClasses(p, n, c), topClasses(q, n, c), n) };
  }
  return row;
}

/** Rows as they are when they already are distributions (non-negative, summing to 1), else softmax. */
function probabilities(x: Float32Array, n: number, c: number): Float32Array {
  let isDist = true;
  for (let r = 0; r < n && isDist; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) { const v = x[r * c + k]!; if (v < 0) { isDist = false; break; } s += v; }
    if (Math.abs(s - 1) > 1e-3) isDist = false;
  }
  if (isDist) return x;
  const out = new Float32Array(x.length);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, x[r * c + k]!);
    let s = 0;
    for (let k = 0; k < c; k++) { const e = Math.exp(x[r * c + k]! - m); out[r * c + k] = e; s += e; }
    for (let k = 0; k < c; k++) out[r * c + k] = out[r * c + k]! / s;
  }
  return out;
}

interface InputSpec { readonly name: string; readonly shape: readonly (number | null)[]; readonly dtype: "float32" | "int32" | "int64" }

/** Feeds: a dataset file, or seeded uniform [−1, 1) floats / integers in [0, 10). */
async function makeFeeds(specs: readonly InputSpec[], o: QuantizeModelOptions): Promise<{ feeds: ModelFeed[]; source: string }> {
  if (o.data) {
    const ws = await loadSafetensors(o.data);
    const feeds = specs.map((s) => {
      const t = ws.find((w) => w.name === s.name) ?? (specs.length === 1 && ws.length === 1 ? ws[0] : undefined);
      if (!t) throw new UsageError(`--data ${o.data} has no tensor named "${s.name}" (it has ${ws.map((w) => w.name).join(", ")}). Name each tensor after a model input.`);
      s.shape.slice(1).forEach((d, i) => {
        if (d !== null && t.shape[i + 1] !== d) throw new UsageError(`--data tensor "${t.name}" has shape [${t.shape.join(", ")}] but input "${s.name}" needs [N, ${s.shape.slice(1).map((x) => x ?? "?").join(", ")}].`);
      });
      const data = s.dtype === "float32" ? t.data : s.dtype === "int32" ? Int32Array.from(t.data) : BigInt64Array.from(t.data, (v) => BigInt(Math.round(v)));
      return { name: s.name, shape: [...t.shape], data: data as Float32Array };
    });
    return { feeds, source: `dataset ${basename(o.data)}` };
  }
  const rng = new Rng(o.seed).fork("quantize-inputs");
  const feeds = specs.map((s) => {
    const given = o.inputShapes?.get(s.name);
    const rest = given ?? s.shape.slice(1).map((d, i) => {
      if (d === null) throw new UsageError(`model input "${s.name}" has an unknown dimension ${i + 1} (shape [${s.shape.map((x) => x ?? "?").join(", ")}]). Give it with --input-shape ${s.name}=${s.shape.slice(1).map((x) => x ?? "D").join(",")}.`);
      return d;
    });
    const shape = [o.samples, ...rest];
    const n = shapeSize(shape);
    let data: Float32Array | Int32Array | BigInt64Array;
    if (s.dtype === "float32") { const f = new Float32Array(n); for (let i = 0; i < n; i++) f[i] = rng.float() * 2 - 1; data = f; }
    else if (s.dtype === "int32") { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = rng.int(0, 10); data = a; }
    else { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = BigInt(rng.int(0, 10)); data = a; }
    return { name: s.name, shape, data: data as Float32Array };
  });
  return { feeds, source: `seeded random: ${o.samples} samples, floats uniform in [-1, 1), integers uniform in 0…9 (seed ${o.seed})` };
}

function maxDiff(a: readonly ModelOutput[], b: readonly ModelOutput[]): { abs: number; rel: number } {
  let abs = 0, scale = 0;
  a.forEach((o, i) => o.data.forEach((v, k) => {
    abs = Math.max(abs, Math.abs(v - b[i]!.data[k]!));
    scale = Math.max(scale, Math.abs(b[i]!.data[k]!));
  }));
  return { abs, rel: abs / Math.max(scale, Number.MIN_VALUE) };
}

/** Evaluates the outputs: float model vs decoded weights, and the written file vs the prediction. */
async function evaluateModel(src: Source, tmp: string, target: QuantizeTarget, decoded: ReadonlyMap<string, Float32Array>, o: QuantizeModelOptions): Promise<QuantizeReport["model"]> {
  if (src.tfjs) {
    if (!o.tf) return null;
    const tf = await o.tf();
    const m = src.tfjs;
    const orig = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m), m.format, m.path);
    const specs = tfjsInputSpecs(orig);
    const { feeds, source } = await makeFeeds(specs, o);
    const y = await runTfjsModel(tf, orig, feeds);
    orig.dispose();
    const qm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(m, { weights: decoded }), m.format, m.path);
    const yq = await runTfjsModel(tf, qm, feeds);
    qm.dispose();
    let reloaded: ModelOutput[] | null = null;
    let runtime = "";
    if (target === "tfjs-coded") {
      const lm = await loadCodedTfjsModel(join(tmp, "model.json"), tf, o.coder ? { coders: [o.coder.instance] } : {});
      reloaded = await runTfjsModel(tf, lm, feeds);
      lm.dispose();
      runtime = "tfjs + quantforge loader (loadCodedTfjsModel)";
    } else if (target === "tfjs-native" || target === "tfjs-float") {
      const back = await readTfjsModel(join(tmp, "model.json"));
      const sm = await loadTfjsFromArtifacts(tf, await tfjsArtifacts(back, { stock: true }), back.format, back.path);
      reloaded = await runTfjsModel(tf, sm, feeds);
      sm.dispose();
      runtime = `stock tfjs (${back.format === "graph-model" ? "loadGraphModel" : "loadLayersModel"} of the written files)`;
    }
    return modelBlock("tfjs", feeds, source, y, yq, reloaded, runtime);
  }
  if (src.onnx) {
    const m = src.onnx;
    const specs: InputSpec[] = m.inputs.map((i) => {
      const dtype = feedableType(i.elemType);
      if (!dtype) throw new UsageError(`ONNX input "${i.name}" has element type ${i.elemType}; quantforge feeds float32, int32 or int64 inputs. Pass --no-eval.`);
      if (!i.shape) throw new UsageError(`ONNX input "${i.name}" has no shape. Give it with --input-shape ${i.name}=… or pass --no-eval.`);
      return { name: i.name, shape: i.shape, dtype };
    });
    const { feeds, source } = await makeFeeds(specs, o);
    const y = await runOnnxModel(m.bytes, feeds, m.path);
    const floatOut = new Map<string, OnnxWeightOutput>([...decoded].map(([k, v]) => [k, { kind: "float", data: v }]));
    const yq = await runOnnxModel((await encodeOnnxModel(m, floatOut, { target: "onnx" })).bytes, feeds, m.path);
    let reloaded: ModelOutput[] | null = null;
    let fused: { maxAbsDiff: number; maxRelDiff: number } | undefined;
    if (target === "onnx" || target === "onnx-qdq") {
      const back = await readOnnxModel(join(tmp, "model.onnx"));
      if (target === "onnx-qdq") {
        // The file's arithmetic is checked at ORT's `basic` level; at its default level ORT may
        // fuse DequantizeLinear → MatMul into MatMulNBits, which computes differently — reported.
        reloaded = await runOnnxModel(back.bytes, feeds, back.path, { optimization: "basic" });
        const d = maxDiff(await runOnnxModel(back.bytes, feeds, back.path), reloaded);
        fused = { maxAbsDiff: d.abs, maxRelDiff: d.rel };
      } else {
        reloaded = await runOnnxModel(back.bytes, feeds, back.path);
      }
    }
    const block = modelBlock("onnxruntime-node (CPU)", feeds, source, y, yq, reloaded, `onnxruntime-node (CPU) on the written model.onnx${target === "onnx-qdq" ? " (graph optimization level basic)" : ""}`);
    return block && fused ? { ...block, reload: { ...block.reload, defaultOptimization: fused } } : block;
  }
  return null;
}

function modelBlock(runtime: string, feeds: readonly ModelFeed[], source: string, y: ModelOutput[], yq: ModelOutput[], reloaded: ModelOutput[] | null, reloadRuntime: string): QuantizeReport["model"] {
  const outputs = y.map((r, i) => agreement(r, yq[i]!));
  const rel = outputs.map((x) => x.relativeError).filter((v): v is number => v !== null);
  let reload: NonNullable<QuantizeReport["model"]>["reload"];
  if (reloaded) {
    const d = maxDiff(reloaded, yq);
    // Float tolerance: the reloaded model must compute what the evaluated weights compute.
    reload = { runtime: reloadRuntime, maxAbsDiff: d.abs, maxRelDiff: d.rel, matches: d.rel <= 1e-5 };
  } else {
    reload = { runtime: "not runnable (qf holds weights only)", maxAbsDiff: 0, maxRelDiff: 0, matches: true };
  }
  return {
    runtime, inputs: feeds.map((f) => ({ name: f.name, shape: [...f.shape] })), inputSource: source, outputs,
    worstRelativeError: rel.length > 0 ? Math.max(...rel) : null, reload,
  };
}

function rowOf(t: WeightTensor, quantized: boolean, s: ErrorStats, streamBytes?: number): QuantizeTensorRow {
  const q = sqnrDb(s);
  return {
    name: t.name, shape: [...t.shape], count: t.data.length, role: t.role ?? null, quantized,
    sqnrDb: q.value, ...(q.reason ? { sqnrNote: q.reason } : {}),
    mse: s.count > 0 ? s.noise / s.count : null, maxAbsError: s.count > 0 ? s.maxAbs : null,
    ...(streamBytes !== undefined ? { streamBytes } : {}),
  };
}

function sameCodes(a: QuantizedTensor, b: QuantizedTensor): boolean {
  if (a.codes.length !== b.codes.length) return false;
  for (let i = 0; i < a.codes.length; i++) if (a.codes[i] !== b.codes[i]) return false;
  const pa = a.sparse?.positions, pb = b.sparse?.positions;
  if (!pa || !pb) return pa === pb;
  return pa.length === pb.length && pa.every((v, i) => v === pb[i]);
}

async function prepareOut(out: string): Promise<string> {
  const target = resolve(out);
  const existing = await readdir(target).catch(() => null);
  if (existing && existing.length > 0) throw new UsageError(`--out "${out}" already exists and is not empty. Choose a new directory or remove it.`);
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp);
  return tmp;
}

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
  const sampleRss = () => { const r = process.memoryUsage.rss(); if (r > peakRss) peakRss = r; };
  const fmt = inputFormat(o.input);
  if (!TARGETS[fmt].includes(o.target)) throw new UsageError(`--target ${o.target} does not apply to ${fmt} input. Choose one of: ${TARGETS[fmt].join(", ")}.`);
  if (CODED_TARGETS.has(o.target) && !o.coder) throw new UsageError(`--target ${o.target} needs a coder.`);
  // Quantizers that need model capabilities get the input as a runnable probe (tfjs and ONNX
  // models); a weights file has none, so they fail here, early.
  const needs = o.quantizer.instance.needs ?? [];
  const probe = needs.length > 0 && fmt !== "safetensors" && o.model ? await o.model() : undefined;
  requireCapabilities(o.quantizer.id, probe, needs);
  try {
    return await quantizeWith(o, fmt, probe, t0, () => peakRss, sampleRss);
  } finally {
    await disposeModel(probe);
  }
}

async function quantizeWith(o: QuantizeModelOptions, fmt: InputFormat, probe: ModelProbe | undefined, t0: number, peak: () => number, sampleRss: () => void): Promise<{ report: QuantizeReport; markdown: string }> {
  const src = await openSource(o.input, fmt);
  const diagnostics = new CollectingDiagnostics();
  const ctx = createRunContext({ seed: o.seed, diagnostics, progress: o.progress, ...(o.signal ? { signal: o.signal } : {}), ...(probe ? { model: probe } : {}) });
  const tmp = await prepareOut(o.out);
  const runnable = o.evaluate && (fmt === "tfjs" || fmt === "onnx");
  const coder = CODED_TARGETS.has(o.target) ? o.coder!.instance : undefined;
  let sink: Sink | undefined;
  try {
    const metadata = { generator: "quantforge quantize", quantizer: o.quantizer.id, quantizerOptions: o.quantizer.options, seed: o.seed };
    if (o.target === "qf") sink = await qfSink(tmp, coder!, { ...metadata, tensorOrder: src.entries.filter((e) => e.float).map((e) => e.name) });
    else if (o.target === "safetensors-float") {
      const h = await readSafetensorsHeader(o.input);
      sink = await safetensorsSink(tmp, h.tensors, { generator: "quantforge quantize", quantizer: o.quantizer.id });
    } else if (o.target === "onnx" || o.target === "onnx-qdq") sink = onnxSink(tmp, src.onnx!, o.target);
    else sink = tfjsSink(await createTfjsModelWriter(tmp, src.tfjs!, { target: o.target, ...(coder ? { coder } : {}), metadata }), src.tfjs!);

    const streaming = o.quantizer.instance.perTensor === true;
    const rows: QuantizeTensorRow[] = [];
    const overall = emptyStats();
    const decoded = new Map<string, Float32Array>();
    let quantizedWeights = 0, weights = 0;
    const quantizeOne = async (q: QuantizedModel, t: WeightTensor): Promise<void> => {
      const qt = q.tensors.find((x) => x.name === t.name);
      if (!qt) {
        // The quantizer kept it in float32 (passthrough).
        const s = emptyStats();
        accumulateStats(s, t.data, t.data);
        rows.push(rowOf(t, false, s));
        await sink!.kept(t.name, t);
        return;
      }
      const cb = codebookMap(q).get(qt.codebook)!;
      let back = qt;
      let stream: Uint8Array | undefined;
      if (coder) {
        stream = coder.encode(qt, cb);
        const d = coder.decode(stream);
        if (!sameCodes(qt, d)) throw new InvalidQuantizedError(`coder "${coder.id}" did not round-trip tensor "${t.name}" bit-exactly. The coder is broken.`);
        back = { ...d, name: qt.name, shape: qt.shape, ...(qt.role ? { role: qt.role } : {}), ...(qt.layer ? { layer: qt.layer } : {}), ...(qt.layerKind ? { layerKind: qt.layerKind } : {}) };
      }
      const dec = dequantizeTensor(back, cb);
      const s = emptyStats();
      accumulateStats(s, t.data, dec);
      mergeStats(overall, s);
      quantizedWeights += t.data.length;
      rows.push(rowOf(t, true, s, stream?.length));
      if (runnable) decoded.set(t.name, dec);
      sampleRss();
      await sink!.quantized(t.name, back, cb, stream, dec);
    };

    const total = src.entries.length;
    if (streaming) {
      for (let i = 0; i < total; i++) {
        throwIfAborted(ctx);
        const e = src.entries[i]!;
        if (!e.float) { await sink.kept(e.name, undefined); continue; }
        const t = await e.read();
        weights += t.data.length;
        sampleRss();
        if (!o.select(t)) {
          rows.push(rowOf(t, false, accumulateStats(emptyStats(), t.data, t.data)));
          await sink.kept(e.name, t);
        } else {
          assertWeightSet([t]);
          const q = await o.quantizer.instance.quantize([t], ctx);
          assertQuantizedModel(q, [t]);
          await quantizeOne(q, t);
        }
        o.progress.update("quantize", i + 1, total);
      }
    } else {
      const all: WeightTensor[] = [];
      for (const e of src.entries) if (e.float) all.push(await e.read());
      const selected = all.filter(o.select);
      assertWeightSet(selected);
      const q = selected.length > 0 ? await o.quantizer.instance.quantize(selected, ctx) : { codebooks: [], tensors: [] };
      assertQuantizedModel(q, selected);
      sampleRss();
      const byName = new Map(all.map((t) => [t.name, t]));
      const sel = new Set(selected.map((t) => t.name));
      for (let i = 0; i < total; i++) {
        const e = src.entries[i]!;
        if (!e.float) { await sink.kept(e.name, undefined); continue; }
        const t = byName.get(e.name)!;
        weights += t.data.length;
        if (!sel.has(t.name)) {
          rows.push(rowOf(t, false, accumulateStats(emptyStats(), t.data, t.data)));
          await sink.kept(e.name, t);
        } else await quantizeOne(q, t);
        o.progress.update("quantize", i + 1, total);
      }
    }
    const closed = await sink.close();
    sink = undefined;
    sampleRss();
    const model = runnable ? await evaluateModel(src, tmp, o.target, decoded, o) : null;
    if (model && !model.reload.matches) {
      throw new QuantforgeError(ErrorCodes.INTERNAL, `the written model does not compute what the evaluated weights compute (max relative difference ${model.reload.maxRelDiff.toExponential(3)} with ${model.reload.runtime}). Nothing was written; report this bug.`, { exitCode: 1 });
    }
    const outBytes = closed.files.reduce((a, f) => a + f.bytes, 0);
    const seconds = (performance.now() - t0) / 1000;
    sampleRss();
    const notes = [...closed.notes];
    if (!streaming) notes.push(`"${o.quantizer.id}" quantizes the selected tensors jointly, so the whole selected weight set was held in memory (per-tensor quantizers stream one tensor at a time).`);
    if (o.target === "qf" && fmt !== "safetensors") notes.push("qf holds the float weights only (non-float tensors such as shape constants are not weights and are left out); use the model's own format to get a runnable model.");
    const report: QuantizeReport = {
      command: "quantize",
      input: { file: basename(o.input), format: src.format, sha256: await sha256File(o.input), bytes: src.fileBytes },
      output: { dir: o.out, target: o.target, files: closed.files, bytes: outBytes },
      size: { before: src.fileBytes, after: outBytes, ratio: outBytes > 0 ? src.fileBytes / outBytes : 0 },
      quantizer: { id: o.quantizer.id, version: o.quantizer.version, options: o.quantizer.options },
      coder: coder ? { id: o.coder!.id, version: o.coder!.version } : null,
      seed: o.seed,
      mode: streaming ? "per-tensor streaming" : "joint (whole weight set in memory)",
      overall: {
        tensors: rows.length, quantized: rows.filter((r) => r.quantized).length, weights, quantizedWeights,
        sqnrDb: sqnrDb(overall).value, mse: overall.count > 0 ? overall.noise / overall.count : null,
      },
      tensors: rows,
      ...(closed.container ? { container: closed.container } : {}),
      model,
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

const f = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 10 ** -d) ? v.toExponential(d) : v.toFixed(d));
const mb = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

/** The human-readable report (report.md). */
export function renderQuantizeMarkdown(r: QuantizeReport): string {
  const L: string[] = [];
  L.push(`# quantforge quantize: ${r.input.file}`, "");
  L.push(`- input: \`${r.input.file}\` (${r.input.format}), ${r.input.bytes} bytes (${mb(r.input.bytes)}), sha256 \`${r.input.sha256.slice(0, 16)}…\``);
  L.push(`- output: \`${r.output.dir}\`, target **${r.output.target}**, ${r.output.bytes} bytes (${mb(r.output.bytes)}): ${r.output.files.map((x) => `${x.name} (${x.bytes})`).join(", ")}`);
  L.push(`- size: ${r.size.before} → ${r.size.after} bytes, **${f(r.size.ratio)}×** smaller (real file bytes, model.json/headers included)`);
  L.push(`- quantizer: \`${r.quantizer.id}\` ${r.quantizer.version} ${JSON.stringify(r.quantizer.options)}; coder: ${r.coder ? `\`${r.coder.id}\` ${r.coder.version}` : "none (the target stores the values itself)"}; seed ${r.seed}`);
  L.push(`- mode: ${r.mode}; ${r.overall.quantized} of ${r.overall.tensors} weight tensors quantized (${r.overall.quantizedWeights} of ${r.overall.weights} weights); overall SQNR ${f(r.overall.sqnrDb)} dB`);
  L.push(`- time: ${f(r.timing.seconds)} s, ${f(r.timing.weightsPerSecond / 1e6)} M weights/s, peak RSS ${mb(r.timing.peakRssBytes)}`, "");
  if (r.model) {
    L.push("## Model outputs", "");
    L.push(`Runtime: ${r.model.runtime}. Inputs: ${r.model.inputs.map((i) => `${i.name} [${i.shape.join(", ")}]`).join(", ")} — ${r.model.inputSource}.`, "");
    L.push("| output | shape | relative error ‖ŷ−y‖/‖y‖ | max abs error | KL (nats) | top-1 agreement |", "|---|---|---:|---:|---:|---:|");
    for (const o of r.model.outputs) L.push(`| ${o.name} | [${o.shape.join(", ")}] | ${f(o.relativeError, 6)} | ${f(o.maxAbsError, 6)} | ${o.kl === undefined ? "–" : f(o.kl, 6)} | ${o.top1Agreement === undefined ? "–" : `${(100 * o.top1Agreement).toFixed(1)}%`} |`);
    L.push("", `Reload check (${r.model.reload.runtime}): max |reloaded − evaluated| = ${f(r.model.reload.maxAbsDiff, 3)} (relative ${f(r.model.reload.maxRelDiff, 3)}) — ${r.model.reload.matches ? "matches" : "MISMATCH"}.`, "");
    const dflt = r.model.reload.defaultOptimization;
    if (dflt) L.push(`At onnxruntime's default graph optimization level the written file gives max |Δ| = ${f(dflt.maxAbsDiff, 3)} (relative ${f(dflt.maxRelDiff, 3)}) against the checked run${dflt.maxRelDiff > 1e-5 ? ": ORT fuses DequantizeLinear → MatMul into its own kernels (MatMulNBits), which compute differently" : ""}.`, "");
  }
  L.push("## Tensors", "", "| tensor | shape | role | quantized | SQNR (dB) | MSE | max abs error | stream bytes |", "|---|---|---|---|---:|---:|---:|---:|");
  for (const t of r.tensors) L.push(`| ${t.name} | [${t.shape.join(", ")}] | ${t.role ?? "–"} | ${t.quantized ? "yes" : "no"} | ${t.sqnrDb === null ? (t.sqnrNote ?? "–") : f(t.sqnrDb)} | ${f(t.mse, 3)} | ${f(t.maxAbsError, 3)} | ${t.streamBytes ?? "–"} |`);
  if (r.notes.length > 0) L.push("", "## Notes", "", ...r.notes.map((n) => `- ${n}`));
  if (r.diagnostics.length > 0) L.push("", "## Diagnostics", "", ...r.diagnostics.map((d) => `- ${d.severity} [${d.source}/${d.ruleId}]${d.tensor ? ` ${d.tensor}:` : ""} ${d.message}`));
  return `${L.join("\n")}\n`;
}
