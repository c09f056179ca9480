import { InvalidOptionsError, MissingCapabilityError, Rng, dequantizeModel, type ModelProbe, type QuantizedModel, type WeightSet } from "@quantforge/core";
import { createRunContext, instantiate, runPipeline } from "@quantforge/core/host";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { describe, expect, it } from "vitest";
import { hessianEcsqQuantizer } from "./hessian-ecsq-quantizer.js";
import { magnitudePrune } from "./prune-impl.js";

function laplacianSet(seed = 1): WeightSet {
  const rng = new Rng(seed);
  const t = (name: string, n: number, s: number, role: "weight" | "bias" = "weight") => ({ name, shape: [n], role, data: Float32Array.from({ length: n }, () => rng.laplace(s)) });
  return [t("a/kernel", 3000, 0.05), t("a/bias", 20, 0.01, "bias"), t("b/kernel", 1200, 0.2)];
}

/** A model probe whose Hessian is |w|-dependent and whose Adam moments are w². */
function probe(ws: WeightSet): ModelProbe {
  return {
    id: "fake",
    weights: ws,
    hessian: { hessianDiagonal: async () => ws.map((t) => ({ ...t, data: Float32Array.from(t.data, (x, i) => (i % 7 === 0 ? 50 : 1) + Math.abs(x)) })) },
    optimizer: { secondMoments: async () => ws.map((t) => ({ ...t, data: Float32Array.from(t.data, (x) => x * x) })) },
  };
}

const ctx = (model?: ModelProbe) => createRunContext({ seed: 3, model });

