import { InvalidOptionsError } from "@quantforge/core";
import { MAX_THEORY_BITS, type BitRecommendation, type DesignRow } from "./design.js";

const ID = "theory";

/**
 * Parses a bit-rate list as the CLI takes it: ranges `1..16`, lists `2,4,8`, or both
 * (`1..4,8,12..16`). Keeps the given order and drops repeats. Throws `InvalidOptionsError`
 * (field `bits`) on anything else.
 */
export function parseBitsSpec(spec: string, maxBits = MAX_THEORY_BITS): number[] {
  const out: number[] = [];
  const bad = (why: string): never => {
    throw new InvalidOptionsError(ID, "bits", `"${spec}" ${why}; write a range like 1..16 or a list like 2,4,8`);
  };
  const parts = spec.split(",").map((p) => p.trim());
  if (spec.trim() === "" || parts.some((p) => p === "")) bad("is empty or has an empty item");
  const int = (s: string): number => {
    if (!/^\d+$/.test(s)) bad(`has "${s}", which is not a whole number`);
    const v = Number(s);
    if (v < 1 || v > maxBits) bad(`has ${v}, outside 1…${maxBits}`);
    return v;
  };
  for (const p of parts) {
    const m = /^(\S+?)\s*\.\.\s*(\S+)$/.exec(p);
    if (m) {
      const a = int(m[1]!),
        b = int(m[2]!);
      if (a > b) bad(`has the descending range ${p}`);
      for (let v = a; v <= b; v++) if (!out.includes(v)) out.push(v);
    } else {
      const v = int(p);
      if (!out.includes(v)) out.push(v);
    }
  }
  return out;
}

/** Parses a comma-separated list of finite numbers (e.g. `--sigma-db -20,-10,0,10`). */
export function parseNumberList(spec: string, field: string): number[] {
  const parts = spec.split(",").map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    const v = p === "" ? NaN : Number(p);
    if (!Number.isFinite(v)) throw new InvalidOptionsError(ID, field, `"${spec}" must be a comma-separated list of numbers (bad item "${p}")`);
    out.push(v);
  }
  return out;
}

/** Parses one finite number given on the command line (`positive`: also > 0). */
export function parseNumberArg(raw: string, field: string, opts: { positive?: boolean } = {}): number {
  const v = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(v) || (opts.positive && !(v > 0))) {
    throw new InvalidOptionsError(ID, field, `"${raw}" must be a finite ${opts.positive ? "positive " : ""}number`);
  }
  return v;
}

function fmt(v: number, digits: number): string {
  return v.toFixed(digits);
}

function sci(v: number): string {
  return v === 0 ? "0" : v.toExponential(4);
}

/** A fixed-width plain-text table of design rows (the CLI's output without `--json`). */
export function formatDesignTable(rows: readonly DesignRow[]): string {
  const head = ["bits", "σ (dB)", "x_max", "Δ", "SQNR (dB)", "D_g", "D_o"];
  const body = rows.map((r) => [String(r.bits), fmt(r.sigmaDb, 2), fmt(r.xMax, 6), sci(r.step), fmt(r.sqnrDb, 3), sci(r.granularDistortion), sci(r.overloadDistortion)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n") + "\n";
}

/** One or two readable lines describing a {@link BitRecommendation}. */
export function formatRecommendation(r: BitRecommendation): string {
  const where = `σ_w = ${r.sigma.toPrecision(4)} (${r.sigmaDb >= 0 ? "+" : ""}${r.sigmaDb.toFixed(2)} dB vs the σ = 1 design, ${r.design} x_max)`;
  if (r.reachable) {
    return `R = ${r.bits} bits: SQNR ${r.sqnrDb.toFixed(2)} dB ≥ target ${r.targetSqnrDb} dB at ${where}.\n`;
  }
  const top = r.candidates[r.candidates.length - 1]!.bits;
  return `unreachable: no R ≤ ${top} reaches ${r.targetSqnrDb} dB at ${where}; best R = ${r.bits} with SQNR ${r.sqnrDb.toFixed(2)} dB.\n`;
}
