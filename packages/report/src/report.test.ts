import { describe, expect, it } from "vitest";
import { mismatchSqnrDb } from "@quantforge/theory-laplacian";
import { compareCharts, laplacianReferences, laplacianSlbDb, SLB_LABEL, UNIFORM_LABEL } from "./charts.js";
import { csvField, renderCsv } from "./csv.js";
import { escapeHtml, heatColor, renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { bestInGroup, cellPoints, paretoFront, rateGroup, type CellPoint } from "./points.js";
import { bestByRanking, flaggedOutputs, rankingOf } from "./ranking.js";
import { fidelityTable, heatTable, resultsTable } from "./tables.js";
import { fixtureDocument, sampleDocument } from "./__tests__/fixture.js";

const doc = await sampleDocument();

/** Brute-force Pareto front: points no other point beats in both x (≤) and y (≥, one strictly). */
function bruteFront(ps: { x: number; y: number }[]): { x: number; y: number }[] {
  return ps
    .filter((p) => !ps.some((q) => q !== p && q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y)))
    .filter((p, i, all) => all.findIndex((q) => q.x === p.x && q.y === p.y) === i)
    .sort((a, b) => a.x - b.x);
}

describe("points", () => {
  it("finds the Pareto front (smaller x, larger y) like a brute-force check", () => {
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 50; trial++) {
      const ps = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => ({ x: Math.floor(rnd() * 6), y: Math.floor(rnd() * 6) }));
      expect(
        paretoFront(
          ps,
          (p) => p.x,
          (p) => p.y,
        ).map((p) => [p.x, p.y]),
      ).toEqual(bruteFront(ps).map((p) => [p.x, p.y]));
    }
    expect(
      paretoFront(
        [
          { x: null, y: 1 },
          { x: 1, y: null },
        ],
        (p) => p.x,
        (p) => p.y,
      ),
    ).toEqual([]);
  });

  it("groups by the nominal bit rate and marks the best per group", () => {
    const pts = cellPoints(doc.cells);
    expect(pts.map((p) => p.rate)).toEqual([2, 3, 4, 6, 2, 3, 4, 6, 3]);
    expect(pts[8]).toMatchObject({ status: "failed", error: "QF_INTERNAL: deliberately broken", label: "broken", point: "bits=3" });
    const best = bestInGroup(pts, (p) => p.sqnrDb, "max");
    // uniform-mse's MSE-optimal support beats min/max rtn at low rates on Laplacian data.
    expect(best.slice(0, 3)).toEqual([false, false, false]);
    expect(best.slice(4, 7)).toEqual([true, true, true]);
    // Exactly one best per rate group (no ties here); a failed cell is never best.
    for (const r of [2, 3, 4, 6]) expect(pts.filter((p, i) => best[i] && p.rate === r)).toHaveLength(1);
    expect(best[8]).toBe(false);
    const at6 = pts.filter((p) => p.rate === 6).map((p) => p.sqnrDb!);
    expect(pts.find((p, i) => best[i] && p.rate === 6)!.sqnrDb).toBe(Math.max(...at6));
    // Cells without a bit axis are grouped by their bits/weight (rounded).
    const swept = { ...doc.cells[0]!, bits: null, options: {}, sweep: { step: 0.1 } };
    expect(rateGroup(swept)).toBe(Math.round(doc.cells[0]!.result!.summary.bitsPerWeight as number));
    expect(rateGroup({ ...swept, options: { bits: 5 } })).toBe(5);
  });
});

