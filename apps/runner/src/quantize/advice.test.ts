import { describe, expect, it } from "vitest";
import { cli } from "../__tests__/harness.js";
import { useOnnxMlp } from "../__tests__/onnx-mlp.js";
import type { QuantizeReport } from "./report.js";
import type { TfjsModel } from "@quantforge/io-tfjs";
import { OUTPUT_ADVICE_RELATIVE_ERROR, outputAdvice, storedQuantizedNote } from "./advice.js";

type Model = NonNullable<QuantizeReport["model"]>;
const block = (errors: (number | null)[]): Model => ({
  runtime: "test",
  inputs: [],
  inputSource: "generated",
  outputs: errors.map((relativeError, i) => ({ name: `y${i}`, shape: [2], relativeError, maxAbsError: relativeError ?? 0 })),
  worstRelativeError: null,
  reload: { runtime: "test", maxAbsDiff: 0, maxRelDiff: 0, matches: true },
});

describe("outputAdvice", () => {
  it("names the worst output above 10 % with per-tensor grids, and only then", () => {
    const a = outputAdvice(block([0.02, 1.2718, null, 0.5]), { bits: 8, granularity: "tensor" });
    expect(a).toMatch(/output "y1" differs from the original's by 127 % .*--option granularity=channel/);
    expect(outputAdvice(block([0.02, 1.2718]), { bits: 8, granularity: "channel" })).toBeUndefined();
    expect(outputAdvice(block([0.02, 1.2718]), { bits: 8 })).toBeUndefined();
    expect(outputAdvice(block([OUTPUT_ADVICE_RELATIVE_ERROR, null]), { granularity: "tensor" })).toBeUndefined();
    expect(outputAdvice(null, { granularity: "tensor" })).toBeUndefined();
    expect(outputAdvice(block([3e6]), { granularity: "tensor" })).toMatch(/by 3\.00e\+8 %/);
  });
});

describe("storedQuantizedNote", () => {
  const model = (qs: (string | undefined)[]) => ({ entries: qs.map((dtype, i) => ({ spec: { name: `w${i}`, shape: [2], dtype: "float32", ...(dtype ? { quantization: { dtype, min: 0, scale: 1 } } : {}) } })) }) as unknown as TfjsModel;
  it("counts the quantized tensors the input stored as uint8/uint16/float16, by storage", () => {
    const m = model(["uint8", undefined, "float16", "uint8", "uint16"]);
    expect(storedQuantizedNote(m, new Set(["w0", "w1", "w2", "w3"]))).toMatch(/^3 of the 4 quantized tensor\(s\) were stored quantized in the input \(uint8: 2, float16: 1\)/);
    expect(storedQuantizedNote(m, new Set(["w1"]))).toBeUndefined();
    expect(storedQuantizedNote(model([undefined]), new Set(["w0"]))).toBeUndefined();
  });
});

describe("quantize's output advice", () => {
  const m = useOnnxMlp();
  const quantize = async (tag: string, args: string[]) => {
    const r = await cli(["quantize", m.mlp, "--quantizer", "rtn", ...args, "--out", m.path(tag), "--json"]);
    expect(r.code, r.err).toBe(0);
    return { report: JSON.parse(r.out) as QuantizeReport, err: r.err };
  };
  it("warns (stderr and report) when per-tensor grids leave a large output error; not per channel, not at 8 bits", async () => {
    const coarse = await quantize("t2", ["--bits", "2"]);
    expect(coarse.report.model!.worstRelativeError).toBeGreaterThan(OUTPUT_ADVICE_RELATIVE_ERROR);
    expect(coarse.report.outputAdvice).toMatch(/granularity=channel/);
    expect(coarse.err).toContain(`warning: ${coarse.report.outputAdvice!}`);
    const channel = await quantize("c2", ["--bits", "2", "--option", "granularity=channel"]);
    expect(channel.report.model!.worstRelativeError).toBeGreaterThan(OUTPUT_ADVICE_RELATIVE_ERROR);
    expect(channel.report.outputAdvice).toBeUndefined();
    const fine = await quantize("t8", ["--bits", "8"]);
    expect(fine.report.model!.worstRelativeError).toBeLessThan(OUTPUT_ADVICE_RELATIVE_ERROR);
    expect(fine.report.outputAdvice).toBeUndefined();
    expect(fine.err).not.toMatch(/granularity=channel/);
  }, 120_000);
});
