import { describe, expect, it } from "vitest";
import { renderSensitivityHtml, sensitivityChart, type SensitivityChartInput } from "./index.js";

const input: SensitivityChartInput = {
  model: "m",
  quantizer: "rtn",
  samples: 8,
  source: "random",
  rows: [
    { rank: 1, tensor: "b/kernel", count: 80, outputRelErrorWorst: { value: 0.2 }, share: 0.9, sqnrDb: { value: 25 } },
    { rank: 2, tensor: "a/<kernel>", count: 80, outputRelErrorWorst: { value: 0.01 }, share: 0.1, sqnrDb: { value: 26 } },
    { rank: 3, tensor: "r/kernel", count: 48, outputRelErrorWorst: { value: null }, share: null, sqnrDb: { value: null } },
  ],
};

describe("sensitivity chart", () => {
  it("plots one bar per tensor with a defined error, sorted by rank", () => {
    const spec = sensitivityChart(input) as { data: { values: { tensor: string }[] } };
    expect(spec.data.values.map((v) => v.tensor)).toEqual(["b/kernel", "a/<kernel>"]);
  });
  it("renders an HTML page with an SVG chart and an escaped table", async () => {
    const html = await renderSensitivityHtml(input);
    expect(html).toContain("<svg");
    expect(html).toContain("a/&lt;kernel&gt;");
    expect((html.match(/<tr><td>/g) ?? []).length).toBe(3);
  });
});
