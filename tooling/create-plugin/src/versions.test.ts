import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CHANGESETS_VERSION, CORE_VERSION, TOOL_VERSIONS } from "./versions.js";

const root = new URL("../../../", import.meta.url);
const json = (rel: string) => JSON.parse(readFileSync(new URL(rel, root), "utf8")) as { version: string; devDependencies: Record<string, string> };

/** The `catalog:` block of pnpm-workspace.yaml (`name: version` lines, names optionally quoted). */
function catalog(): Record<string, string> {
  const out: Record<string, string> = {};
  let inside = false;
  for (const line of readFileSync(new URL("pnpm-workspace.yaml", root), "utf8").split("\n")) {
    if (/^catalog:\s*$/.test(line)) inside = true;
    else if (/^\S/.test(line)) inside = false;
    const m = inside ? /^\s+"?([^":]+)"?:\s*(\S+)\s*$/.exec(line) : null;
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

it("standalone packages get the workspace's tool versions", () => {
  const dev = json("package.json").devDependencies;
  const cat = catalog();
  // The workspace takes the shared tools from the pnpm catalog (`"vitest": "catalog:"`).
  for (const [name, version] of Object.entries(TOOL_VERSIONS)) expect(dev[name] === "catalog:" ? cat[name] : dev[name], name).toBe(version);
  expect(dev["@changesets/cli"]).toBe(CHANGESETS_VERSION);
});

it("CORE_VERSION is the current @quantforge/core version (pnpm version-packages syncs it)", () => {
  expect(CORE_VERSION).toBe(json("packages/core/package.json").version);
});
