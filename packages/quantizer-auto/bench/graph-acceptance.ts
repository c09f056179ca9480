/**
 * Issue-11 acceptance on the committed tfjs GRAPH models (bench/graph-models, written by
 * make-graph-models.ts), measured only through the built product CLI:
 *
 *   node apps/runner/dist/cli.js compare --model <dir>/model.json --quantizers … --bits 8|4 \
 *     --evaluators size,fidelity:seed=9001,samples=64 --seed 0 --json --out <tmp>
 *   node apps/runner/dist/cli.js sensitivity <dir>/model.json --quantizer tfjs-affine --bits 8 --samples 64 --seed 9001 --json
 *
 * Inputs: `auto` calibrates on its own `samples` seeded uniform [0, 1) inputs drawn from the run
 * seed's `auto-calibration` stream (compare's --seed 0; the count is read from its `auto/summary`
 * diagnostic); the fidelity evaluator draws 64 others with its own seed 9001.
 * Sensitivity runs on the same 64 evaluation inputs (seed 9001).
 *
 * Sizes are the size evaluator's real byte counts: "bits/weight" = 8 · Σ quantized tensors' bytes
 * (coder stream + codebook share) / quantized weights; the container total (headers, float32
 * biases and batch-norm constants included) is listed beside it. `auto` at "the same size" as a
 * method gets `bytes` = that method's Σ tensor bytes less the coder's per-stream overhead (auto's
 * budget counts codes + codebooks only; the overhead is measured on the model's auto@8 cell as real
 * Σ tensor bytes − the rate auto reports); if auto's real Σ tensor bytes still come out larger
 * than the method's, its budget is lowered by the excess and it is run again (up to 3 runs), so
 * the compared auto is not larger (a remaining excess is flagged in the table).
 *
 *   pnpm --filter @quantforge/quantizer-auto bench:graph [model …]
 *
 * Writes results/graph-models.md (everything below the GENERATED marker; the narrative above it
 * is kept) and results/graph-models.json.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GRAPH_MODEL_NAMES } from "./make-graph-models.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = resolve(HERE, "..");
const REPO = resolve(PKG, "../..");
const CLI = join(REPO, "apps/runner/dist/cli.js");
const RESULTS_MD = join(PKG, "results/graph-models.md");
const RESULTS_JSON = join(PKG, "results/graph-models.json");
const MARKER = "<!-- GENERATED BELOW by `pnpm --filter @quantforge/quantizer-auto bench:graph`; the text above is kept on re-runs. -->";
const EVAL_SEED = 9001;
const EVAL_SAMPLES = 64;
const EVALUATORS = `size,fidelity:seed=${EVAL_SEED},samples=${EVAL_SAMPLES}`;
const RUN_SEED = 0;
/** Runs of auto per size target (the first, then budget corrections). */
const MAX_AUTO_RUNS = 5;

interface Method {
  readonly label: string;
  readonly spec: string;
}

/** One compare cell, reduced to what the report needs. */
interface Cell {
  readonly label: string;
  readonly spec: string;
  readonly bits: number;
  readonly ok: boolean;
  readonly error?: string;
  /** Σ quantized tensors' bytes (coder streams + codebook shares). */
  readonly tensorBytes?: number;
  readonly quantizedWeights?: number;
  /** 8 · tensorBytes / quantizedWeights. */
  readonly bitsPerWeight?: number;
  readonly containerBytes?: number;
  readonly worst?: number | null;
  readonly overall?: number | null;
  readonly perOutput?: Record<string, number | null>;
  readonly top1Agreement?: number | null;
  readonly autoSummary?: string;
  readonly autoChoices?: string[];
  readonly seconds?: number;
}

