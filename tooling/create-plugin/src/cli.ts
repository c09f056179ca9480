import { parseArgs } from "node:util";
import { ScaffoldError } from "./errors.js";
import { PLUGIN_KINDS } from "./names.js";
import { scaffoldPlugin } from "./scaffold.js";

const USAGE = `usage: create-quantforge-plugin <${PLUGIN_KINDS.join("|")}> <name> [--dir <path>] [--package-name <name>] [--description <text>] [--core <spec>] [--no-runner]

  <name>            the plugin id, kebab-case (my-method)
  --dir             where to create the package (default: packages/<kind>-<name> inside the
                    quantforge workspace, ./quantforge-plugin-<name> elsewhere)
  --package-name    npm name (default: @quantforge/<kind>-<name> under packages/, else quantforge-plugin-<name>)
  --description     one line for package.json and "quantforge list"
  --core            standalone only: the @quantforge/core dev dependency (e.g. file:../quantforge/packages/core)
  --no-runner       a packages/ plugin is not made built in (apps/runner is left alone)
`;

/** Runs the CLI on `args` (without node and script); returns the exit code. */
export function run(args: readonly string[], cwd: string, out: (s: string) => void, err: (s: string) => void): number {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { dir: { type: "string" }, "package-name": { type: "string" }, description: { type: "string" }, core: { type: "string" }, "no-runner": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    if (positionals.length !== 2) throw new ScaffoldError("QF_USAGE", `expected <kind> <name>, got ${positionals.length} argument(s). Run with --help for usage.`);
    const r = scaffoldPlugin({
      kind: positionals[0]!,
      id: positionals[1]!,
      cwd,
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      ...(values["package-name"] !== undefined ? { packageName: values["package-name"] } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
      ...(values.core !== undefined ? { core: values.core } : {}),
      ...(values["no-runner"] ? { registerRunner: false } : {}),
    });
    out(
      `created ${r.packageName} (${r.mode}${r.loadable ? ", loadable with --plugin/--discover" : ""}) in ${r.dir}: ${r.files.length} files${r.runnerFiles.length ? `; built in: ${r.runnerFiles.length} runner files edited` : ""}\nnext:\n${r.nextSteps.map((s) => `  ${s}`).join("\n")}\n`,
    );
    return 0;
  } catch (e) {
    const code = e instanceof ScaffoldError ? e.code : (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? "QF_USAGE" : "QF_INTERNAL";
    const msg = e instanceof Error ? e.message : String(e);
    err(`error ${code}: ${msg.replace(/\s*\n\s*/g, " ")}${code === "QF_USAGE" && !(e instanceof ScaffoldError) ? " Run with --help for usage." : ""}\n`);
    return code === "QF_INTERNAL" ? 1 : 2;
  }
}
