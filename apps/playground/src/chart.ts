import embed, { type Result } from "vega-embed";
import type { TopLevelSpec } from "vega-lite";
import type { ChartSpec } from "@quantforge/report";

/** Name of the legend-bound selection of a chart's method lines. */
export const PICK = "series_pick";

/**
 * A report chart made interactive for the page: the cell points get tooltips (method, bits per
 * weight, value), and clicking a legend entry selects that method (shift-click adds more) — the
 * other lines and points fade. The data and layout stay report's (`compareCharts`,
 * `outputErrorChart`); only the selection, opacity and tooltip encodings are added.
 */
export function interactiveSpec(c: ChartSpec): TopLevelSpec {
  const spec = structuredClone(c.spec) as unknown as { encoding: Record<string, unknown>; layer: { name?: string; encoding?: Record<string, unknown>; params?: unknown[] }[] };
  const x = (spec.encoding.x as { title: string }).title,
    y = (spec.encoding.y as { title: string }).title;
  // vega-lite binds a legend selection only when it is defined in the first layer that uses it,
  // so the selection sits on layer 0 and every layer fades what is not picked (references and
  // the Pareto front are series too).
  const opacity = { condition: { param: PICK, empty: true, value: 1 }, value: 0.15 };
  spec.layer = spec.layer.map((l, i) => ({
    ...l,
    ...(i === 0 ? { params: [{ name: PICK, select: { type: "point", fields: ["series"] }, bind: "legend" }] } : {}),
    encoding: {
      ...l.encoding,
      opacity,
      ...(l.name?.endsWith("_cells")
        ? {
            tooltip: [
              { field: "series", title: "method" },
              { field: "x", title: x, format: ".3f" },
              { field: "y", title: y, format: ".4~g" },
            ],
          }
        : {}),
    },
  }));
  return spec as unknown as TopLevelSpec;
}

/** Embeds the charts into `el` as SVG with vega-embed (no actions menu: nothing leaves the page). */
export async function embedCharts(el: HTMLElement, charts: readonly ChartSpec[]): Promise<Result[]> {
  const figures = charts.map((c) => {
    const f = document.createElement("figure");
    f.dataset.chart = c.id;
    const cap = document.createElement("figcaption");
    cap.textContent = c.title;
    const box = document.createElement("div");
    f.append(cap, box);
    return { f, box };
  });
  const views = await Promise.all(charts.map((c, i) => embed(figures[i]!.box, interactiveSpec(c), { renderer: "svg", actions: false, tooltip: { theme: "light" } })));
  el.replaceChildren(...figures.map((x) => x.f));
  return views;
}