const METHODS_8: readonly Method[] = [
  { label: "tfjs-affine uint8 (tfjs-converter)", spec: "tfjs-affine:dtype=uint8" },
  { label: "rtn per tensor", spec: "rtn:granularity=tensor" },
  { label: "rtn per channel (axis -1)", spec: "rtn:granularity=channel,axis=-1" },
  { label: "rtn per input channel (axis -2)", spec: "rtn:granularity=channel,axis=-2" },
  { label: "rtn per output channel (axis=output)", spec: "rtn:granularity=channel,axis=output" },
  { label: "rtn per channel, axis by weight error (axis=best)", spec: "rtn:granularity=channel,axis=best" },
  { label: "rtn group32", spec: "rtn:granularity=group,groupSize=32" },
  { label: "rtn group128", spec: "rtn:granularity=group,groupSize=128" },
  { label: "uniform-mse per channel midtread", spec: "uniform-mse:granularity=channel,midtread=true" },
  { label: "auto, budget 8 bits/weight", spec: "auto" },
];
/** "Per channel" = per output channel in the model's layout (−1 for tfjs conv/dense, −2 for depthwise). */
const PER_CHANNEL_8 = "rtn per output channel (axis=output)";

const METHODS_4: readonly Method[] = [
  { label: "rtn per tensor", spec: "rtn:granularity=tensor" },
  { label: "rtn per output channel (axis=output)", spec: "rtn:granularity=channel,axis=output" },
  { label: "rtn per input channel (axis -2)", spec: "rtn:granularity=channel,axis=-2" },
  { label: "rtn group32", spec: "rtn:granularity=group,groupSize=32" },
  { label: "rtn group128", spec: "rtn:granularity=group,groupSize=128" },
  { label: "uniform-mse per tensor midtread", spec: "uniform-mse:granularity=tensor,midtread=true" },
  { label: "uniform-mse per channel midtread", spec: "uniform-mse:granularity=channel,midtread=true" },
  { label: "support-region layer (midrise)", spec: "support-region" },
  { label: "support-region layer midtread", spec: "support-region:midtread=true" },
  { label: "hessian-ecsq k-means per layer (no Hessian)", spec: "hessian-ecsq:mode=kmeans,importance=none,scope=layer" },
];