describe("hessian-ecsq quantizer", () => {
  it("declares the capability its importance needs and fails early without a model", async () => {
    const ws = laplacianSet();
    expect(instantiate(hessianEcsqQuantizer()).needs).toEqual(["hessianDiagonal"]);
    expect(instantiate(hessianEcsqQuantizer({ importance: "adam" })).needs).toEqual(["optimizerMoments"]);
    expect(instantiate(hessianEcsqQuantizer({ importance: "none" })).needs).toEqual([]);
    expect(instantiate(hessianEcsqQuantizer({ mode: "kmeans" })).needs).toEqual([]);
    await expect(runPipeline({ weights: ws, quantizer: hessianEcsqQuantizer() })).rejects.toBeInstanceOf(MissingCapabilityError);
    await expect(instantiate(hessianEcsqQuantizer({ importance: "adam" })).quantize(ws, ctx())).rejects.toBeInstanceOf(MissingCapabilityError);
    // The error names the option that needs no model (real models offer neither importance).
    await expect(runPipeline({ weights: ws, quantizer: hessianEcsqQuantizer() })).rejects.toThrow(/Or: set the option importance=none .*reference models \(mnist-mlp, mnist-lenet5\) offer a Hessian diagonal/);
    await expect(instantiate(hessianEcsqQuantizer({ importance: "adam" })).quantize(ws, ctx())).rejects.toThrow(/importance=none .*quantforge train/);
    expect(instantiate(hessianEcsqQuantizer({ importance: "none" })).capabilityAdvice).toBeUndefined();
    const r = await runPipeline({ weights: ws, quantizer: { plugin: hessianEcsqQuantizer(), options: { importance: "none", bits: 3 } } });
    expect(r.quantized.codebooks).toHaveLength(1);
  });

  it("joint scope shares one codebook of 2^bits levels; layer scope gives one per tensor", async () => {
    const ws = laplacianSet();
    const joint = await instantiate(hessianEcsqQuantizer({ importance: "none", bits: 3 })).quantize(ws, ctx());
    expect(joint.codebooks).toHaveLength(1);
    expect(joint.tensors.every((t) => t.codebook === "hessian-ecsq")).toBe(true);
    expect((joint.codebooks[0] as { levels: Float32Array }).levels.length).toBeLessThanOrEqual(8);
    const layer = await instantiate(hessianEcsqQuantizer({ importance: "none", bits: 2, scope: "layer" })).quantize(ws, ctx());
    expect(layer.codebooks.map((c) => c.id)).toEqual(ws.map((t) => t.name));
  });

  it("Hessian weighting lowers the Hessian-weighted error and raises the plain one", async () => {
    const ws = laplacianSet(5);
    const m = probe(ws);
    const h = await m.hessian!.hessianDiagonal({ samples: 1 });
    const err = (q: QuantizedModel, weighted: boolean) => {
      const dec = dequantizeModel(q, ws);
      let s = 0;
      ws.forEach((t, k) => t.data.forEach((x, i) => (s += (weighted ? h[k]!.data[i]! : 1) * (x - dec[k]!.data[i]!) ** 2)));
      return s;
    };
    const plain = await instantiate(hessianEcsqQuantizer({ mode: "kmeans", bits: 3 })).quantize(ws, ctx(m));
    const hw = await instantiate(hessianEcsqQuantizer({ mode: "hessian-kmeans", bits: 3 })).quantize(ws, ctx(m));
    expect(err(hw, true)).toBeLessThan(err(plain, true));
    expect(err(plain, false)).toBeLessThan(err(hw, false));
    const adam = await instantiate(hessianEcsqQuantizer({ mode: "hessian-kmeans", importance: "adam", bits: 3 })).quantize(ws, ctx(m));
    expect(adam.codebooks).toHaveLength(1);
  });

  it("uniform mode: bins centred on multiples of Δ, zero pinned when asked", async () => {
    const ws = laplacianSet(2);
    const step = 0.02;
    const q = await instantiate(hessianEcsqQuantizer({ mode: "uniform", importance: "none", step, pinZero: true })).quantize(ws, ctx());
    const dec = dequantizeModel(q, ws);
    const levels = (q.codebooks[0] as { levels: Float32Array }).levels;
    expect([...levels]).toContain(0);
    ws.forEach((t, k) =>
      t.data.forEach((x, i) => {
        const y = dec[k]!.data[i]!;
        // Same bin as its level: |w − level| < Δ (levels are means inside the bin).
        expect(Math.abs(x - y)).toBeLessThan(step);
        if (Math.round(x / step) === 0) expect(y).toBe(0);
      }),
    );
  });

  it("reaches a target entropy for uniform and iterative ECSQ, and says how close", async () => {
    const ws = laplacianSet(4);
    for (const mode of ["uniform", "iterative-ecsq"] as const) {
      const c = ctx();
      const q = await instantiate(hessianEcsqQuantizer({ mode, importance: "none", targetBits: 2.5, tolerance: 0.05, maxSearchSteps: 40 })).quantize(ws, c);
      const counts = new Map<number, number>();
      let n = 0;
      for (const t of q.tensors)
        for (const x of t.codes) {
          counts.set(x, (counts.get(x) ?? 0) + 1);
          n++;
        }
      let H = 0;
      for (const v of counts.values()) H -= (v / n) * Math.log2(v / n);
      expect(Math.abs(H - 2.5)).toBeLessThanOrEqual(0.05);
      const diag = (c.diagnostics as unknown as { items: { ruleId: string; message: string }[] }).items.find((d) => d.ruleId === "hessian-ecsq-stats");
      expect(diag?.message).toMatch(/target 2.5 bits reached within/);
    }
  });

  it("prunes to the density, quantizes only survivors and round-trips through Huffman", async () => {
    const ws = laplacianSet(6);
    const r = await runPipeline({
      weights: ws,
      select: () => true, // biases too: quantized, never pruned (pruneBiases is off)
      quantizer: { plugin: hessianEcsqQuantizer(), options: { mode: "uniform", importance: "none", step: 0.02, density: 0.1 } },
      coder: huffmanCoder(),
    });
    const kernels = r.quantized.tensors.filter((t) => t.name.endsWith("kernel"));
    const survivors = kernels.reduce((a, t) => a + t.sparse!.positions.length, 0);
    expect(survivors).toBe(Math.round(0.1 * 4200));
    expect(r.quantized.tensors.find((t) => t.name === "a/bias")!.sparse).toBeUndefined();
    const dec = r.decoded.find((t) => t.name === "b/kernel")!;
    const zeros = dec.data.filter((x) => x === 0).length;
    expect(zeros).toBeGreaterThanOrEqual(1200 - kernels[1]!.sparse!.positions.length);
  });

  it("is deterministic for a fixed seed", async () => {
    const ws = laplacianSet(8);
    const m = probe(ws);
    const opts = { mode: "iterative-ecsq" as const, lambda: 1e-4, clusters: 32 };
    const a = await instantiate(hessianEcsqQuantizer(opts)).quantize(ws, ctx(m));
    const b = await instantiate(hessianEcsqQuantizer(opts)).quantize(ws, ctx(m));
    expect(a).toEqual(b);
  });

  it("rejects inconsistent options naming the field", () => {
    const p = hessianEcsqQuantizer();
    expect(() => p.parseOptions({ mode: "kmeans", step: 0.1 })).toThrow(InvalidOptionsError);
    expect(() => p.parseOptions({ mode: "kmeans", step: 0.1 })).toThrow(/step/);
    expect(() => p.parseOptions({ mode: "iterative-ecsq", lambda: 1, targetBits: 2 })).toThrow(/targetBits/);
    expect(() => p.parseOptions({ density: 0 })).toThrow(/density/);
    expect(() => p.parseOptions({ colour: "red" })).toThrow(InvalidOptionsError);
  });
});

describe("magnitudePrune", () => {
  it("keeps the largest magnitudes jointly or per layer", () => {
    const ws: WeightSet = [
      { name: "x", shape: [4], data: Float32Array.of(0.1, -5, 0.2, 3) },
      { name: "y", shape: [3], data: Float32Array.of(-0.3, 0.05, 4) },
    ];
    const joint = magnitudePrune(ws, { density: 3 / 7 });
    expect([...joint.get("x")!]).toEqual([1, 3]);
    expect([...joint.get("y")!]).toEqual([2]);
    const layer = magnitudePrune(ws, { density: 0.5, scope: "layer" });
    expect([...layer.get("x")!]).toEqual([1, 3]);
    expect([...layer.get("y")!]).toEqual([0, 2]); // round(0.5 · 3) = 2 kept
  });
  it("breaks ties by position and rejects a bad density", () => {
    const ws: WeightSet = [{ name: "z", shape: [4], data: Float32Array.of(1, -1, 1, -1) }];
    expect([...magnitudePrune(ws, { density: 0.5 }).get("z")!]).toEqual([0, 1]);
    expect(() => magnitudePrune(ws, { density: 1.5 })).toThrow(InvalidOptionsError);
  });
});
