import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { WeightTensor } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsHeader } from "./header.js";
import { loadSafetensors } from "./read.js";
import { saveSafetensors } from "./write.js";
import { bits, scratchDir } from "./__fixtures__/files.js";

// Cross-check against an independent implementation: a numpy reader/writer written from the spec
// (`__fixtures__/numpy_crosscheck.py`). Skipped when python3 or numpy is missing; the
// byte-for-byte reference file in write.test.ts covers the format without Python.
// A python3 with numpy: $QF_PYTHON, the one on PATH, or Debian's (`.ci/run` installs python3-numpy,
// so under CI these checks run rather than skip).
const python = [process.env.QF_PYTHON, "python3", "/usr/bin/python3"].find((p) => !!p && spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
const hasNumpy = python !== undefined || !!process.env.CI;
const script = fileURLToPath(new URL("./__fixtures__/numpy_crosscheck.py", import.meta.url));

const MAX = 3.4028234663852886e38;
const weights: WeightTensor[] = [
  { name: "layer.0/kernel", shape: [2, 3], data: Float32Array.of(0.1, -0, 2 ** -149, MAX, -MAX, 1e-40) },
  { name: "rounding", shape: [8], data: Float32Array.of(65504, 65520, 1e-8, 5.96e-8, -2.5e-8, 1 / 3, 3.140625, 1.00390625) },
  { name: "special", shape: [3], data: Float32Array.of(Infinity, -Infinity, NaN) },
  { name: "scalar", shape: [], data: Float32Array.of(-7.25) },
  { name: "empty", shape: [4, 0], data: new Float32Array(0) },
];

/** Bit-exact comparison, except that any NaN matches any NaN (hardware may quiet signalling NaNs). */
function expectSameFloats(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  const gb = bits(got),
    wb = bits(want);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (gb[i] !== wb[i]) expect.fail(`${what}[${i}]: got ${got[i]} (0x${gb[i]!.toString(16)}), want ${want[i]} (0x${wb[i]!.toString(16)})`);
  }
}

describe.skipIf(!hasNumpy)("cross-check with an independent numpy implementation", () => {
  let s: Awaited<ReturnType<typeof scratchDir>>;
  let read: { metadata: Record<string, string>; tensors: Record<string, { shape: number[]; bits: number[] }> };
  let back: Map<string, WeightTensor>;

  beforeAll(async () => {
    s = await scratchDir();
    await saveSafetensors(s.file("ours.safetensors"), weights, { metadata: { format: "pt", ü: "✓" } });
    const r = spawnSync(python ?? "python3", [script, s.file("ours.safetensors"), s.file("theirs.safetensors")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`numpy cross-check script failed: ${r.stderr}`);
    read = JSON.parse(r.stdout) as typeof read;
    back = new Map((await loadSafetensors(s.file("theirs.safetensors"))).map((t) => [t.name, t]));
  }, 60_000);
  afterAll(async () => {
    await s?.cleanup();
  });

  it("numpy reads our file: same metadata, shapes and float32 bits, no holes", () => {
    expect(read.metadata).toEqual({ format: "pt", ü: "✓" });
    expect(Object.keys(read.tensors).sort()).toEqual(weights.map((w) => w.name).sort());
    for (const w of weights) {
      expect(read.tensors[w.name]!.shape).toEqual(w.shape);
      expect(read.tensors[w.name]!.bits).toEqual(bits(w.data));
    }
  });

  it("we read numpy's file (json.dumps spacing, name order) with the metadata it wrote", async () => {
    const h = await readSafetensorsHeader(s.file("theirs.safetensors"));
    expect(h.metadata).toEqual({ writer: "numpy", format: "pt", ü: "✓" });
    expect(new Set(h.tensors.map((t) => t.dtype))).toEqual(new Set(["F64", "F16", "BF16", "F32"]));
  });

  it("F64 narrows back to the original float32 values", () => {
    for (const w of weights) expectSameFloats(back.get(`${w.name}.f64`)!.data, w.data, `${w.name}.f64`);
  });

  it("F16 and BF16 decode to exactly what numpy widens them to", () => {
    for (const w of weights) {
      for (const d of ["f16", "bf16"]) {
        const t = back.get(`${w.name}.${d}`)!;
        expect(t.shape).toEqual(w.shape);
        expectSameFloats(t.data, back.get(`${w.name}.${d}.as_f32`)!.data, `${w.name}.${d}`);
      }
    }
  });

  it("all 65536 float16 patterns decode as numpy decodes them", () => {
    const ours = back.get("every.f16")!.data;
    const theirs = back.get("every.f16.as_f32")!.data;
    expectSameFloats(ours, theirs, "every.f16");
    expect(ours.filter((x) => Number.isNaN(x)).length).toBe(2046); // 2 signs × (2^10 − 1) payloads
  });
});
