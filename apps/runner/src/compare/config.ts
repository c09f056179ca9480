import { readFile } from "node:fs/promises";
import { extname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ErrorCodes, FormatError, IoError, QuantforgeError, z } from "@quantforge/core";
import { isReferenceModelId } from "@quantforge/model-tfjs";
import { parseInputRanges } from "@quantforge/datasets";
import { modelKind } from "../model-probe.js";
import { parseBitsList, parsePluginList, parseQuantizerList, type PluginEntry, type QuantizerEntry } from "./syntax.js";

/** A configuration (file or flags) that breaks the compare schema; names the field (exit 2, `QF_USAGE`). */
export class ConfigError extends QuantforgeError {
  /** Dotted path of the bad field (`quantizers[1].sweep.step`). */
  readonly field: string;
  constructor(source: string, field: string, problem: string) {
    super(ErrorCodes.USAGE, `${source}: field "${field}" ${problem}. Fix that field.`);
    this.field = field;
  }
}

const ID = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a kebab-case plugin id");
const OPTIONS = z.record(z.string(), z.unknown());
const PLUGIN = z.union([z.string().min(1), z.strictObject({ id: ID, options: OPTIONS.optional() })]);
const QUANTIZER = z.union([
  z.string().min(1),
  z.strictObject({
    id: ID,
    options: OPTIONS.optional(),
    /** Options to sweep: `{ step: [0.01, 0.02] }`; the quantizer then skips the global bits. */
    sweep: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a plain option name"), z.array(z.unknown()).min(1, "must list at least one value")).optional(),
    label: z.string().min(1).optional(),
  }),
]);

/**
 * The zod schema of a compare configuration (`--config file.yaml|json`; the same shape is stored,
 * resolved, as `manifest.config` in every output). Quantizer, coder and evaluator entries are
 * either strings in the command-line syntax (`"hessian-ecsq:mode=uniform,step=0.01|0.02"`) or
 * objects `{ id, options, sweep, label }`. Relative paths are relative to the config file.
 */
export const compareConfigSchema = z.strictObject({
  /** A reference model id (`mnist-mlp`), a tfjs `model.json` (graph or layers) or an `.onnx` path. */
  model: z.string().min(1).optional(),
  /**
   * Data of the model: `embedded` or a folder of MNIST IDX files (reference-style models), a
   * `.safetensors` file of model inputs (other models).
   */
  data: z.string().min(1).optional(),
  /** Per-sample shapes (batch excluded) of model inputs with unknown dimensions, by input name. */
  inputShapes: z.record(z.string().min(1), z.array(z.number().int().min(1)).min(1, "must list at least one dimension")).optional(),
  /** Ranges of generated model inputs, as `--input-range` takes them (`lo,hi` or `name=lo,hi`). */
  inputRanges: z.array(z.string().min(1)).optional(),
  /** A weights file (safetensors), instead of a model. */
  weights: z.string().min(1).optional(),
  quantizers: z.array(QUANTIZER).min(1, "must list at least one quantizer"),
  /** Bit rates (a list, or a string such as "2,3,4,8" or "2-8"). */
  bits: z.union([z.array(z.number().int().min(1).max(32)), z.string().min(1)]).optional(),
  coders: z.array(PLUGIN).min(1, "must list at least one coder").optional(),
  evaluators: z.array(PLUGIN).optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  /** Per-cell time limit in seconds (null: none). */
  timeout: z.number().positive().nullable().optional(),
  /** Worker threads (not part of the results; left out of the manifest). */
  jobs: z.number().int().min(1).max(64).optional(),
  /** Output directory (left out of the manifest). */
  out: z.string().min(1).optional(),
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  allTensors: z.boolean().optional(),
  /** Run even when no tensor is selected (else every cell stops with QF_NOTHING_TO_QUANTIZE). */
  allowEmpty: z.boolean().optional(),
  /**
   * Third-party plugins to load before the run: package names (`quantforge-plugin-foo`, found in
   * node_modules from the config file's directory upwards) or paths (relative to the config file).
   */
  plugins: z.array(z.string().min(1)).optional(),
});

/** A compare configuration as written (file or flags). */
export type CompareConfigInput = z.input<typeof compareConfigSchema>;

