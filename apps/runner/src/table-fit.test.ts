import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitColumnWidths, MIN_COLUMN, outputWidth } from "./table-fit.js";
import { renderTable } from "./output.js";

const lineWidths = (s: string) =>
  s
    .trimEnd()
    .split("\n")
    .map((l) => [...l].length);

describe("outputWidth", () => {
  it("uses the terminal's columns, else COLUMNS, else no limit (piped output is for tools)", () => {
    expect(outputWidth({ isTTY: true, columns: 87 }, { COLUMNS: "60" })).toBe(87);
    expect(outputWidth({ isTTY: false }, { COLUMNS: "60" })).toBe(60);
    expect(outputWidth({ isTTY: false }, { COLUMNS: "wide" })).toBeUndefined();
    expect(outputWidth({ isTTY: false }, {})).toBeUndefined();
  });
});

describe("fitColumnWidths", () => {
  it("leaves a table that fits alone and narrows the widest text column first", () => {
    expect(fitColumnWidths([5, 10], [true, true], 100)).toEqual([5, 10]);
    expect(fitColumnWidths([8, 60, 10], [true, true, false], 50)).toEqual([8, 28, 10]);
  });
  it("fits whenever the fixed columns and minimum widths allow it; never widens; never shrinks numbers", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 3, max: 80 }), fc.boolean()), { minLength: 1, maxLength: 10 }), fc.integer({ min: 20, max: 200 }), (cols, max) => {
        const nat = cols.map((c) => c[0]),
          sh = cols.map((c) => c[1]);
        const w = fitColumnWidths(nat, sh, max);
        const floor = nat.reduce((a, n, i) => a + (sh[i] ? Math.min(n, MIN_COLUMN) : n), 0) + nat.length + 1;
        const total = w.reduce((a, b) => a + b, 0) + w.length + 1;
        expect(total).toBeLessThanOrEqual(Math.max(max, floor));
        w.forEach((x, i) => {
          expect(x).toBeLessThanOrEqual(nat[i]!);
          if (!sh[i]) expect(x).toBe(nat[i]);
        });
      }),
    );
  });
});

describe("renderTable with a width", () => {
  const rows = [["rtn", "1.0.0", "Round-to-nearest uniform quantizer with per-tensor or per-channel scales and optional symmetric grids", "builtin"]];
  it("wraps the long text columns so every line fits 80 and 60 columns", () => {
    for (const width of [80, 60]) {
      const t = renderTable(["id", "version", "description", "source"], rows, ["left", "left", "left", "left"], width);
      for (const n of lineWidths(t)) expect(n).toBeLessThanOrEqual(width);
      expect(t.replace(/[│\s]+/g, " ")).toContain("per-channel scales");
    }
  });
  it("is unchanged without a width", () => {
    const t = renderTable(["id", "version", "description", "source"], rows, ["left", "left", "left", "left"]);
    expect(Math.max(...lineWidths(t))).toBeGreaterThan(100);
  });
});
