import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Rng, groupIndexMap, type Grouping } from "@quantforge/core";
import { gptqLayer } from "./gptq-impl.js";
import { hessianFromInputs } from "./linalg.js";

const script = fileURLToPath(new URL("../reference/gptq_ref.py", import.meta.url));
// A python3 with numpy: $QF_PYTHON, the one on PATH, or Debian's (`.ci/run` installs python3-numpy,
// so under CI these checks run rather than skip).
const python = [process.env.QF_PYTHON, "python3", "/usr/bin/python3"].find((p) => !!p && spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
const hasNumpy = python !== undefined || !!process.env.CI;

/** A fixed layer: 40 inputs (ReLU-like, some always 0), 24 outputs, 64 calibration rows. */
function layer(seed: number) {
  const rng = new Rng(seed);
  const k = 40,
    n = 24,
    m = 64;
  const w = Float32Array.from({ length: k * n }, () => rng.normal() / Math.sqrt(k));
  const x = Float32Array.from({ length: m * k }, (_, i) => (i % k < 3 ? 0 : Math.max(0, rng.normal() + 0.2 * (i % k))));
  return { k, n, m, w, x };
}

// The tolerance is float order only: the plugin factors H⁻¹ by a reversed Cholesky, numpy by
// inv + cholesky, and BLAS sums in its own order; a code may flip only where w/s + z lands within
// ~1e-9 of a rounding boundary. Measured: 0 codes differ on every case below.
describe.skipIf(!hasNumpy)("gptq matches an independent numpy reference (python3-numpy)", () => {
  const cases: { name: string; grouping: Grouping; bits: number; actOrder: boolean; blockSize: number }[] = [
    { name: "per output channel, 3 bits", grouping: { kind: "channel", axis: 1 }, bits: 3, actOrder: false, blockSize: 128 },
    { name: "groups of 8, 4 bits, act order, blocks of 16", grouping: { kind: "group", size: 8 }, bits: 4, actOrder: true, blockSize: 16 },
    { name: "per tensor, 2 bits, blocks of 7", grouping: { kind: "tensor" }, bits: 2, actOrder: false, blockSize: 7 },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.name, () => {
      const { k, n, m, w, x } = layer(10 + i);
      const groups = groupIndexMap([k, n], c.grouping);
      const groupCount = Math.max(...groups) + 1;
      const r = gptqLayer({ w, k, n, h: hessianFromInputs(x, m, k), groups, groupCount, spec: { bits: c.bits, scheme: "asymmetric", zero: "exact" }, dampening: 0.01, actOrder: c.actOrder, blockSize: c.blockSize });
      if (!r.ok) throw new Error("not PD");
      const out = spawnSync(python ?? "python3", [script], {
        input: JSON.stringify({ k, n, w: [...w], x: [...x], groups: [...groups], bits: c.bits, dampening: 0.01, actOrder: c.actOrder, blockSize: c.blockSize }),
        encoding: "utf8",
        maxBuffer: 1 << 26,
      });
      expect(out.stderr).toBe("");
      const ref = (JSON.parse(out.stdout) as { codes: number[] }).codes;
      const differ = ref.filter((q, j) => q !== r.codes[j]).length;
      expect(differ).toBe(0);
    });
  }
});