/**
 * The fully resolved comparison: defaults applied, entries parsed, paths absolute. Stored as
 * `manifest.config`; `--verify` re-runs exactly this.
 */
export interface ResolvedCompareConfig {
  readonly model?: string;
  readonly data?: string;
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** `--input-range` values (validated), for model inputs generated without data. */
  readonly inputRanges?: readonly string[];
  readonly weights?: string;
  readonly quantizers: readonly QuantizerEntry[];
  readonly bits: readonly number[];
  readonly coders: readonly PluginEntry[];
  readonly evaluators: readonly PluginEntry[];
  readonly seed: number;
  readonly timeout: number | null;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly allTensors: boolean;
  /** Present (true) only with `--allow-empty`, so earlier manifests read the same. */
  readonly allowEmpty?: boolean;
  /** Plugins loaded for the run (package names, absolute paths); absent when only built-ins ran. */
  readonly plugins?: readonly string[];
}

/** True for a plugin spec that is a path (`./x.js`, `../dir`, `/abs`, `file:`) rather than a package name. */
export function isPluginPath(spec: string): boolean {
  return spec.startsWith("file:") || spec === "." || spec === ".." || /^\.{1,2}[\\/]/.test(spec) || isAbsolute(spec);
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
      .join(".")
      .replace(/\.\[/g, "[") || "(root)"
  );
}

interface Problem {
  path: PropertyKey[];
  problem: string;
}

/** The most specific problem of a zod issue: into the union branch that got furthest, into record keys. */
function problemOf(issue: z.core.$ZodIssue, base: readonly PropertyKey[] = []): Problem {
  const path = [...base, ...issue.path];
  if (issue.code === "invalid_union") {
    // A branch that failed only on its root type (a string where an object was given) is not the user's intent.
    const branch = issue.errors.find((b) => b.length > 0 && !(b[0]!.code === "invalid_type" && b[0].path.length === 0));
    if (branch) return problemOf(branch[0]!, path);
    return { path, problem: "must be a string (command-line syntax) or an object { id, options, … }" };
  }
  if (issue.code === "invalid_key") return { path, problem: issue.issues[0]?.message ?? "is not a valid key" };
  if (issue.code === "unrecognized_keys") return { path: [...path, issue.keys[0]!], problem: "is not a known setting" };
  const m = issue.message.replace(/^Invalid input: /, "is invalid: ").replace(/^Too small: expected array to have >=1 items$/, "must not be empty");
  return { path, problem: /^(must|is) /.test(m) ? m : `is invalid: ${m.charAt(0).toLowerCase()}${m.slice(1)}` };
}

/** Validates `raw` against {@link compareConfigSchema}; the first problem becomes a {@link ConfigError}. */
export function validateCompareConfig(raw: unknown, source: string): z.output<typeof compareConfigSchema> {
  const r = compareConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const p = problemOf(r.error.issues[0]!);
  throw new ConfigError(source, formatPath(p.path), p.problem);
}

/** Reads and validates a `.yaml`/`.yml`/`.json` config file. */
export async function loadCompareConfig(path: string): Promise<z.output<typeof compareConfigSchema>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new IoError(`cannot read config "${path}": ${(e as Error).message}. Check the path.`, e);
  }
  const ext = extname(path).toLowerCase();
  let raw: unknown;
  try {
    raw = ext === ".json" ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new FormatError(`config "${path}" is not valid ${ext === ".json" ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}. Fix the syntax.`, e);
  }
  return validateCompareConfig(raw ?? {}, `config "${path}"`);
}

function entries<T>(source: string, field: string, list: readonly unknown[], parse: (s: string) => T[], object: (o: Record<string, unknown>) => T): T[] {
  return list.flatMap((e, i) => {
    try {
      return typeof e === "string" ? parse(e) : [object(e as Record<string, unknown>)];
    } catch (err) {
      if (err instanceof ConfigError || !(err instanceof QuantforgeError)) throw err;
      throw new ConfigError(source, `${field}[${i}]`, `is invalid: ${err.message.replace(/\.$/, "")}`);
    }
  });
}

/**
 * Resolves a validated configuration: parses string entries, applies defaults (coder `fixed`,
 * evaluators `sqnr,size`, plus `accuracy` with a reference-style model or `fidelity` with any
 * other model (when evaluators are not given); data `embedded` for
 * those; seed 0; no timeout) and makes paths
 * absolute against `baseDir`. Exactly one of `model` and `weights` must be given.
 */
