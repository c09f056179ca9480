import { basename } from "node:path";
import { Rng, shapeSize } from "@quantforge/core";
import { loadSafetensors } from "@quantforge/io-safetensors";
import type { ModelFeed } from "@quantforge/io-tfjs";
import { UsageError } from "../errors.js";
import type { QuantizeModelOptions } from "./options.js";

/** A model input as the runtime declares it (`null`: unknown dimension). */
export interface InputSpec { readonly name: string; readonly shape: readonly (number | null)[]; readonly dtype: "float32" | "int32" | "int64" }

/** Feeds: a dataset file, or seeded uniform [−1, 1) floats / integers in [0, 10). */
export async function makeFeeds(specs: readonly InputSpec[], o: QuantizeModelOptions): Promise<{ feeds: ModelFeed[]; source: string }> {
  if (o.data) {
    const ws = await loadSafetensors(o.data);
    const feeds = specs.map((s) => {
      const t = ws.find((w) => w.name === s.name) ?? (specs.length === 1 && ws.length === 1 ? ws[0] : undefined);
      if (!t) throw new UsageError(`--data ${o.data} has no tensor named "${s.name}" (it has ${ws.map((w) => w.name).join(", ")}). Name each tensor after a model input.`);
      s.shape.slice(1).forEach((d, i) => {
        if (d !== null && t.shape[i + 1] !== d) throw new UsageError(`--data tensor "${t.name}" has shape [${t.shape.join(", ")}] but input "${s.name}" needs [N, ${s.shape.slice(1).map((x) => x ?? "?").join(", ")}].`);
      });
      const data = s.dtype === "float32" ? t.data : s.dtype === "int32" ? Int32Array.from(t.data) : BigInt64Array.from(t.data, (v) => BigInt(Math.round(v)));
      return { name: s.name, shape: [...t.shape], data: data as Float32Array };
    });
    return { feeds, source: `dataset ${basename(o.data)}` };
  }
  const rng = new Rng(o.seed).fork("quantize-inputs");
  const feeds = specs.map((s) => {
    const given = o.inputShapes?.get(s.name);
    const rest = given ?? s.shape.slice(1).map((d, i) => {
      if (d === null) throw new UsageError(`model input "${s.name}" has an unknown dimension ${i + 1} (shape [${s.shape.map((x) => x ?? "?").join(", ")}]). Give it with --input-shape ${s.name}=${s.shape.slice(1).map((x) => x ?? "D").join(",")}.`);
      return d;
    });
    const shape = [o.samples, ...rest];
    const n = shapeSize(shape);
    let data: Float32Array | Int32Array | BigInt64Array;
    if (s.dtype === "float32") { const f = new Float32Array(n); for (let i = 0; i < n; i++) f[i] = rng.float() * 2 - 1; data = f; }
    else if (s.dtype === "int32") { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = rng.int(0, 10); data = a; }
    else { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = BigInt(rng.int(0, 10)); data = a; }
    return { name: s.name, shape, data: data as Float32Array };
  });
  return { feeds, source: `seeded random: ${o.samples} samples, floats uniform in [-1, 1), integers uniform in 0…9 (seed ${o.seed})` };
}
