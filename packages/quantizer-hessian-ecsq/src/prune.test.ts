import { Rng, type WeightSet } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { pruneNetwork } from "./prune.js";

const net = (): WeightSet => {
  const rng = new Rng(3);
  return [
    { name: "a/kernel", shape: [200], role: "weight", data: Float32Array.from({ length: 200 }, () => rng.laplace(1)) },
    { name: "a/bias", shape: [5], role: "bias", data: Float32Array.from({ length: 5 }, () => -rng.float()) },
    { name: "b/kernel", shape: [100], role: "weight", data: Float32Array.from({ length: 100 }, () => rng.laplace(0.2)) },
  ];
};

describe("pruneNetwork", () => {
  it("prunes in nested stages, fine-tunes after each, keeps biases and zeros exactly", async () => {
    const seen: number[] = [];
    let prev: Map<string, Uint32Array> | null = null;
    const r = await pruneNetwork(net(), {
      density: 0.1,
      steps: 3,
      fineTune: async (w, surv, stage) => {
        const kept = [...surv.values()].reduce((a, p) => a + p.length, 0);
        seen.push(kept);
        if (prev)
          for (const [n, p] of surv) {
            const before = new Set(prev.get(n));
            for (const x of p) expect(before.has(x)).toBe(true);
          }
        prev = new Map(surv);
        // A fine-tune that moves every weight (also pruned ones): they must come back as +0.
        return w.map((t) => ({ ...t, data: Float32Array.from(t.data, (x) => x * 1.01 - 1e-3 * stage) }));
      },
    });
    expect(seen).toEqual([Math.round(0.1 ** (1 / 3) * 300), Math.round(0.1 ** (2 / 3) * 300), 30]);
    const surv = r.survivors;
    expect([...surv.keys()]).toEqual(["a/kernel", "b/kernel"]);
    for (const t of r.weights) {
      const pos = surv.get(t.name);
      if (!pos) {
        expect(t.data.length).toBe(5);
        continue;
      }
      const keep = new Set(pos);
      t.data.forEach((x, i) => {
        if (!keep.has(i)) expect(Object.is(x, 0)).toBe(true);
      });
    }
  });

  it("is one-shot magnitude pruning without fine-tuning", async () => {
    const ws = net();
    const r = await pruneNetwork(ws, { density: 0.5, scope: "layer" });
    expect(r.survivors.get("a/kernel")!.length).toBe(100);
    expect(r.survivors.get("b/kernel")!.length).toBe(50);
    const a = ws[0]!.data,
      kept = r.survivors.get("a/kernel")!;
    const minKept = Math.min(...[...kept].map((i) => Math.abs(a[i]!)));
    const maxDropped = Math.max(...[...a].map((x, i) => (kept.includes(i) ? 0 : Math.abs(x))));
    expect(minKept).toBeGreaterThanOrEqual(maxDropped);
  });
});