/** Runs the CLI from the repository root; resolves with exit code, stdout and stderr. */
function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "",
      stderr = "";
    p.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    p.on("error", rej);
    p.on("close", (code) => res({ code: code ?? 1, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

const commands: string[] = [];
const show = (args: readonly string[]) => `node ${relative(REPO, CLI)} ${args.map((a) => (/[^\w./=:,@-]/.test(a) ? `'${a}'` : a)).join(" ")}`;

interface CompareCellJson {
  quantizer: string;
  status: string;
  error?: { code?: string; message?: string } | string;
  seconds?: number;
  result?: {
    tensors: { name: string; count: number; bytes: number }[];
    summary: Record<string, number | null>;
    diagnostics?: { source?: string; ruleId?: string; message?: string; tensor?: string }[];
  };
}

/** One `compare` run of `methods` at `bits`; one Cell per method, in order. */
async function compare(model: string, methods: readonly Method[], bits: number, outputs: readonly string[]): Promise<Cell[]> {
  const out = await mkdtemp(join(tmpdir(), "qf-graph-acceptance-"));
  const args = [
    "compare",
    "--model",
    model,
    "--bits",
    String(bits),
    "--evaluators",
    EVALUATORS,
    "--seed",
    String(RUN_SEED),
    "--json",
    "--quiet",
    "--jobs",
    methods.length > 1 ? "2" : "1",
    "--out",
    out,
    ...methods.flatMap((m) => ["--quantizers", m.spec]),
  ];
  commands.push(show(args));
  const r = await cli(args);
  await rm(out, { recursive: true, force: true });
  let doc: { cells: CompareCellJson[] } | undefined;
  try {
    doc = JSON.parse(r.stdout) as { cells: CompareCellJson[] };
  } catch {
    /* reported below */
  }
  if (!doc) {
    // One rejected spec (e.g. an option this build does not know) fails the whole run: run each alone.
    if (methods.length > 1) {
      const cells: Cell[] = [];
      for (const m of methods) cells.push(...(await compare(model, [m], bits, outputs)));
      return cells;
    }
    const msg = (r.stderr.trim().split("\n")[0] ?? "") || `exit ${r.code}`;
    return methods.map((m) => ({ label: m.label, spec: m.spec, bits, ok: false, error: `compare failed: ${msg}` }));
  }
  if (doc.cells.length !== methods.length) throw new Error(`compare returned ${doc.cells.length} cells for ${methods.length} quantizers (${show(args)})`);
  return methods.map((m, i) => toCell(m, bits, doc.cells[i]!, outputs));
}

/** `outputs`: the model's output names (a single-output model's error has no per-output key). */
function toCell(m: Method, bits: number, c: CompareCellJson, outputs: readonly string[]): Cell {
  if (c.status !== "ok" || !c.result) {
    const e = typeof c.error === "string" ? c.error : `${c.error?.code ?? ""} ${c.error?.message ?? ""}`.trim();
    return { label: m.label, spec: m.spec, bits, ok: false, error: (e || c.status).split("\n")[0]! };
  }
  const s = c.result.summary;
  const tensorBytes = c.result.tensors.reduce((a, t) => a + t.bytes, 0);
  const quantizedWeights = c.result.tensors.reduce((a, t) => a + t.count, 0);
  const perOutput: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(s)) if (k.startsWith("outputRelError:")) perOutput[k.slice("outputRelError:".length)] = v;
  if (Object.keys(perOutput).length === 0 && s.outputRelError !== undefined) perOutput[outputs.length === 1 ? outputs[0]! : "output"] = s.outputRelError ?? null;
  const diags = c.result.diagnostics ?? [];
  const autoSummary = diags.find((d) => d.source === "auto" && d.ruleId === "summary")?.message;
  const autoChoices = diags.filter((d) => d.source === "auto" && d.ruleId === "choice").map((d) => d.message ?? "");
  return {
    label: m.label,
    spec: m.spec,
    bits,
    ok: true,
    tensorBytes,
    quantizedWeights,
    bitsPerWeight: (8 * tensorBytes) / quantizedWeights,
    containerBytes: s.bytes ?? undefined,
    worst: s.outputRelErrorWorst ?? null,
    overall: s.outputRelError ?? null,
    perOutput,
    top1Agreement: s.top1Agreement ?? null,
    ...(autoSummary ? { autoSummary, autoChoices } : {}),
    seconds: c.seconds,
  };
}

/**
 * Bytes the real coded tensors carry beyond what `auto`'s budget counts (the coder's per-stream
 * header and checksum): an auto cell's Σ tensor bytes minus the rate its `auto/summary`
 * diagnostic reports ("auto: <bits/weight> bits/weight"). 0 when unknown.
 */
function streamOverhead(c: Cell | undefined): number {
  const m = c?.autoSummary?.match(/^auto: ([\d.]+) bits\/weight/);
  if (!c?.ok || !m) return 0;
  return Math.max(0, Math.round(c.tensorBytes! - (Number(m[1]) * c.quantizedWeights!) / 8));
}

/**
 * `auto` with a bytes budget equal to each target's Σ tensor bytes less the stream `overhead`,
 * never larger than the target: over-target results are re-run with the budget lowered by their
 * excess (up to {@link MAX_AUTO_RUNS} runs).
 */
async function autoAtSizes(model: string, targets: readonly number[], bits: number, overhead: number, outputs: readonly string[]): Promise<Map<number, Cell>> {
  const result = new Map<number, Cell>();
  // + 8 bytes of slack for per-stream byte rounding (a method's own codes can need a few bytes
  // more than auto's estimate of the overhead); results over the target are re-run lower below.
  let pending = [...new Set(targets)].map((t) => ({ target: t, budget: Math.max(1, t - overhead + 8) }));
  for (let round = 0; round < MAX_AUTO_RUNS && pending.length > 0; round++) {
    const cells = await compare(
      model,
      pending.map((p) => ({ label: `auto, bytes=${p.budget}`, spec: `auto:bytes=${p.budget}` })),
      bits,
      outputs,
    );
    const next: typeof pending = [];
    pending.forEach((p, i) => {
      const c = cells[i]!;
      result.set(p.target, c);
      // A lower budget can change the choice and its stream overhead: later rounds step down further.
      if (c.ok && c.tensorBytes! > p.target) next.push({ target: p.target, budget: Math.max(1, p.budget - Math.ceil(c.tensorBytes! - p.target) - 4 * round) });
    });
    pending = next;
  }
  return result;
}

interface SensitivityJson {
  quantizer: string;
  samples: number;
  source: string;
  rows: { rank: number; tensor: string; count: number; outputRelErrorWorst: { value: number | null }; share: number | null; sqnrDb: { value: number | null } }[];
  allTogether: { value: number | null };
}

async function sensitivity(model: string, quantizer: string, options: readonly string[]): Promise<SensitivityJson | { error: string }> {
  const args = ["sensitivity", model, "--quantizer", quantizer, "--bits", "8", ...options.flatMap((o) => ["--option", o]), "--samples", String(EVAL_SAMPLES), "--seed", String(EVAL_SEED), "--json"];
  commands.push(show(args));
  const r = await cli(args);
  try {
    return JSON.parse(r.stdout) as SensitivityJson;
  } catch {
    return { error: (r.stderr.trim().split("\n")[0] ?? "") || `exit ${r.code}` };
  }
}

const e3 = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toExponential(3));
const f3 = (v: number | undefined) => (v === undefined ? "—" : v.toFixed(3));

interface ModelReport {
  name: string;
  description: string;
  quantizedWeights?: number;
  eight: Cell[];
  autoAtPerChannelSize?: Cell;
  four: { single: Cell; auto?: Cell }[];
  autoAt4?: Cell;
  sensitivity: { quantizer: string; report: SensitivityJson | { error: string } }[];
  checks: Record<string, unknown>;
}

async function runModel(name: string): Promise<ModelReport> {
  const dir = join(PKG, "bench/graph-models", name);
  const model = relative(REPO, join(dir, "model.json"));
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as { userDefinedMetadata?: { description?: string }; signature?: { outputs?: Record<string, unknown> } };
  const outputs = Object.keys(json.signature?.outputs ?? {});
  const description = json.userDefinedMetadata?.description ?? "";
  console.error(`[${name}] 8-bit methods`);
  const eight = await compare(model, METHODS_8, 8, outputs);
  const ch = eight.find((c) => c.label === PER_CHANNEL_8);
  const overhead = streamOverhead(eight.find((c) => c.spec === "auto"));
  let autoAtPerChannelSize: Cell | undefined;
  if (ch?.ok) {
    console.error(`[${name}] auto at per-channel 8-bit's size (${ch.tensorBytes} B)`);
    autoAtPerChannelSize = (await autoAtSizes(model, [ch.tensorBytes!], 8, overhead, outputs)).get(ch.tensorBytes!);
  }
  console.error(`[${name}] 4-bit single methods`);
  const singles = await compare(model, METHODS_4, 4, outputs);
  const targets = singles.filter((c) => c.ok).map((c) => c.tensorBytes!);
  console.error(`[${name}] auto at each single's size (${targets.length} budgets) and at 4 bits/weight`);
  const autos = targets.length > 0 ? await autoAtSizes(model, targets, 4, overhead, outputs) : new Map<number, Cell>();
  const [autoAt4] = await compare(model, [{ label: "auto, budget 4 bits/weight", spec: "auto" }], 4, outputs);
  console.error(`[${name}] sensitivity`);
  const sens = [
    { quantizer: "tfjs-affine uint8", report: await sensitivity(model, "tfjs-affine", ["dtype=uint8"]) },
    { quantizer: "rtn per output channel 8-bit", report: await sensitivity(model, "rtn", ["granularity=channel", "axis=output"]) },
  ];
  const base = eight.find((c) => c.label.startsWith("tfjs-affine"));
  const a8 = eight.find((c) => c.spec === "auto");
  const ratio = (c?: Cell) => (base?.ok && c?.ok && base.worst && c.worst ? base.worst / c.worst : null);
  const four = singles.map((s) => ({ single: s, ...(s.ok ? { auto: autos.get(s.tensorBytes!) } : {}) }));
  const checks = {
    tfjsAffineOverPerChannel: ratio(ch),
    perChannelAtLeast5x: ratio(ch) === null ? null : ratio(ch)! >= 5,
    ratiosByMethod: Object.fromEntries(eight.filter((c) => c.ok && c !== base).map((c) => [c.label, ratio(c)])),
    auto8AtMostPerChannel: a8?.ok && ch?.ok ? a8.worst! <= ch.worst! : null,
    autoAtPerChannelSizeAtMostPerChannel: autoAtPerChannelSize?.ok && ch?.ok ? autoAtPerChannelSize.worst! <= ch.worst! : null,
    autoLowerAt4: four
      .filter((r) => r.single.ok && r.auto?.ok)
      .map((r) => ({ method: r.single.label, single: r.single.worst, auto: r.auto!.worst, lower: r.auto!.worst! <= r.single.worst!, autoNotLarger: r.auto!.tensorBytes! <= r.single.tensorBytes! })),
  };
  return { name, description, quantizedWeights: eight.find((c) => c.ok)?.quantizedWeights, eight, ...(autoAtPerChannelSize ? { autoAtPerChannelSize } : {}), four, ...(autoAt4 ? { autoAt4 } : {}), sensitivity: sens, checks };
}

function outputsOf(cells: readonly (Cell | undefined)[]): string[] {
  const names = new Set<string>();
  for (const c of cells) for (const k of Object.keys(c?.perOutput ?? {})) names.add(k);
  return [...names];
}

function markdown(r: ModelReport): string {
  const L: string[] = [];
  const outs = outputsOf([...r.eight, r.autoAtPerChannelSize, ...r.four.map((x) => x.single), r.autoAt4]);
  L.push(`### ${r.name}`, "", r.description, "", `${r.quantizedWeights ?? "?"} quantized weights (kernels; biases and batch-norm constants stay float32).`, "");
  L.push("**8 bits**", "", `| method | bits/weight | container bytes | worst-output rel. error | ${outs.join(" | ")} | tfjs-affine ÷ this |`, `|---|---:|---:|---:|${outs.map(() => "---:|").join("")}---:|`);
  const base = r.eight.find((c) => c.label.startsWith("tfjs-affine"));
  const row = (c: Cell) => {
    if (!c.ok) return `| ${c.label} | — | — | failed: ${c.error} |${outs.map(() => " |").join("")} |`;
    const ratio = base?.ok && base.worst && c.worst ? (base.worst / c.worst).toFixed(1) + "×" : "—";
    return `| ${c.label} | ${f3(c.bitsPerWeight)} | ${c.containerBytes ?? "—"} | ${e3(c.worst)} | ${outs.map((o) => e3(c.perOutput?.[o])).join(" | ")} | ${ratio} |`;
  };
  for (const c of r.eight) L.push(row(c));
  if (r.autoAtPerChannelSize) L.push(row({ ...r.autoAtPerChannelSize, label: `auto at per-channel 8-bit's size (${r.autoAtPerChannelSize.spec})` }));
  const k = r.checks as { tfjsAffineOverPerChannel: number | null; auto8AtMostPerChannel: boolean | null; autoAtPerChannelSizeAtMostPerChannel: boolean | null };
  L.push(
    "",
    `tfjs-affine uint8 ÷ rtn per output channel 8-bit, worst-output error: **${k.tfjsAffineOverPerChannel === null ? "—" : k.tfjsAffineOverPerChannel.toFixed(1) + "×"}** (target ≥ 5×: ${k.tfjsAffineOverPerChannel === null ? "—" : k.tfjsAffineOverPerChannel >= 5 ? "met" : "not met"}); auto @ 8 bits/weight ≤ per channel: **${k.auto8AtMostPerChannel ?? "—"}**; auto at per-channel's size ≤ per channel: **${k.autoAtPerChannelSizeAtMostPerChannel ?? "—"}**.`,
    "",
  );
  for (const s of r.sensitivity) {
    L.push(`Sensitivity, ${s.quantizer} (one tensor quantized at a time, ${EVAL_SAMPLES} inputs, seed ${EVAL_SEED}):`, "");
    if ("error" in s.report) {
      L.push(`failed: ${s.report.error}`, "");
      continue;
    }
    L.push("| rank | tensor | weights | worst-output rel. error alone | share of error² | tensor SQNR dB |", "|---:|---|---:|---:|---:|---:|");
    for (const x of s.report.rows.slice(0, 5))
      L.push(`| ${x.rank} | ${x.tensor} | ${x.count} | ${e3(x.outputRelErrorWorst.value)} | ${x.share === null ? "—" : (100 * x.share).toFixed(1) + " %"} | ${x.sqnrDb.value === null ? "—" : x.sqnrDb.value.toFixed(2)} |`);
    L.push("", `all tensors together: ${e3(s.report.allTogether.value)}`, "");
  }
  L.push(
    "**4 bits: each single method vs `auto` with a bytes budget equal to its real size**",
    "",
    "| single method (4-bit) | its bits/weight | its worst error | auto bits/weight | auto worst error | auto lower? |",
    "|---|---:|---:|---:|---:|---|",
  );
  for (const { single: s, auto: a } of r.four) {
    if (!s.ok) {
      L.push(`| ${s.label} | — | failed: ${s.error} | | | |`);
      continue;
    }
    if (!a?.ok) {
      L.push(`| ${s.label} | ${f3(s.bitsPerWeight)} | ${e3(s.worst)} | — | ${a ? `failed: ${a.error}` : "—"} | — |`);
      continue;
    }
    const note = a.tensorBytes! > s.tensorBytes! ? " (auto larger!)" : "";
    L.push(`| ${s.label} | ${f3(s.bitsPerWeight)} | ${e3(s.worst)} | ${f3(a.bitsPerWeight)} | ${e3(a.worst)} | ${a.worst! <= s.worst! ? "yes" : "**no**"}${note} |`);
  }
  if (r.autoAt4)
    L.push(
      "",
      `auto, budget 4 bits/weight: ${r.autoAt4.ok ? `${f3(r.autoAt4.bitsPerWeight)} bits/weight, worst ${e3(r.autoAt4.worst)} (${outs.map((o) => `${o} ${e3(r.autoAt4!.perOutput?.[o])}`).join(", ")})` : `failed: ${r.autoAt4.error}`}.`,
    );
  const choices = (c?: Cell) => (c?.autoChoices?.length ? c.autoChoices.map((m) => `  - ${m}`).join("\n") : "");
  const a8 = r.eight.find((c) => c.spec === "auto");
  if (a8?.autoChoices?.length) L.push("", "auto @ 8 bits/weight chose:", "", choices(a8));
  if (r.autoAt4?.autoChoices?.length) L.push("", "auto @ 4 bits/weight chose:", "", choices(r.autoAt4));
  L.push("");
  return L.join("\n");
}

/** What auto calibrated on, from its summary diagnostics ("… on 256 random samples."). */
function autoCalibration(reports: readonly ModelReport[]): string {
  const seen = new Set<string>();
  for (const r of reports)
    for (const c of [...r.eight, r.autoAt4]) {
      const m = c?.autoSummary?.match(/on (\d+) (\w+) samples/);
      if (m) seen.add(`${m[1]} ${m[2]} samples`);
    }
  return seen.size > 0 ? [...seen].join(" / ") : "unknown (no auto summary)";
}

async function sha(path: string): Promise<string> {
  return existsSync(path)
    ? createHash("sha256")
        .update(await readFile(path))
        .digest("hex")
        .slice(0, 16)
    : "missing";
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the runner first (pnpm turbo run build --filter=@quantforge/runner...).`);
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...GRAPH_MODEL_NAMES];
  const t0 = performance.now();
  const reports: ModelReport[] = [];
  for (const n of names) reports.push(await runModel(n));
  const autoDist = join(REPO, "packages/quantizer-auto/dist/auto-quantizer.js");
  const meta = {
    date: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    cli: relative(REPO, CLI),
    autoDist: { sha256_16: await sha(autoDist), mtime: existsSync(autoDist) ? (await stat(autoDist)).mtime.toISOString() : null },
    evaluation: { fidelitySeed: EVAL_SEED, fidelitySamples: EVAL_SAMPLES, runSeed: RUN_SEED, autoCalibration: autoCalibration(reports) },
  };
  await mkdir(dirname(RESULTS_MD), { recursive: true });
  await writeFile(RESULTS_JSON, `${JSON.stringify({ meta, commands, models: reports }, null, 1)}\n`);
  const prev = existsSync(RESULTS_MD) ? await readFile(RESULTS_MD, "utf8") : "";
  const head = prev.includes(MARKER) ? prev.slice(0, prev.indexOf(MARKER)) : "# Issue-11 acceptance on tfjs graph models\n\n(narrative to be written)\n\n";
  const body = [
    MARKER,
    "",
    `Measured ${meta.date} with the built CLI (\`${meta.cli}\`; auto = dist/auto-quantizer.js sha256 ${meta.autoDist.sha256_16}…, built ${meta.autoDist.mtime}); ${meta.seconds.toFixed(0)} s in all.`,
    `Evaluation: fidelity on ${EVAL_SAMPLES} seeded uniform [0, 1) inputs, seed ${EVAL_SEED} — not the inputs \`auto\` calibrates on (${meta.evaluation.autoCalibration}, run seed ${RUN_SEED}, auto's own calibration stream). Bits/weight = 8 · Σ quantized tensors' bytes (coder stream + codebook share, size evaluator) / quantized weights; fixed-length coder.`,
    "",
    "## Summary",
    "",
    `| model | tfjs-affine ÷ per-output-channel @8 | ≥ 5×? | best 8-bit method (÷) | auto@8 ≤ per-channel? | auto@per-channel size ≤ per-channel? | auto lower at 4 bits (pairs) |`,
    "|---|---:|---|---|---|---|---|",
    ...reports.map((r) => {
      const k = r.checks as {
        tfjsAffineOverPerChannel: number | null;
        ratiosByMethod: Record<string, number | null>;
        auto8AtMostPerChannel: boolean | null;
        autoAtPerChannelSizeAtMostPerChannel: boolean | null;
        autoLowerAt4: { lower: boolean }[];
      };
      const best = Object.entries(k.ratiosByMethod)
        .filter(([, v]) => v !== null)
        .sort((a, b) => b[1]! - a[1]!)[0];
      return `| ${r.name} | ${k.tfjsAffineOverPerChannel === null ? "—" : k.tfjsAffineOverPerChannel.toFixed(1) + "×"} | ${k.tfjsAffineOverPerChannel === null ? "—" : k.tfjsAffineOverPerChannel >= 5 ? "yes" : "no"} | ${best ? `${best[0]} (${best[1]!.toFixed(1)}×)` : "—"} | ${k.auto8AtMostPerChannel ?? "—"} | ${k.autoAtPerChannelSizeAtMostPerChannel ?? "—"} | ${k.autoLowerAt4.filter((x) => x.lower).length}/${k.autoLowerAt4.length} |`;
    }),
    "",
    "## Per model",
    "",
    ...reports.map(markdown),
    "## Commands",
    "",
    "```sh",
    ...commands,
    "```",
    "",
  ].join("\n");
  await writeFile(RESULTS_MD, head + body);
  console.error(`wrote ${relative(REPO, RESULTS_MD)} and ${relative(REPO, RESULTS_JSON)} (${meta.seconds.toFixed(0)} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
