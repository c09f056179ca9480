import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CHANGESETS_VERSION, CORE_VERSION, TOOL_VERSIONS } from "./versions.js";

const root = new URL("../../../", import.meta.url);
const json = (rel: string) => JSON.parse(readFileSync(new URL(rel, root), "utf8")) as { version: string; devDependencies: Record<string, string> };

it("standalone packages get the workspace's tool versions", () => {
  const dev = json("package.json").devDependencies;
  for (const [name, version] of Object.entries(TOOL_VERSIONS)) expect(dev[name], name).toBe(version);
  expect(dev["@changesets/cli"]).toBe(CHANGESETS_VERSION);
});

it("CORE_VERSION is the current @quantforge/core version (pnpm version-packages syncs it)", () => {
  expect(CORE_VERSION).toBe(json("packages/core/package.json").version);
});