export function resolveCompareConfig(c: z.output<typeof compareConfigSchema>, baseDir: string, source: string): ResolvedCompareConfig {
  if ((c.model === undefined) === (c.weights === undefined))
    throw new ConfigError(source, c.model === undefined ? "model" : "weights", "conflicts: give exactly one input, model (a reference id or model.json) or weights (a safetensors, tfjs .json or .onnx file)");
  if (c.data !== undefined && c.model === undefined) throw new ConfigError(source, "data", "is only used with a model");
  if (c.inputShapes !== undefined && c.model === undefined) throw new ConfigError(source, "inputShapes", "is only used with a model");
  if (c.inputRanges !== undefined && c.model === undefined) throw new ConfigError(source, "inputRanges", "is only used with a model");
  if (c.inputRanges !== undefined) {
    try {
      parseInputRanges(c.inputRanges);
    } catch (e) {
      throw new ConfigError(source, "inputRanges", `is invalid: ${(e as Error).message.replace(/\.$/, "")}`);
    }
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const quantizers = entries<QuantizerEntry>(
    source,
    "quantizers",
    c.quantizers,
    (s) => parseQuantizerList([s]),
    (o) => ({
      id: o.id as string,
      options: (o.options as Record<string, unknown>) ?? {},
      ...(o.sweep ? { sweep: o.sweep as Record<string, unknown[]> } : {}),
      ...(o.label ? { label: o.label as string } : {}),
    }),
  );
  const plugin = (field: string, list: readonly unknown[]) =>
    entries<PluginEntry>(
      source,
      field,
      list,
      (s) => parsePluginList(`--${field}`, [s]),
      (o) => ({ id: o.id as string, options: (o.options as Record<string, unknown>) ?? {} }),
    );
  let bits: number[] = [];
  if (typeof c.bits === "string") {
    try {
      bits = parseBitsList(c.bits);
    } catch (e) {
      throw new ConfigError(source, "bits", `is invalid: ${(e as Error).message.replace(/\.$/, "")}`);
    }
  } else if (c.bits) bits = [...new Set(c.bits)];
  const evaluatorList = plugin("evaluators", c.evaluators ?? ["sqnr", "size"]);
  const hasModel = c.model !== undefined;
  const model = hasModel ? (isReferenceModelId(c.model!) ? c.model : abs(c.model!)) : undefined;
  const data = c.data === undefined || c.data === "embedded" ? c.data : abs(c.data);
  // Reference-style models have labelled MNIST test data: accuracy is always measured there (its
  // charts are what such a comparison is for). Other models have no labels (use fidelity).
  const reference = model !== undefined && modelKind(model, data) === "reference";
  // Any other model: when evaluators are not given, fidelity measures the model's outputs, so
  // the cells are ranked by what users care about (the outputs), not by weight SQNR.
  const evaluators =
    reference && !evaluatorList.some((e) => e.id === "accuracy")
      ? [...evaluatorList, { id: "accuracy", options: {} }]
      : model !== undefined && !reference && c.evaluators === undefined
        ? [...evaluatorList, { id: "fidelity", options: {} }]
        : evaluatorList;
  return {
    ...(hasModel
      ? {
          model: model!,
          ...(reference ? { data: data ?? "embedded" } : data !== undefined ? { data } : {}),
          ...(c.inputShapes && Object.keys(c.inputShapes).length > 0 ? { inputShapes: c.inputShapes } : {}),
          ...(c.inputRanges && c.inputRanges.length > 0 ? { inputRanges: c.inputRanges } : {}),
        }
      : { weights: abs(c.weights!) }),
    quantizers,
    bits,
    coders: plugin("coders", c.coders ?? ["fixed"]),
    evaluators,
    seed: c.seed ?? 0,
    timeout: c.timeout ?? null,
    include: c.include ?? [],
    exclude: c.exclude ?? [],
    allTensors: c.allTensors ?? false,
    ...(c.allowEmpty ? { allowEmpty: true } : {}),
    ...(c.plugins?.length ? { plugins: c.plugins.map((p) => (p.startsWith("file:") ? fileURLToPath(p) : isPluginPath(p) ? abs(p) : p)) } : {}),
  };
}
