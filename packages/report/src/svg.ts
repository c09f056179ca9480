import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/**
 * Renders a vega-lite spec to a standalone SVG string headlessly: vega-lite compiles it to vega,
 * a vega `View` with the `none` renderer lays it out and `toSVG()` serialises the scenegraph.
 * No DOM, canvas or network is used (all data must be inline `values`).
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
