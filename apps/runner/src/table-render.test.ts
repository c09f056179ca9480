import Table from "cli-table3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { drawPlainTable, renderChunked } from "./table-render.js";
import { renderTable } from "./output.js";

type Align = "left" | "right";
const cliTable = (head: string[], rows: string[][], opts: { colAligns: Align[]; colWidths?: number[]; wordWrap?: boolean }) => {
  const t = new Table({ head, style: { head: [], border: [] }, ...opts });
  for (const r of rows) t.push(r);
  return t.toString();
};

// Cells mixing ASCII, Latin, Greek, CJK (width 2), combining marks (width 0), emoji and spaces.
const cellArb = fc.oneof(
  fc.string({ maxLength: 8 }).map((s) => s.replace(/[\u0000-\u001f\u007f]/g, "?")),
  fc.constantFrom("", " ", "σ-norm", "重み", "é", "a\u0301", "😀", "–", "1.5e-7", "[2^53−1, 0]", "x  y"),
);
const tableArb = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({
    head: fc.array(cellArb, { minLength: n, maxLength: n }),
    rows: fc.array(fc.array(cellArb, { minLength: n, maxLength: n }), { maxLength: 150 }),
    align: fc.array(fc.constantFrom<Align>("left", "right"), { minLength: n, maxLength: n }),
  }),
);

describe("drawPlainTable", () => {
  it("draws exactly what cli-table3 draws for one-line cells", () => {
    fc.assert(
      fc.property(tableArb, ({ head, rows, align }) => {
        expect(drawPlainTable(head, rows, align)).toBe(cliTable(head, rows, { colAligns: align }));
      }),
      { numRuns: 150, seed: 1 },
    );
  });
  it("declines multi-line cells, colour codes and ragged rows (cli-table3 draws those)", () => {
    expect(drawPlainTable(["a"], [["x\ny"]], ["left"])).toBeUndefined();
    expect(drawPlainTable(["a"], [["\u001b[31mx"]], ["left"])).toBeUndefined();
    expect(drawPlainTable(["a", "b"], [["x"]], ["left", "left"])).toBeUndefined();
    expect(drawPlainTable([], [], [])).toBeUndefined();
  });
  it("draws 60,000 rows in linear time (cli-table3 took minutes)", () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => [`t${i}`, "[1]", "1", "exact", "0.000"]);
    const t0 = performance.now();
    const s = drawPlainTable(["tensor", "shape", "count", "SQNR dB", "MSE"], rows, ["left", "left", "right", "right", "right"])!;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(s.split("\n")).toHaveLength(2 * 60_000 + 3);
  });
});

describe("the narrow character set", () => {
  it("has width 1 per character under cli-table3's own measure, so counting code points is exact", () => {
    const re = /^[\x20-\x7e\xa0-\u02ff\u0370-\u03ff\u2010-\u2027\u2030-\u205e\u2200-\u22ff]$/;
    const chars: string[] = [];
    for (let cp = 0x20; cp < 0x2300; cp++) if (re.test(String.fromCodePoint(cp))) chars.push(String.fromCodePoint(cp));
    // A one-column table is as wide as its widest cell plus 4 (borders and padding).
    const width = (s: string) => cliTable([s], [], { colAligns: ["left"] }).split("\n")[0]!.length - 4;
    for (let i = 0; i < chars.length; i += 7) expect(width(chars[i]! + chars[(i * 31) % chars.length]!), chars[i]).toBe(2);
  });
});

describe("renderChunked", () => {
  it("joins chunks of a fixed-width (wrapped) table into exactly the whole table", () => {
    fc.assert(
      fc.property(tableArb, fc.array(fc.integer({ min: 3, max: 12 }), { minLength: 5, maxLength: 5 }), ({ head, rows, align }, w) => {
        const colWidths = w.slice(0, head.length);
        expect(renderChunked(head, rows, { colAligns: align, colWidths, wordWrap: true })).toBe(cliTable(head, rows, { colAligns: align, colWidths, wordWrap: true }));
      }),
      { numRuns: 60, seed: 2 },
    );
  });
});

describe("renderTable", () => {
  it("keeps cli-table3's output with and without a width limit", () => {
    const rows = [
      ["conv/kernel", 1.5, null],
      ["重み", 22, "x"],
    ] as const;
    expect(renderTable(["a", "n", "s"], rows)).toBe(
      `${cliTable(
        ["a", "n", "s"],
        [
          ["conv/kernel", "1.5", "–"],
          ["重み", "22", "x"],
        ],
        { colAligns: ["left", "right", "left"] },
      )}\n`,
    );
    const narrow = renderTable(
      ["a", "n", "s"],
      [
        ["conv/kernel/long name", 1.5, "x"],
        ["b", 22, "some words here"],
      ],
      undefined,
      24,
    );
    expect(
      narrow
        .trimEnd()
        .split("\n")
        .map((l) => [...l].length),
    ).toEqual(expect.arrayContaining([24]));
    expect(
      narrow
        .trimEnd()
        .split("\n")
        .every((l) => [...l].length <= 24),
    ).toBe(true);
  });
});
