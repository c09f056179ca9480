import { describe, expect, it } from "vitest";
import { detectJsonFormat, targetsFor } from "./models.js";

describe("format detection", () => {
  it("tells graph models, layers models and weights manifests apart", () => {
    expect(detectJsonFormat({ format: "graph-model", modelTopology: { node: [] } })).toBe("tfjs-graph");
    expect(detectJsonFormat({ modelTopology: { node: [] } })).toBe("tfjs-graph");
    expect(detectJsonFormat({ format: "layers-model", modelTopology: { config: {} } })).toBe("tfjs-layers");
    expect(detectJsonFormat([{ paths: ["a.bin"], weights: [] }])).toBe("tfjs-manifest");
    expect(detectJsonFormat([])).toBeNull();
    expect(detectJsonFormat({ weights: [] })).toBeNull();
  });
  it("runs qf first (the reference) and the format's own targets", () => {
    expect(targetsFor("onnx", false)).toEqual(["qf", "onnx", "onnx-qdq"]);
    expect(targetsFor("onnx", true, 9)).toEqual(["qf", "onnx"]);
    expect(targetsFor("onnx", true, 13)).toEqual(["qf", "onnx-qdq"]);
    expect(targetsFor("tfjs-graph", true)).toEqual(["qf", "tfjs-native"]);
    expect(targetsFor("tfjs-manifest", false)[0]).toBe("qf");
  });
});
