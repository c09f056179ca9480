import { expect, it } from "vitest";

// Pins the public surface: adding, renaming or removing an export must be deliberate.
it("exports exactly the public API, with the plugin descriptor as default export", async () => {
  const mod = await import("./index.js");
  expect(Object.keys(mod).sort()).toEqual(["FLT_MAX", "VERSION", "absMax", "baseValue", "default", "log2Levels", "log2OptionsSchema", "log2Quantize", "log2QuantizeTensor", "log2Quantizer", "magnitudeCount", "powerOf", "topExponent"]);
  expect(mod.default).toMatchObject({ kind: "quantizer", id: "log2", version: mod.VERSION });
});

it("imports nothing from @quantforge/core but its public entry points", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const dir = new URL(".", import.meta.url);
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
    const src = readFileSync(new URL(f, dir), "utf8");
    for (const m of src.matchAll(/from\s+"(@quantforge\/[^"]+)"/g)) expect(["@quantforge/core", "@quantforge/core/testing"], `${f} imports ${m[1]}`).toContain(m[1]);
  }
});
