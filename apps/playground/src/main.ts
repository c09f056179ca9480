import { cellPoints, compareCharts, renderSvg } from "@quantforge/report";
import type { CompareCell } from "@quantforge/core";
import sampleJson from "../../../packages/model-tfjs/models/mnist-mlp/model.json?url";
import sampleBin from "../../../packages/model-tfjs/models/mnist-mlp/weights.bin?url";
import type { CellMessage, RunRequest } from "./protocol.js";

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
let format = "tfjs";
const input = $<HTMLInputElement>("[data-testid=model-input]");
input.addEventListener("change", () => { files = [...(input.files ?? [])]; useSample = false; $("#model-name").textContent = files.map((f) => f.name).join(", "); });
$("[data-testid=sample-mnist-mlp]").addEventListener("click", () => { useSample = true; files = null; $("#model-name").textContent = "mnist-mlp (embedded sample)"; });

function showError(e: { code: string; message: string }): void {
  const d = document.createElement("div");
  d.className = "error";
  d.dataset.testid = "error";
  d.textContent = `${e.code}: ${e.message}`;
  $("#errors").append(d);
}

let chartSeq = 0;
async function drawChart(): Promise<void> {
  const seq = ++chartSeq;
  const spec = compareCharts(cellPoints(cells))[0];
  if (!spec) return;
  const svg = await renderSvg(spec.spec as never);
  if (seq === chartSeq) $("#chart").innerHTML = svg;
}

function addRow(c: CompareCell, qf?: Uint8Array): void {
  const tr = document.createElement("tr");
  tr.dataset.testid = "result-row";
  const s = c.result?.summary;
  const f = (v: unknown, d = 3) => (typeof v === "number" ? v.toFixed(d) : "—");
  tr.innerHTML = `<td>${c.quantizer}</td><td>${c.bits}</td><td>${c.coder}</td><td>${f(s?.bitsPerWeight)}</td><td>${f(s?.sqnrDb, 2)}</td><td>${s?.bytes ?? "—"}</td><td>${c.seconds.toFixed(2)}</td><td></td>`;
  if (c.error) tr.cells[7]!.textContent = `${c.error.code}: ${c.error.message}`;
  if (qf) {
    const a = document.createElement("a");
    a.dataset.testid = "download";
    a.textContent = "download .qf";
    a.download = `${c.quantizer}-${c.bits}bit-${c.coder}.qf`;
    a.href = URL.createObjectURL(new Blob([qf as BlobPart], { type: "application/octet-stream" }));
    tr.cells[7]!.append(a);
  }
  $("#rows").append(tr);
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
  if (!useSample && !files?.length) return showError({ code: "QF_USAGE", message: "choose a model first: select files or press the mnist-mlp sample." });
  $("#rows").replaceChildren();
  $("#chart").replaceChildren();
  cells = [];
  const req: RunRequest = {
    ...(useSample ? { sample: { modelJson: new URL(sampleJson, location.href).href, weights: new URL(sampleBin, location.href).href } } : { files: files! }),
    methods: checked("methods"), bits: checked("bits").map(Number), coders: checked("coders"),
  };
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const bar = $<HTMLProgressElement>("[data-testid=progress]");
  bar.value = 0;
  $<HTMLButtonElement>("[data-testid=run]").disabled = true;
  $<HTMLButtonElement>("[data-testid=cancel]").disabled = false;
  $("#status").textContent = "loading…";
  worker.onmessage = (ev: MessageEvent<CellMessage>) => {
    const m = ev.data;
    if (m.type === "loaded") { format = m.format; $("#status").textContent = `${m.title}: ${m.tensors} tensors, ${m.params} weights (${format})`; }
    else if (m.type === "cell") { cells.push(m.cell); bar.value = (m.index + 1) / m.total; addRow(m.cell, m.qf); void drawChart(); }
    else if (m.type === "done") finish(`done in ${m.seconds.toFixed(2)} s`);
    else { showError(m.error); finish("failed"); }
  };
  worker.onerror = (e) => { showError({ code: "QF_INTERNAL", message: e.message }); finish("failed"); };
  worker.postMessage(req);
});
$("[data-testid=cancel]").addEventListener("click", () => finish("cancelled"));
