import { describe, expect, it } from "vitest";
import { requireCapabilities, type ModelProbe } from "./capabilities.js";
import { ErrorCodes, MissingCapabilityError } from "./errors.js";

/** A runnable model without dense layers (a conv-only ONNX or tfjs file model): a forward pass, no layer inputs. */
const convOnly: ModelProbe = { id: "face.onnx", weights: [], forward: { predict: () => Promise.resolve(new Float32Array(0)) } };

function thrown(f: () => void): MissingCapabilityError {
  try {
    f();
  } catch (e) {
    if (e instanceof MissingCapabilityError) return e;
    throw e;
  }
  throw new Error("expected a MissingCapabilityError");
}

describe("requireCapabilities", () => {
  it("passes when the probe offers every capability asked for", () => {
    expect(() => requireCapabilities("q", convOnly, ["forward"])).not.toThrow();
    expect(() => requireCapabilities("q", undefined, [])).not.toThrow();
  });

  it("tells a weights-file run to use a model", () => {
    const e = thrown(() => requireCapabilities("gptq", undefined, ["layerInputs"]));
    expect(e.code).toBe(ErrorCodes.MISSING_CAPABILITY);
    expect(e.message).toContain("Run it on a model (--model)");
  });

  it("names the given model and what it offers instead of telling the user to pass a model", () => {
    const e = thrown(() => requireCapabilities("gptq", convOnly, ["layerInputs"]));
    expect(e.code).toBe(ErrorCodes.MISSING_CAPABILITY);
    expect(e.message).not.toContain("--model");
    expect(e.message).toContain('model "face.onnx" does not offer (it offers: forward)');
    expect(e.message).toContain('"gptq" needs the model capability "layerInputs"');
  });

  it("says the plugin's own advice instead of the generic one, with or without a model", () => {
    const advice = "set the option importance=none.";
    const withModel = thrown(() => requireCapabilities("hessian-ecsq", convOnly, ["hessianDiagonal"], advice));
    expect(withModel.message).toContain(`need none). Or: ${advice}`);
    expect(withModel.message).not.toContain("options that do not need");
    const bare = thrown(() => requireCapabilities("hessian-ecsq", undefined, ["hessianDiagonal"], advice));
    expect(bare.message).toContain(`Run it on a model (--model). Or: ${advice}`);
    expect(bare.message).not.toContain("options that do not need");
  });

  it("says none when the model offers nothing", () => {
    const e = thrown(() => requireCapabilities("hessian-ecsq", { id: "w", weights: [] }, ["hessianDiagonal"]));
    expect(e.message).toContain("(it offers: none)");
  });
});
