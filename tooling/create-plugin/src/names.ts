/** The plugin kinds the scaffold knows. */
export const PLUGIN_KINDS = ["quantizer", "coder", "evaluator"] as const;
/** One of {@link PLUGIN_KINDS}. */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** Plugin ids: kebab-case, starting with a letter (so the factory name is a valid identifier). */
export const PLUGIN_ID_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Every name derived from a plugin id and kind, as the conventions in CONTRIBUTING.md use them. */
export interface PluginNames {
  readonly kind: PluginKind;
  /** The plugin id: `my-method`. */
  readonly id: string;
  /** camelCase id: `myMethod`. */
  readonly camel: string;
  /** PascalCase id: `MyMethod`. */
  readonly pascal: string;
  /** PascalCase kind: `Quantizer`. */
  readonly Kind: string;
  /** The factory: `myMethodQuantizer`. */
  readonly factory: string;
  /** The zod schema: `myMethodOptionsSchema`. */
  readonly schema: string;
  /** The option types: `MyMethodOptions` / `MyMethodOptionsInput`. */
  readonly options: string;
  readonly optionsInput: string;
  /** Source files: `my-method-impl.ts`, `my-method-quantizer.ts` (without `.ts`). */
  readonly implFile: string;
  readonly adapterFile: string;
}

/** camelCase of a kebab-case id. */
export function camelCase(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** PascalCase of a kebab-case id. */
export function pascalCase(id: string): string {
  const c = camelCase(id);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

/** All names for `kind` and `id` (validated by the caller). */
export function pluginNames(kind: PluginKind, id: string): PluginNames {
  const camel = camelCase(id);
  const pascal = pascalCase(id);
  const Kind = kind.charAt(0).toUpperCase() + kind.slice(1);
  return {
    kind,
    id,
    camel,
    pascal,
    Kind,
    factory: `${camel}${Kind}`,
    schema: `${camel}OptionsSchema`,
    options: `${pascal}Options`,
    optionsInput: `${pascal}OptionsInput`,
    implFile: `${id}-impl`,
    adapterFile: `${id}-${kind}`,
  };
}
