import { describe, expect, it } from "vitest";
import { z } from "zod";
import { normalizedSqnr } from "@quantforge/metrics";
import { sha256Hex } from "./compare-cell.js";
import { planCompare } from "./compare-plan.js";
import { compare, type CompareCellRunner } from "./compare.js";
import { ErrorCodes, InvalidOptionsError } from "./errors.js";
import { perTensorQuantizer } from "./lift.js";
import { runPipeline } from "./pipeline.js";
import { defineQuantizer } from "./plugin.js";
import { Rng } from "./rng.js";
import type { WeightSet } from "./tensor.js";
import { rawTestCoder } from "./testing/fixtures.js";

/** Uniform quantizer: `bits` levels over [min, max], or bins of width `step` (a sweepable option). */
const uniform = defineQuantizer({
  id: "uni",
  version: "1.2.3",
  description: "test uniform",
  options: z.strictObject({ bits: z.number().int().min(1).max(12).default(3), step: z.number().positive().optional(), delayMs: z.number().default(0), block: z.boolean().default(false) }),
  create: (o) => ({
    id: "uni",
    async quantize(ws, ctx) {
      if (o.delayMs > 0) await new Promise((r) => setTimeout(r, o.delayMs));
      if (o.block) {
        const until = Date.now() + 600;
        while (Date.now() < until) {
          /* a plugin that never yields */
        }
      }
      return perTensorQuantizer("uni", (t) => {
        let lo = Infinity,
          hi = -Infinity;
        for (const v of t.data) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const step = Math.fround(o.step ?? (hi > lo ? (hi - lo) / (2 ** o.bits - 1) : 1));
        const levels = Math.floor((hi - lo) / step) + 1;
        const zp = Math.round(-lo / step);
        const codes = new Uint32Array(t.data.length);
        t.data.forEach((v, i) => {
          codes[i] = Math.min(levels - 1, Math.max(0, Math.round(v / step) + zp));
        });
        return { codebook: { kind: "affine", levels, scale: Float32Array.from([step]), zeroPoint: Float32Array.from([zp]) }, codes, grouping: { kind: "tensor" } };
      }).quantize(ws, ctx);
    },
  }),
});

function laplacian(name: string, n: number, scale: number, seed: number) {
  const rng = new Rng(seed);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.float() - 0.5;
    data[i] = -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }
  return { name, shape: [n], data };
}

const weights: WeightSet = [laplacian("a", 4000, 0.05, 1), laplacian("b", 3000, 2, 2)];
const coder = rawTestCoder();

describe("planCompare", () => {
  it("crosses quantizers × bits × coders, and a sweep replaces the bit axis", () => {
    const plan = planCompare({
      quantizers: [uniform, { plugin: uniform, options: { delayMs: 0 }, sweep: { step: [0.5, 0.25], bits: [4] } }],
      bits: [2, 8],
      coders: [coder],
    });
    expect(plan.map((c) => [c.index, c.label, c.bits, c.sweep, c.options])).toEqual([
      [0, "uni", 2, { bits: 2 }, { bits: 2 }],
      [1, "uni", 8, { bits: 8 }, { bits: 8 }],
      [2, "uni:delayMs=0 (sweep step)", 4, { step: 0.5, bits: 4 }, { delayMs: 0, step: 0.5, bits: 4 }],
      [3, "uni:delayMs=0 (sweep step)", 4, { step: 0.25, bits: 4 }, { delayMs: 0, step: 0.25, bits: 4 }],
    ]);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it("rejects duplicate series, empty sweeps and bad bit rates, naming the field", () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as InvalidOptionsError).field;
      }
      return "no error";
    };
    expect(field(() => planCompare({ quantizers: [uniform, uniform], coders: [coder] }))).toBe("quantizers[1]");
    expect(field(() => planCompare({ quantizers: [{ plugin: uniform, sweep: { step: [] } }], coders: [coder] }))).toBe("quantizers[0].sweep.step");
    expect(field(() => planCompare({ quantizers: [uniform], bits: [2, 2.5], coders: [coder] }))).toBe("bits[1]");
    expect(field(() => planCompare({ quantizers: [uniform], coders: [] }))).toBe("coders");
  });
});

