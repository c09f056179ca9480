import { describe, expect, it } from "vitest";
import { inputFormat } from "./source.js";

describe("inputFormat", () => {
  it("tells the formats apart by name", () => {
    expect(["m/model.json", "m/x.onnx", "w.safetensors"].map(inputFormat)).toEqual(["tfjs", "onnx", "safetensors"]);
    expect(() => inputFormat("w.bin")).toThrow(/cannot tell the format/);
  });
  it("a pre-1.0 tfjs topology (tensorflowjs_model.pb) is named as such, with what to do", () => {
    expect(() => inputFormat("web/tensorflowjs_model.pb")).toThrow(/"web\/tensorflowjs_model\.pb" is a pre-1\.0 TensorFlow\.js graph model .*weights_manifest\.json beside it/);
  });
});
