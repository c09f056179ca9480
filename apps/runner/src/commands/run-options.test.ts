import { describe, expect, it } from "vitest";
import { quantizerOptions } from "./run.js";

describe("quantizerOptions", () => {
  it("passes --coder to auto as its option coder (auto sizes candidates with it)", () => {
    expect(quantizerOptions({ quantizer: "auto", option: [], coder: "rans" })).toEqual({ coder: "rans" });
    // An explicit --option coder=… wins; other quantizers never get the option.
    expect(quantizerOptions({ quantizer: "auto", option: ["coder=huffman"], coder: "rans" })).toEqual({ coder: "huffman" });
    expect(quantizerOptions({ quantizer: "rtn", option: [], coder: "rans" })).toEqual({});
    expect(quantizerOptions({ quantizer: "auto", option: [] })).toEqual({});
  });
});