describe("charts", () => {
  it("plots every ok cell, one line per method, the Pareto front, and labelled references", () => {
    const pts = cellPoints(doc.cells);
    const charts = compareCharts(pts);
    expect(charts.map((c) => c.id)).toEqual(["sqnr", "accuracy-bits", "accuracy-size", "normalized"]);
    const ok = pts.filter((p) => p.status === "ok");
    for (const c of charts) expect(c.counts).toMatchObject({ series: 2, cells: 8 });
    const sqnr = charts[0]!;
    expect(sqnr.counts.pareto).toBe(bruteFront(ok.map((p) => ({ x: p.bitsPerWeight!, y: p.sqnrDb! }))).length);
    expect(sqnr.counts.references).toBe(0);
    const norm = charts[3]!;
    expect(norm.counts.references).toBe(2);
    const rows = (norm.spec as { data: { values: { series: string; x: number; y: number }[] } }).data.values;
    expect(rows.filter((r) => r.series === SLB_LABEL).map((r) => r.x)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(rows.find((r) => r.series === UNIFORM_LABEL && r.x === 4)!.y).toBe(mismatchSqnrDb(4, 1, "optimal"));
    // The bound sits above every measured σ-normalised point of the same rate.
    for (const p of ok) expect(p.normSqnrDb!).toBeLessThan(laplacianSlbDb(p.normBitsPerWeight!));
  });

  it("computes the Laplacian references: SLB = 6.02·R + 10·log10(π/e); uniform below it", () => {
    expect(laplacianSlbDb(1)).toBeCloseTo(6.0206 + 0.6285, 3);
    const r = laplacianReferences(1.6, 3.2);
    expect(r.slb.map((v) => v.bits)).toEqual([1, 2, 3, 4]);
    r.uniform.forEach((u, i) => expect(u.sqnrDb).toBeLessThan(r.slb[i]!.sqnrDb));
    expect(r.uniform[1]!.sqnrDb).toBeCloseTo(7.07, 1); // the 2-bit optimal uniform for a Laplacian (≈ 7.07 dB)
  });

  it("leaves out charts without data", () => {
    const pts = cellPoints(doc.cells).map((p): CellPoint => ({ ...p, accuracy: null, floatAccuracy: null }));
    expect(compareCharts(pts).map((c) => c.id)).toEqual(["sqnr", "normalized"]);
    expect(compareCharts(pts.filter((p) => p.status === "failed"))).toEqual([]);
  });
});

describe("tables", () => {
  it("bolds the best value per bit rate in the Markdown table and lists failures", () => {
    // Weights only (no model-output metric): every metric column marks its best, SQNR included.
    // (Issue 15 changed this: with accuracy or fidelity only that column is marked, see below.)
    const weightsOnly = {
      ...doc,
      cells: doc.cells.map((c) => (c.result ? { ...c, result: { ...c.result, summary: Object.fromEntries(Object.entries(c.result.summary).filter(([k]) => !/ccuracy|agreement/.test(k))) as typeof c.result.summary } } : c)),
    };
    const md = renderMarkdown(weightsOnly);
    const lines = md.split("\n");
    expect(lines[0]).toBe("# quantforge compare — weights <fixture>.safetensors");
    expect(lines).toContain("9 of 9 cells finished (8 ok, 1 failed) · seed 1 · quantforge 0.0.0-test · Node v20.0.0");
    const row = (i: number) => lines.find((l) => l.startsWith(`| ${i} |`))!;
    const sq = (i: number) => doc.cells[i]!.result!.summary.sqnrDb as number;
    expect(row(4)).toContain(`**${sq(4).toFixed(2)}**`);
    expect(row(0)).toContain(`| ${sq(0).toFixed(2)} |`);
    expect(row(8)).toContain("failed (QF_INTERNAL)");
    expect(md).toContain("- #8 broken [bits=3] + fixed: QF_INTERNAL: deliberately broken");
    expect(md).toContain("| dense_1/kernel | dense_2/kernel |");
    expect(md).toContain(`SHA-256 \`${"ab".repeat(32)}\``);
    expect(md).toContain("ranked by weight SQNR");
  });

  it("ranks by the model-output metric when there is one: only that column is marked best", () => {
    const pts = cellPoints(doc.cells);
    expect(rankingOf(pts).metric).toBe("accuracy");
    const t = resultsTable(pts);
    const col = (h: string) => t.head.indexOf(h);
    const marked = new Set(t.rows.flatMap((r) => r.flatMap((c, i) => (c.best ? [t.head[i]] : []))));
    expect([...marked]).toEqual(["accuracy %"]);
    const best = bestByRanking(pts);
    for (const r of new Set(pts.map((p) => p.rate))) {
      const group = pts.filter((p) => p.rate === r && p.status === "ok" && p.accuracy !== null);
      if (group.length === 0) continue;
      const top = Math.max(...group.map((p) => p.accuracy!));
      pts.forEach((p, i) => {
        if (p.rate === r && p.status === "ok") expect(best[i]).toBe(p.accuracy === top);
      });
    }
    expect(t.rows.map((r) => r[col("accuracy %")]!.best)).toEqual(best);
    expect(renderMarkdown(doc)).toContain("ranked by the highest top-1 accuracy");
  });

  it("ranks by the worst-output error (lower is better) over a higher SQNR, and lists flagged outputs", async () => {
    // Cell 1 has the higher SQNR but destroyed outputs: it must not be best.
    const noAcc = (s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).filter(([k]) => !/ccuracy|agreement/.test(k)));
    const cells = doc.cells.map((c, i) =>
      c.status !== "ok"
        ? c
        : {
            ...c,
            bits: 4,
            result: {
              ...c.result!,
              summary: {
                ...noAcc(c.result!.summary),
                count: 1,
                sqnrDb: i === 1 ? 30 : 10,
                outputRelError: 0.1,
                outputRelErrorWorst: i === 1 ? 1.4 : 0.1 + i / 100,
                top1Agreement: i === 1 ? 0 : 1,
                "outputFlag:heatmap": null,
                "outputFlag:heatmapReason": "saturated: every value …",
              } as never,
            },
          },
    );
    const d2 = { ...doc, cells };
    const pts = cellPoints(cells);
    expect(rankingOf(pts).metric).toBe("outputRelErrorWorst");
    const best = bestByRanking(pts);
    expect(best[1]).toBe(false);
    expect(best[0]).toBe(true);
    expect(flaggedOutputs(cells)).toEqual([{ name: "heatmap", reason: "saturated: every value …" }]);
    const md = renderMarkdown(d2);
    expect(md).toContain("- `heatmap`: saturated: every value …");
    expect(md).toContain("**0.1000**");
    expect(md).not.toContain("**30.00**");
    const html = await renderHtml(d2);
    expect(html).toContain('id="flagged-outputs"');
    expect(html).toContain('data-metric="outputRelErrorWorst"');
  });

  it("builds the per-layer heat table from the measured per-tensor SQNR", () => {
    const h = heatTable(doc.cells, cellPoints(doc.cells));
    expect(h.source).toBe("measured");
    expect(h.rows).toHaveLength(8);
    expect(h.rows[0]!.values).toEqual(doc.cells[0]!.result!.tensors.map((t) => t.sqnrDb));
    expect(h.min).toBe(Math.min(...h.rows.flatMap((r) => r.values as number[])));
    const t = resultsTable(cellPoints(doc.cells));
    expect(t.head).toContain("accuracy %");
  });

  it("adds a model-output fidelity table (per output) when the fidelity evaluator ran", async () => {
    expect(fidelityTable(doc.cells, cellPoints(doc.cells)).rows).toEqual([]);
    expect(renderMarkdown(doc)).not.toContain("## Model-output fidelity");
    const withFid = doc.cells.map((c, i) =>
      c.status !== "ok"
        ? c
        : {
            ...c,
            result: {
              ...c.result!,
              summary: {
                ...c.result!.summary,
                outputRelError: 0.01 * (i + 1),
                outputRelErrorWorst: 0.02 * (i + 1),
                "outputRelError:logits": 0.02 * (i + 1),
                "outputRelError:aux": 0.0001 * (i + 1),
                outputKl: null,
                outputKlReason: "no output is a classifier",
                top1Agreement: null,
              },
            },
          },
    );
    const f = fidelityTable(withFid, cellPoints(withFid));
    expect(f.outputs).toEqual(["logits", "aux"]);
    expect(f.rows).toHaveLength(8);
    expect(f.rows[1]).toMatchObject({ index: 1, overall: 0.02, worst: 0.04, perOutput: [0.04, 0.0002], kl: null, top1: null });
    const md = renderMarkdown(fixtureDocument(withFid, 9, false)).split("\n");
    expect(md).toContain("## Model-output fidelity");
    expect(md).toContain("| # | method | point | coder | rel. error | worst output | rel. error logits | rel. error aux | KL | top-1 % |");
    expect(md.slice(md.indexOf("## Model-output fidelity")).find((l) => l.startsWith("| 1 | rtn | bits=3 |"))).toBe("| 1 | rtn | bits=3 | fixed | 0.02000 | 0.04000 | 0.04000 | 2.000e-4 | – | – |");
    expect(await renderHtml(fixtureDocument(withFid, 9, false))).toContain('id="fidelity-table"');
  });

  it("writes RFC 4180 CSV with every overall metric", () => {
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField({ k: 1 })).toBe('"{""k"":1}"');
    expect(csvField(null)).toBe("");
    const csv = renderCsv(doc).split("\r\n");
    expect(csv).toHaveLength(11);
    const head = csv[0]!.split(",");
    expect(head.slice(-6)).toEqual(["seed", "quantforge_version", "node_version", "plugin_versions", "input_sha256", "config"]);
    expect(csv[1]!.endsWith(`,1,0.0.0-test,v20.0.0,quantizer/rtn@1,weights /tmp/<fixture>.safetensors=${"ab".repeat(32)},"{""weights"":""/tmp/<fixture>.safetensors"",""seed"":1}"`)).toBe(true);
    for (const k of ["index", "codes_sha256", "sqnrDb", "bitsPerWeight", "accuracy", "normalized_sqnr_db", "seconds"]) expect(head).toContain(k);
    const r0 = csv[1]!.split(",");
    expect(r0[head.indexOf("codes_sha256")]).toBe(doc.cells[0]!.codesSha256);
    expect(Number(r0[head.indexOf("sqnrDb")])).toBe(doc.cells[0]!.result!.summary.sqnrDb);
    expect(csv[9]).toContain("QF_INTERNAL,deliberately broken");
    // Parsed back by a CSV reader: every row has as many fields as the header.
    const fields = (line: string) => (line.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? []).filter((f, i, a) => !(i === a.length - 1 && f === ""));
    for (const l of csv.slice(1, 10)) expect(fields(l)).toHaveLength(head.length);
  });
});

