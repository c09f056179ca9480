import type { TfjsModel, TfjsModelWriter } from "@quantforge/io-tfjs";
import type { Sink } from "./sink.js";

/** tfjs model.json + shards (native, coded or float) through io-tfjs's writer. */
export function tfjsSink(w: TfjsModelWriter, m: TfjsModel): Sink {
  const byName = new Map(m.entries.map((e) => [e.spec.name, e]));
  return {
    quantized: (name, tensor, codebook, stream) => w.add(byName.get(name)!, { kind: "quantized", tensor, codebook, ...(stream ? { stream } : {}) }),
    kept: (name) => w.add(byName.get(name)!, { kind: "original" }),
    async close() {
      const r = await w.close();
      return { files: [...r.files], ...(r.container ? { container: r.container } : {}), notes: [] };
    },
    abort: () => w.abort(),
  };
}
