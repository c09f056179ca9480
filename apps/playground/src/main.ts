import { bestByRanking, cellPoints, compareCharts, fmtRel, outputErrorChart, rankingOf, type ChartSpec } from "@quantforge/report";
import type { CompareCell } from "@quantforge/core/host";
import sampleJson from "../../../packages/model-tfjs/models/mnist-mlp/model.json?url";
import sampleBin from "../../../packages/model-tfjs/models/mnist-mlp/weights.bin?url";
import { embedCharts } from "./chart.js";
import { loadInput, type InputSource, type LoadedInput } from "./inputs.js";
import type { CellMessage, CellOutput, RunRequest } from "./protocol.js";

/** The playground page: choices, the worker's compare, rows, chart and downloads. */
const METHODS = ["rtn", "uniform-mse", "support-region", "hessian-ecsq", "auto"];
const BITS = [2, 3, 4, 6, 8];
const CODERS = ["fixed", "huffman"];
const DEFAULT_BITS = [2, 4, 8];

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
function checks(id: string, values: readonly (string | number)[], on: readonly (string | number)[]): void {
  const box = $(`#${id}`);
  for (const v of values) {
    const l = document.createElement("label");
    l.innerHTML = `<input type="checkbox" value="${v}" ${on.includes(v) ? "checked" : ""}/> ${v}`;
    box.append(l);
  }
}
const checked = (id: string) => [...document.querySelectorAll<HTMLInputElement>(`#${id} input:checked`)].map((i) => i.value);
checks("methods", METHODS, METHODS);
checks("bits", BITS, DEFAULT_BITS);
checks("coders", CODERS, CODERS);

let files: File[] | null = null;
let useSample = false;
let worker: Worker | null = null;
let cells: CompareCell[] = [];
let rows: HTMLTableRowElement[] = [];
/** The run's input, loaded on this thread only when a tfjs or ONNX download is asked for. */
let runSource: InputSource | null = null;
let runInput: Promise<LoadedInput> | null = null;
const input = $<HTMLInputElement>("[data-testid=model-input]");
input.addEventListener("change", () => {
  files = [...(input.files ?? [])];
  useSample = false;
  $("#model-name").textContent = files.map((f) => f.name).join(", ");
});
$("[data-testid=sample-mnist-mlp]").addEventListener("click", () => {
  useSample = true;
  files = null;
  $("#model-name").textContent = "mnist-mlp (embedded sample)";
});

function panel(e: { code: string; message: string }, kind: "error" | "notice"): void {
  const d = document.createElement("div");
  d.className = kind;
  d.dataset.testid = kind;
  d.textContent = `${e.code}: ${e.message}`;
  $("#errors").append(d);
}

let chartSeq = 0;
let views: { finalize(): void }[] = [];
/** The ranked chart first: model-output error when fidelity was measured, then weight SQNR (interactive, see chart.ts). */
async function drawChart(): Promise<void> {
  const seq = ++chartSeq;
  const points = cellPoints(cells);
  const specs = [outputErrorChart(points), compareCharts(points)[0]].filter((c): c is ChartSpec => Boolean(c));
  const box = document.createElement("div");
  const made = await embedCharts(box, specs);
  if (seq !== chartSeq) {
    for (const v of made) v.finalize();
    return;
  }
  for (const v of views) v.finalize();
  views = made;
  $("#chart").replaceChildren(...box.childNodes);
}

/** Marks the best cell of each bit rate by the CLI's ranking (fidelity when measured, else SQNR). */
function markBest(): void {
  const points = cellPoints(cells);
  const r = rankingOf(points);
  bestByRanking(points, r).forEach((b, i) => rows[i]?.classList.toggle("best", b));
  $("#rank-note").textContent = `★ best of each bit rate by ${r.label}.`;
}

function link(text: string, testid: string, name: string, bytes: Uint8Array): HTMLAnchorElement {
  const a = document.createElement("a");
  a.dataset.testid = testid;
  a.textContent = text;
  a.download = name;
  a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
  a.style.marginRight = "0.6rem";
  return a;
}

/**
 * A link that rewrites the cell's `.qf` in the input's own format on click, then downloads it:
 * a zipped tfjs model (see export-tfjs.ts) or an `onnx-qdq` `.onnx` (see export-onnx.ts).
 */
function exportLink(c: CompareCell, qf: Uint8Array, tr: HTMLTableRowElement, format: "tfjs" | "onnx"): HTMLAnchorElement {
  const a = document.createElement("a");
  a.dataset.testid = "download";
  a.textContent = format === "tfjs" ? "download tfjs (.zip)" : "download onnx-qdq (.onnx)";
  a.href = "#";
  a.style.marginRight = "0.6rem";
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the handler catches its own errors (try/catch below)
  a.addEventListener("click", async (ev) => {
    ev.preventDefault();
    try {
      runInput ??= loadInput(runSource!);
      const inp = await runInput;
      const stem = `${c.quantizer}-${c.bits}bit-${c.coder}`;
      let name: string, bytes: Uint8Array;
      if (format === "tfjs") {
        const { tfjsDownload } = await import("./export-tfjs.js");
        const d = await tfjsDownload(inp.tfjs!, inp.weights, qf);
        tr.dataset.downloadTarget = d.target;
        [name, bytes] = [`${stem}.${d.target}.zip`, d.zip];
      } else {
        const { onnxDownload } = await import("./export-onnx.js");
        const d = await onnxDownload(inp.onnx!, qf);
        tr.dataset.downloadTarget = "onnx-qdq";
        // How many tensors are uint8 + DequantizeLinear, and how many DequantizeLinear cannot express (decoded floats).
        tr.dataset.qdqTensors = String(d.qdq.length);
        tr.dataset.floatFallback = String(d.floatFallback.length);
        [name, bytes] = [`${stem}.onnx-qdq.onnx`, d.bytes];
      }
      const tmp = link("", "", name, bytes);
      document.body.append(tmp);
      tmp.click();
      tmp.remove();
    } catch (e) {
      panel({ code: (e as { code?: string }).code ?? "QF_INTERNAL", message: (e as Error).message }, "error");
    }
  });
  return a;
}

