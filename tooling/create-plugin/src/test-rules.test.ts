import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkTestTypecheck, hasTestFiles } from "./test-rules.js";

const repo = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
const root = mkdtempSync(join(tmpdir(), "qf-test-rules-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (rel: string, content: unknown) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), typeof content === "string" ? content : JSON.stringify(content));
};
const BOTH = "tsc -p tsconfig.json --noEmit && tsc -p tsconfig.test.json --noEmit";

describe("test-typecheck", () => {
  it("holds for this repository: every package with tests type-checks them", () => {
    expect(checkTestTypecheck(repo)).toEqual([]);
  });

  it("finds tests at any depth of src, not in dist or node_modules", () => {
    write("packages/deep/src/a/b/x.test.ts", "");
    write("packages/built/src/x.ts", "");
    write("packages/built/dist/x.test.ts", "");
    write("packages/built/src/node_modules/y.test.ts", "");
    expect([hasTestFiles(join(root, "packages/deep/src")), hasTestFiles(join(root, "packages/built/src")), hasTestFiles(join(root, "packages/none/src"))]).toEqual([true, false, false]);
  });

  it("reports a package with tests but no tsconfig.test.json, or a typecheck script that skips it; packages without tests need neither", () => {
    write("pnpm-workspace.yaml", 'packages:\n  - "packages/*"\n  - "apps/*"\n');
    write("packages/ok/package.json", { name: "@x/ok", scripts: { typecheck: BOTH } });
    write("packages/ok/tsconfig.test.json", "{}");
    write("packages/ok/src/a.test.ts", "");
    write("packages/no-config/package.json", { name: "@x/no-config", scripts: { typecheck: BOTH } });
    write("packages/no-config/src/a.test.ts", "");
    write("apps/no-script/package.json", { name: "@x/no-script", scripts: { typecheck: "tsc -p tsconfig.json --noEmit", lint: "tsc -p tsconfig.test.json" } });
    write("apps/no-script/tsconfig.test.json", "{}");
    write("apps/no-script/src/a.test.ts", "");
    write("apps/untested/package.json", { name: "@x/untested", scripts: { typecheck: "tsc -p tsconfig.json --noEmit" } });
    write("apps/untested/src/a.ts", "");
    expect(checkTestTypecheck(root).map((p) => `${p.package} ${p.rule} ${p.message.split(":")[0]!}`)).toEqual([
      "@x/no-config test-typecheck has *.test.ts files but no tsconfig.test.json",
      '@x/no-script test-typecheck the "typecheck" script must also run "tsc -p tsconfig.test.json --noEmit" (after "tsc -p tsconfig.json --noEmit", joined by &&).',
    ]);
  });
});
