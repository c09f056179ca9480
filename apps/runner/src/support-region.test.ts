import { describe, expect, it } from "vitest";
import { Rng } from "@quantforge/core";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";
import { writeWeights } from "./weights-io.js";

describe("theory support-region", () => {
  it("--json prints exactly {bits, support, xMaxSigma, sqnrDb}; optimal at 2 bits is 2.175σ / 7.07 dB", async () => {
    const r = await cli(["theory", "support-region", "--bits", "2,3", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Record<string, number | string>[];
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(Object.keys(row)).toEqual(["bits", "support", "xMaxSigma", "sqnrDb"]);
    const opt = rows.find((x) => x.bits === 2 && x.support === "optimal")!;
    expect(opt.xMaxSigma as number).toBeCloseTo(2.175, 3);
    expect(opt.sqnrDb as number).toBeCloseTo(7.07, 2);
  });

  it("takes data-dependent choices on --weights (all tensors together)", async () => {
    const tmp = await tempDir();
    try {
      const rng = new Rng(2);
      const a = Float32Array.from({ length: 3000 }, () => rng.laplace(0.1));
      const b = Float32Array.from({ length: 500 }, () => rng.laplace(0.3));
      await writeWeights(tmp.path("w.safetensors"), [
        { name: "a", shape: [3000], data: a },
        { name: "b", shape: [500], data: b },
      ]);
      const r = await cli(["theory", "support-region", "--bits", "2", "--support", "optimal,max,percentile:99.9,mse", "--weights", tmp.path("w.safetensors"), "--json"]);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.out) as { support: string; xMaxSigma: number; sqnrDb: number }[];
      expect(rows.map((x) => x.support)).toEqual(["optimal", "max", "percentile:99.9", "mse"]);
      let s = 0;
      for (const v of [...a, ...b]) s += v;
      const mu = Math.fround(s / 3500);
      let q = 0,
        m = 0;
      for (const v of [...a, ...b]) {
        q += (v - mu) ** 2;
        m = Math.max(m, Math.abs(v - mu));
      }
      expect(rows[1]!.xMaxSigma).toBeCloseTo(m / Math.fround(Math.sqrt(q / 3500)), 10);
      expect(rows[1]!.sqnrDb).toBeLessThan(rows[0]!.sqnrDb - 3);
    } finally {
      await tmp.cleanup();
    }
  });

  it("data-dependent choices without weights, or two inputs, are usage errors (exit 2)", async () => {
    for (const args of [
      ["--support", "optimal,max"],
      ["--support", "mse"],
      ["--support", "sigma:0"],
      ["--bits", "0"],
      ["--weights", "a", "--model", "b"],
    ]) {
      const r = await cli(["theory", "support-region", ...args]);
      expect(r.code).toBe(2);
      expect(errorCode(r)).toMatch(/^QF_(USAGE|INVALID_OPTIONS)$/);
    }
  });
});

describe("experiment support-region", () => {
  it("rejects bad flags before loading the model (exit 2)", async () => {
    for (const args of [
      ["--bits", "5"],
      ["--bits", "1"],
      ["--support", "best"],
      ["--scope", "channel"],
      ["--samples", "0"],
    ]) {
      const r = await cli(["experiment", "support-region", "--model", "mnist-mlp", ...args]);
      expect(r.code).toBe(2);
      expect(errorCode(r)).toMatch(/^QF_(USAGE|INVALID_OPTIONS)$/);
    }
  });
});

describe("plugin registration", () => {
  it("lists the support-region quantizer", async () => {
    const r = await cli(["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"support-region"');
  });
});