function addRow(c: CompareCell, format: string, qf?: Uint8Array, outputs?: CellOutput[]): void {
  const tr = document.createElement("tr");
  tr.dataset.testid = "result-row";
  const s = c.result?.summary;
  const f = (v: unknown, d = 3) => (typeof v === "number" ? v.toFixed(d) : "—");
  const rel = typeof s?.outputRelErrorWorst === "number" ? s.outputRelErrorWorst : null;
  tr.innerHTML = `<td>${c.quantizer}</td><td>${c.bits}</td><td>${c.coder}</td><td>${f(s?.bitsPerWeight)}</td><td>${f(s?.sqnrDb, 2)}</td><td>${rel === null ? "—" : fmtRel(rel)}</td><td>${f(s?.top1Agreement)}</td><td>${String(s?.bytes ?? "—")}</td><td>${c.seconds.toFixed(2)}</td><td></td>`;
  // For checks: the exact numbers behind the rounded cells, and the decoded model's outputs.
  if (rel !== null) tr.dataset.outputRelError = String(rel);
  if (typeof s?.sqnrDb === "number") tr.dataset.sqnrDb = String(s.sqnrDb);
  if (outputs) tr.dataset.outputs = JSON.stringify(outputs.map((o) => ({ name: o.name, shape: o.shape, data: Array.from(o.data) })));
  const last = tr.cells[9]!;
  if (c.error) last.textContent = `${c.error.code}: ${c.error.message}`;
  if (qf) {
    const name = `${c.quantizer}-${c.bits}bit-${c.coder}.qf`;
    if (format === "tfjs" || format === "onnx") last.append(exportLink(c, qf, tr, format), link("download .qf", "download-qf", name, qf));
    else last.append(link("download .qf", "download", name, qf));
  }
  $("#rows").append(tr);
  rows.push(tr);
}

function finish(status: string): void {
  worker?.terminate();
  worker = null;
  $<HTMLButtonElement>("[data-testid=run]").disabled = false;
  $<HTMLButtonElement>("[data-testid=cancel]").disabled = true;
  $("#status").textContent = status;
}

$("[data-testid=run]").addEventListener("click", () => {
  $("#errors").replaceChildren();
  if (!useSample && !files?.length) return panel({ code: "QF_USAGE", message: "choose a model first: select files or press the mnist-mlp sample." }, "error");
  $("#rows").replaceChildren();
  chartSeq++;
  for (const v of views) v.finalize();
  views = [];
  $("#chart").replaceChildren();
  $("#fidelity-note").textContent = "";
  cells = [];
  rows = [];
  runSource = useSample ? { sample: { modelJson: new URL(sampleJson, location.href).href, weights: new URL(sampleBin, location.href).href } } : { files: files! };
  runInput = null;
  const req: RunRequest = { source: runSource, methods: checked("methods"), bits: checked("bits").map(Number), coders: checked("coders"), modelAware: $<HTMLInputElement>("[data-testid=model-aware]").checked };
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const bar = $<HTMLProgressElement>("[data-testid=progress]");
  bar.value = 0;
  $<HTMLButtonElement>("[data-testid=run]").disabled = true;
  $<HTMLButtonElement>("[data-testid=cancel]").disabled = false;
  $("#status").textContent = "loading…";
  let format = "tfjs";
  worker.onmessage = (ev: MessageEvent<CellMessage>) => {
    const m = ev.data;
    if (m.type === "loaded") {
      format = m.format;
      $("#status").textContent = `${m.title}: ${m.tensors} tensors, ${m.params} weights (${format})`;
      if (m.fidelity) $("#fidelity-note").textContent = `Model outputs measured on ${m.fidelity}.`;
    } else if (m.type === "notice") panel(m.error, "notice");
    else if (m.type === "cell") {
      cells.push(m.cell);
      bar.value = (m.index + 1) / m.total;
      addRow(m.cell, format, m.qf, m.outputs);
      markBest();
      void drawChart();
    } else if (m.type === "done") finish(`done in ${m.seconds.toFixed(2)} s`);
    else {
      panel(m.error, "error");
      finish("failed");
    }
  };
  worker.onerror = (e) => {
    panel({ code: "QF_INTERNAL", message: e.message }, "error");
    finish("failed");
  };
  worker.postMessage(req);
});
$("[data-testid=cancel]").addEventListener("click", () => finish("cancelled"));
