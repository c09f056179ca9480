import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorCodes, InvalidOptionsError } from "./errors.js";
import { defineQuantizer, instantiate, parseWithSchema } from "./plugin.js";

const schema = z
  .object({
    bits: z.number().int().min(1).max(16).default(8),
    mode: z.enum(["tensor", "channel"]).default("tensor"),
    group: z.object({ size: z.number().int().positive() }).optional(),
    list: z.array(z.number()).optional(),
  })
  .strict();

function err(f: () => unknown): InvalidOptionsError {
  try {
    f();
  } catch (e) {
    return e as InvalidOptionsError;
  }
  throw new Error("expected an error");
}

describe("option parsing", () => {
  it("applies schema defaults and factory defaults under the raw options", () => {
    const p = defineQuantizer({ id: "demo", version: "1.0.0", description: "d", options: schema, defaults: { bits: 4 }, create: () => ({ id: "demo", quantize: () => ({ codebooks: [], tensors: [] }) }) });
    expect(p.parseOptions(undefined)).toEqual({ bits: 4, mode: "tensor" });
    expect(p.parseOptions({ bits: 2 })).toEqual({ bits: 2, mode: "tensor" });
    expect(p.parseOptions(null)).toEqual({ bits: 8, mode: "tensor" }); // null = no options; factory defaults only merge into objects
    expect(instantiate(p, { mode: "channel" }).id).toBe("demo");
  });

  it.each([
    [{ bits: 0 }, "bits"],
    [{ bits: 17 }, "bits"],
    [{ bits: 2.5 }, "bits"],
    [{ bits: "8" }, "bits"],
    [{ mode: "row" }, "mode"],
    [{ group: { size: -1 } }, "group.size"],
    [{ list: [1, "x"] }, "list[1]"],
    [{ typo: 1 }, "typo"],
  ])("rejects %j with InvalidOptionsError naming %s", (raw, field) => {
    const e = err(() => parseWithSchema("demo", schema, raw));
    expect(e).toBeInstanceOf(InvalidOptionsError);
    expect(e.code).toBe(ErrorCodes.INVALID_OPTIONS);
    expect(e.field).toBe(field);
    expect(e.message).toContain(`field "${field}"`);
    expect(e.message).toContain('"demo"');
    expect(e.message).not.toContain("\n");
    expect(e.exitCode).toBe(2);
  });

  it("rejects non-object options at the root", () => {
    for (const raw of [42, "bits=4", [1]]) {
      const e = err(() => parseWithSchema("demo", schema, raw));
      expect(e.code).toBe(ErrorCodes.INVALID_OPTIONS);
      expect(e.field).toBe("");
      expect(e.message).toContain("options");
    }
  });
});
