import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { CollectingDiagnostics, createRunContext } from "./context.js";
import { InvalidOptionsError } from "./errors.js";
import { scopeSchema } from "./grouping-options.js";
import { aliasedEnum, deprecatedSpellings, warnDeprecatedOptions, DEPRECATED_OPTION_RULE } from "./option-aliases.js";
import { defineQuantizer } from "./plugin.js";
import { runPipeline } from "./pipeline.js";
import { z } from "zod";

const SCOPE_ALIASES = { scope: { global: "joint" } } as const;
const scope = aliasedEnum(scopeSchema.options, SCOPE_ALIASES.scope);

describe("aliasedEnum", () => {
  it("parses canonical values to themselves and old spellings to the canonical value", () => {
    expect(scope.parse("joint")).toBe("joint");
    expect(scope.parse("layer")).toBe("layer");
    expect(scope.parse("global")).toBe("joint");
  });

  it("rejects anything else, naming only the canonical values", () => {
    const r = scope.safeParse("tensor");
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('"joint"');
    expect(r.error?.issues[0]?.message).not.toContain("global");
    expect(scope.safeParse(1).success).toBe(false);
    // Alias lookup is own-property only: prototype keys are not spellings.
    expect(scope.safeParse("toString").success).toBe(false);
  });

  it("keeps a default and works inside a strict object", () => {
    const s = z.strictObject({ scope: scope.default("layer") });
    expect(s.parse({})).toEqual({ scope: "layer" });
    expect(s.parse({ scope: "global" })).toEqual(s.parse({ scope: "joint" }));
  });

  test.prop([
    fc.constantFrom("a", "b", "c"),
    fc.dictionary(
      fc.string({ minLength: 1 }).filter((k) => !["a", "b", "c"].includes(k)),
      fc.constantFrom("a", "b", "c"),
    ),
  ])("every alias parses to the value it names; canonical values are untouched", (v, aliases) => {
    const e = aliasedEnum(["a", "b", "c"], aliases);
    expect(e.parse(v)).toBe(v);
    for (const [old, canonical] of Object.entries(aliases)) expect(e.parse(old)).toBe(canonical);
  });
});

describe("deprecatedSpellings / warnDeprecatedOptions", () => {
  it("finds the old spellings in raw options and warns once each, with one line saying what to use", () => {
    expect(deprecatedSpellings({ scope: "global", bits: 4 }, SCOPE_ALIASES)).toEqual([{ option: "scope", given: "global", canonical: "joint" }]);
    expect(deprecatedSpellings({ scope: "joint" }, SCOPE_ALIASES)).toEqual([]);
    expect(deprecatedSpellings(undefined, SCOPE_ALIASES)).toEqual([]);
    expect(deprecatedSpellings({ scope: "global" }, undefined)).toEqual([]);
    const d = new CollectingDiagnostics();
    expect(warnDeprecatedOptions({ scope: "global" }, SCOPE_ALIASES, d, "q")).toBe(1);
    expect(d.items).toEqual([{ severity: "warning", source: "q", ruleId: DEPRECATED_OPTION_RULE, message: "option scope=global is deprecated; use scope=joint" }]);
  });

  it("CollectingDiagnostics keeps one of many identical deprecated-option warnings, and every other diagnostic", () => {
    const d = new CollectingDiagnostics();
    for (let i = 0; i < 100; i++) warnDeprecatedOptions({ scope: "global" }, SCOPE_ALIASES, d, "q");
    for (let i = 0; i < 3; i++) d.report({ severity: "info", source: "q", ruleId: "zero-scale", message: "same" });
    warnDeprecatedOptions({ scope: "global" }, SCOPE_ALIASES, d, "other");
    expect(d.items.map((x) => `${x.source}/${x.ruleId}`)).toEqual(["q/deprecated-option", "q/zero-scale", "q/zero-scale", "q/zero-scale", "other/deprecated-option"]);
  });
});

describe("descriptors and the pipeline", () => {
  const plugin = defineQuantizer({
    id: "aliased",
    version: "0.0.0",
    description: "test",
    options: z.strictObject({ scope: scope.default("layer") }),
    optionAliases: SCOPE_ALIASES,
    create: (o) => ({
      id: "aliased",
      quantize: (ws, ctx) => {
        // A per-tensor step repeating the warning still yields one diagnostic.
        for (const _ of ws) warnDeprecatedOptions({ scope: o.scope === "joint" ? "global" : o.scope }, SCOPE_ALIASES, ctx.diagnostics, "aliased");
        return { codebooks: [{ id: "c", kind: "levels", levels: new Float32Array([0]) }], tensors: ws.map((t) => ({ name: t.name, shape: t.shape, codebook: "c", grouping: { kind: "tensor" }, codes: new Uint32Array(t.data.length) })) };
      },
    }),
  });

  it("old and new spellings parse to identical options; the descriptor carries the alias table", () => {
    expect(plugin.parseOptions({ scope: "global" })).toEqual(plugin.parseOptions({ scope: "joint" }));
    expect(plugin.optionAliases).toEqual(SCOPE_ALIASES);
    expect(Object.isFrozen(plugin.optionAliases)).toBe(true);
    expect(() => plugin.parseOptions({ scope: "tensor" })).toThrow(InvalidOptionsError);
  });

  it("runPipeline emits exactly one deprecation warning for an old spelling, none for the new one", async () => {
    const weights = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, shape: [2], data: new Float32Array([0, 0]) }));
    const old = await runPipeline({ weights, quantizer: { plugin, options: { scope: "global" } }, options: { seed: 1 } });
    expect(old.diagnostics.filter((d) => d.ruleId === DEPRECATED_OPTION_RULE)).toHaveLength(1);
    const neu = await runPipeline({ weights, quantizer: { plugin, options: { scope: "layer" } } });
    expect(neu.diagnostics).toEqual([]);
    expect(createRunContext().diagnostics).toBeInstanceOf(CollectingDiagnostics);
  });
});
