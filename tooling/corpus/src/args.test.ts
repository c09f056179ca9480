import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";

describe("parseArgs", () => {
  it("reads repeatable models, packages and input shapes, and drops pnpm's leading --", () => {
    const a = parseArgs(["--", "--model", "a.onnx", "--model", "b/model.json", "--package", "@s/p@1.2.3:package/m.onnx", "--input-shape", "x=1,2", "--fast"]);
    expect(a.models).toEqual(["a.onnx", "b/model.json"]);
    expect(a.packages).toEqual([{ name: "@s/p", version: "1.2.3", path: "package/m.onnx" }]);
    expect(a.inputShape).toEqual(["x=1,2"]);
    expect(a.fast).toBe(true);
  });
  it("rejects unknown flags, missing values and malformed package specs", () => {
    expect(() => parseArgs(["--nope"])).toThrow(/unknown option --nope/);
    expect(() => parseArgs(["--model"])).toThrow(/needs a value/);
    expect(() => parseArgs(["--package", "p:path"])).toThrow(/name@version:path/);
    expect(() => parseArgs(["--timeout", "-3"])).toThrow(/positive/);
  });
});
