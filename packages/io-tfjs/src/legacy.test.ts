import { describe, expect, it } from "vitest";
import { isLegacyTfjsTopologyPath, legacyTfjsAdvice, parseModelJson } from "./parse.js";

describe("pre-1.0 tfjs graph models (tensorflowjs_model.pb + weights_manifest.json)", () => {
  it("are told apart by the topology's file name", () => {
    expect(isLegacyTfjsTopologyPath("models/web/tensorflowjs_model.pb")).toBe(true);
    expect(isLegacyTfjsTopologyPath("C:\\m\\TensorflowJS_Model.pb")).toBe(true);
    expect(isLegacyTfjsTopologyPath("tensorflowjs_model.pb")).toBe(true);
    expect(isLegacyTfjsTopologyPath("models/frozen_model.pb")).toBe(false);
    expect(isLegacyTfjsTopologyPath("models/model.json")).toBe(false);
  });

  it("passing the .pb as a model.json says what it is and what to do, not only that it is not UTF-8", () => {
    const pb = Uint8Array.from([0x0a, 0xff, 0xfe, 0x12, 0x80]);
    expect(() => parseModelJson(pb, "m/tensorflowjs_model.pb")).toThrow(legacyTfjsAdvice("m/tensorflowjs_model.pb"));
    expect(() => parseModelJson(pb, "m/tensorflowjs_model.pb")).toThrow(/pre-1\.0 TensorFlow\.js graph model .*weights_manifest\.json beside it/);
    expect(() => parseModelJson(pb, "m/model.json")).toThrow(/is not UTF-8 text/);
  });
});