describe("compare", () => {
  it("hashes the container, adds σ-normalised SQNR, and gives the same cells at any concurrency", async () => {
    const opts = { weights, quantizers: [uniform, { plugin: uniform, sweep: { step: [0.3, 0.1] } }], bits: [2, 4, 6], coders: [coder], seed: 3, normalize: normalizedSqnr };
    const one = await compare(opts);
    const three = await compare({ ...opts, concurrency: 3 });
    const strip = (cs: typeof one.cells) => cs.map(({ seconds: _s, ...c }) => c);
    expect(strip(three.cells)).toEqual(strip(one.cells));
    expect(one).toMatchObject({ total: 5, aborted: false });
    const direct = await runPipeline({ weights, quantizer: { plugin: uniform, options: { bits: 4 } }, coder, options: { seed: 3 } });
    const c4 = one.cells[1]!;
    expect(c4.codesSha256).toBe(await sha256Hex(direct.encoded!.bytes));
    expect(c4.codesSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(one.cells.map((c) => c.codesSha256)).size).toBe(5);
    // σ-normalised: tensor "b" has 40× the spread of "a", yet both count alike.
    const n = c4.normalized!;
    const a = n.tensors[0]!,
      b = n.tensors[1]!;
    const std = (d: Float32Array) => {
      const m = d.reduce((x, v) => x + v, 0) / d.length;
      return Math.sqrt(d.reduce((x, v) => x + (v - m) ** 2, 0) / d.length);
    };
    expect(a.sigma).toBeCloseTo(std(weights[0]!.data), 12);
    expect(b.sigma).toBeCloseTo(std(weights[1]!.data), 10);
    expect(b.sigma / a.sigma).toBeGreaterThan(30);
    const pooled = -10 * Math.log10((4000 * 10 ** (-a.sqnrDb! / 10) + 3000 * 10 ** (-b.sqnrDb! / 10)) / 7000);
    expect(n.sqnrDb).toBeCloseTo(pooled, 10);
    // More bits, higher normalised SQNR; the rate counts only quantized streams and codebooks.
    expect(one.cells[2]!.normalized!.sqnrDb!).toBeGreaterThan(n.sqnrDb! + 8);
    expect(n.bitsPerWeight).toBeCloseTo((8 * direct.encoded!.size.tensors.reduce((s, t) => s + t.bytes, 0)) / 7000, 12);
    // The sweep cells carry their point; their bits axis is empty.
    expect(one.cells[3]).toMatchObject({ label: "uni (sweep step)", bits: null, sweep: { step: 0.3 } });
  });

  it("reports an exact reconstruction and a constant tensor without dividing by zero", async () => {
    const ws: WeightSet = [
      { name: "c", shape: [4], data: Float32Array.from([1, 1, 1, 1]) },
      { name: "d", shape: [3], data: Float32Array.from([0, 1, 2]) },
    ];
    const r = await runPipeline({ weights: ws, quantizer: { plugin: uniform, options: { step: 1 } }, coder });
    const n = normalizedSqnr(r);
    expect(n.tensors.map((t) => t.reason)).toEqual(["zero variance", "exact reconstruction"]);
    expect(n).toMatchObject({ sqnrDb: null, reason: "exact reconstruction" });
  });

  it("fails a cell that exceeds the timeout (async or blocking) and goes on", async () => {
    // Small input so the quick cell stays far below the limit even on a loaded machine.
    const { cells } = await compare({
      weights: [laplacian("s", 256, 1, 9)],
      coders: [coder],
      timeoutMs: 400,
      quantizers: [
        { plugin: uniform, sweep: { delayMs: [0, 3000] } },
        { plugin: uniform, label: "blocker", options: { block: true } },
      ],
    });
    expect(cells.map((c) => c.status)).toEqual(["ok", "failed", "failed"]);
    expect(cells[1]!.error!.code).toBe(ErrorCodes.TIMEOUT);
    expect(cells[1]!.error!.message).toMatch(/cell 1 \(uni \(sweep delayMs\) \[delayMs=3000\] \+ raw-test\) did not finish within 0.4 s/);
    expect(cells[1]!.seconds).toBeLessThan(2.5);
    expect(cells[2]!.error!.code).toBe(ErrorCodes.TIMEOUT);
  });

  it("stops on the signal, keeps finished cells and drops the one in flight", async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const runCell: CompareCellRunner = async (spec, env) => {
      if (spec.index === 2) {
        ac.abort();
        await new Promise((r) => setTimeout(r, 10));
        expect(env.signal.aborted).toBe(true);
      }
      const r = await runPipeline({ weights, quantizer: { plugin: uniform, options: spec.options }, coder, options: { seed: env.seed } });
      seen.push(spec.index);
      const { cellOutcome } = await import("./compare-cell.js");
      return cellOutcome(r);
    };
    const res = await compare({ quantizers: [uniform], bits: [1, 2, 3, 4, 5], coders: [coder], signal: ac.signal, runCell });
    expect(res.cells.map((c) => c.index)).toEqual([0, 1]);
    expect(res).toMatchObject({ total: 5, aborted: true });
  });

  it("marks a runner's thrown error as a failed cell with its code", async () => {
    const runCell: CompareCellRunner = async (spec) => {
      if (spec.bits === 3) throw new InvalidOptionsError("uni", "bits", "is unlucky");
      const { cellOutcome } = await import("./compare-cell.js");
      return cellOutcome(await runPipeline({ weights, quantizer: { plugin: uniform, options: spec.options }, coder }));
    };
    const progress: string[] = [];
    const { cells } = await compare({ quantizers: [uniform], bits: [2, 3], coders: [coder], runCell, onStart: (s, t) => progress.push(`${s.index}/${t}`) });
    expect(progress).toEqual(["0/2", "1/2"]);
    expect(cells.map((c) => [c.status, c.error?.code])).toEqual([
      ["ok", undefined],
      ["failed", ErrorCodes.INVALID_OPTIONS],
    ]);
  });

  it("needs an input unless a runner loads it", async () => {
    await expect(compare({ quantizers: [uniform], coders: [coder] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS, field: "weights" });
  });
});