describe("html", () => {
  it("is self-contained: no scripts or external resources, text escaped", async () => {
    const html = await renderHtml(doc);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|href="http/i);
    expect(html).toContain("weights &lt;fixture&gt;.safetensors");
    expect(html).not.toContain("<fixture>");
    expect((html.match(/<svg/g) ?? []).length).toBe(4);
    expect(html).toContain('id="heat-table"');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(heatColor(0)).toBe("rgb(68,1,84)");
    expect(heatColor(1)).toBe("rgb(253,231,37)");
    expect(heatColor(0.5)).toBe("rgb(33,145,140)");
  });

  it("marks an interrupted run and renders an empty one", async () => {
    const html = await renderHtml(fixtureDocument(doc.cells.slice(0, 2), 9, true));
    expect(html).toContain("This run was interrupted");
    expect(renderMarkdown(fixtureDocument([], 3, true))).toContain("0 of 3 cells finished (0 ok, 0 failed) — interrupted: 3 of 3 cells did not run");
    expect(await renderHtml(fixtureDocument([], 3, true))).toContain("No charts");
  });

  it("leaves the charts out when asked (compare's interrupt path), the tables stay", async () => {
    const full = await renderHtml(doc);
    const bare = await renderHtml(doc, { charts: false });
    expect(full).toContain("<svg");
    expect(bare).not.toContain("<svg");
    expect(bare).toContain("Charts left out");
    expect(bare).toContain('id="results-table"');
  });
});
