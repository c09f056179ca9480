import { join } from "node:path";
import { renderCsv, renderHtml, renderMarkdown, type CompareDocument } from "@quantforge/report";
import { writeFileAtomic } from "../output.js";

/** The files `compare` writes into `--out`. */
export const OUTPUT_FILES = ["results.json", "results.csv", "report.md", "report.html"] as const;

/** `results.json` as written: the document, pretty-printed, with a final newline. */
export function serializeDocument(doc: CompareDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Writes `results.json`, `results.csv`, `report.md` and `report.html` into `dir` (each to a temp
 * file renamed into place, so a reader never sees half a file; an interrupted run's page has no
 * charts). Returns the paths written.
 */
export async function writeCompareOutputs(dir: string, doc: CompareDocument): Promise<string[]> {
  // An interrupted run must exit within 2 s: its page leaves out the charts (the slow part).
  const html = await renderHtml(doc, { charts: !doc.interrupted });
  const files: [string, string][] = [
    ["results.json", serializeDocument(doc)],
    ["results.csv", renderCsv(doc)],
    ["report.md", renderMarkdown(doc)],
    ["report.html", html],
  ];
  const paths: string[] = [];
  for (const [name, text] of files) {
    const p = join(dir, name);
    await writeFileAtomic(p, text);
    paths.push(p);
  }
  return paths;
}
