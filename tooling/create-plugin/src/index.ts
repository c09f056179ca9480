/**
 * `@quantforge/create-plugin`: scaffolds quantforge plugin packages (`pnpm create-plugin <kind> <name>`)
 * and checks package manifests against the publishing rules (`pnpm check:packages`).
 *
 * @packageDocumentation
 */
export { scaffoldPlugin, renderPlugin, findWorkspaceRoot, workspaceFolders, LOADABLE_NAME_RE } from "./scaffold.js";
export type { ScaffoldOptions, ScaffoldResult } from "./scaffold.js";
export { ScaffoldError } from "./errors.js";
export type { ScaffoldErrorCode } from "./errors.js";
export { PLUGIN_KINDS, PLUGIN_ID_RE, pluginNames, camelCase, pascalCase } from "./names.js";
export type { PluginKind, PluginNames } from "./names.js";
export type { TemplateContext, GeneratedFile } from "./templates/context.js";
export { run } from "./cli.js";
export { registerInRunner, RUNNER_FILES } from "./register-runner.js";
export type { RunnerRegistration } from "./register-runner.js";
export { CORE_VERSION, TOOL_VERSIONS, CHANGESETS_VERSION } from "./versions.js";
export { checkManifest, checkWorkspacePackages, PACKAGE_RULES } from "./package-rules.js";
export type { Manifest, PackageProblem, RuleContext } from "./package-rules.js";
export { checkTestTypecheck } from "./test-rules.js";
