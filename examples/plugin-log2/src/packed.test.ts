import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The acceptance test of issue 9: this package, packed with `pnpm pack` and installed with
// `npm install --offline` (tarballs only, no registry) into a project outside the workspace, is
// loaded by the built CLI with --plugin and --discover and compared against a built-in quantizer.
const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, "..");
const repo = resolve(pkgDir, "../..");
const coreDir = join(repo, "packages/core");
const cliJs = join(repo, "apps/runner/dist/cli.js");
const DEAD_REGISTRY = "http://127.0.0.1:9";

let work: string;
let project: string;
let tarballs: string;

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
}

function cli(args: readonly string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** pnpm pack in `dir` (workspace: ranges become real versions); returns the tarball path. */
function pnpmPack(dir: string): string {
  const before = new Set(readdirSync(tarballs));
  run("pnpm", ["pack", "--pack-destination", tarballs], dir);
  const made = readdirSync(tarballs).filter((f) => !before.has(f) && f.endsWith(".tgz"));
  expect(made).toHaveLength(1);
  return join(tarballs, made[0]!);
}

/** `node_modules/<name>` as Node resolves it from `fromDir` (the pnpm store layout included). */
function resolvePackage(name: string, fromDir: string): string {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, "node_modules", name);
    if (existsSync(join(p, "package.json"))) return realpathSync(p);
    if (dirname(d) === d) throw new Error(`cannot resolve ${name} from ${fromDir}`);
  }
}

/**
 * Tarballs of core's runtime dependencies (and theirs), made from the installed copies: the
 * offline install then needs nothing from a registry. Hard links (the pnpm store) are stored as
 * files, since npm does not extract hard links.
 */
function packRuntimeDependencies(fromPkg: string): string[] {
  const done = new Map<string, string>();
  const visit = (dir: string) => {
    const m = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(m.dependencies ?? {})) {
      const d = resolvePackage(name, dir);
      if (done.has(d)) continue;
      const tgz = join(tarballs, `dep-${name.replace(/[@/]/g, "_")}.tgz`);
      run("tar", ["--hard-dereference", "-czf", tgz, "-C", d, "--transform", "s,^\\.,package,", "."], d);
      done.set(d, tgz);
      visit(d);
    }
  };
  visit(fromPkg);
  return [...done.values()];
}

beforeAll(() => {
  // The CLI and both packages run from dist/: build them (a turbo cache hit after `pnpm build`).
  const lock = spawnSync("flock", ["--version"]).status === 0 ? ["flock", "/tmp/qf-build.lock"] : [];
  const turbo = [join(repo, "node_modules/.bin/turbo"), "run", "build", "--filter=quantforge-plugin-log2...", "--filter=@quantforge/runner...", "--output-logs=errors-only"];
  const [cmd, ...args] = [...lock, ...turbo];
  run(cmd!, args, repo, { TURBO_TELEMETRY_DISABLED: "1" });
  work = mkdtempSync(join(tmpdir(), "qf-plugin-log2-packed-"));
  expect(relative(repo, work).startsWith("..")).toBe(true); // outside the workspace
  tarballs = join(work, "tarballs");
  project = join(work, "project");
  mkdirSync(tarballs);
  mkdirSync(project);
}, 300_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("quantforge-plugin-log2, packed and installed outside the workspace", () => {
  let pluginTgz: string;
  const coreVersion = (JSON.parse(readFileSync(join(coreDir, "package.json"), "utf8")) as { version: string }).version;
  const pluginVersion = (JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string }).version;

  it("pnpm pack ships dist, README and a package.json whose workspace: ranges are real versions", () => {
    pluginTgz = pnpmPack(pkgDir);
    const files = run("tar", ["-tzf", pluginTgz], work)
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/log2-impl.js"]));
    expect(files.filter((f) => /(^src\/|\.test\.|\.tsbuildinfo$|\.map$)/.test(f))).toEqual([]);
    const manifest = JSON.parse(run("tar", ["-xzOf", pluginTgz, "package/package.json"], work)) as { peerDependencies: Record<string, string>; devDependencies?: Record<string, string> };
    expect(manifest.peerDependencies["@quantforge/core"]).toBe(`^${coreVersion}`);
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
  });

  it("npm installs it offline from tarballs only (with a packed @quantforge/core)", () => {
    const coreTgz = pnpmPack(coreDir);
    const deps = packRuntimeDependencies(coreDir);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "third-party-project", version: "1.0.0", private: true }));
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", pluginTgz, coreTgz, ...deps], project, { npm_config_registry: DEAD_REGISTRY });
    expect(existsSync(join(project, "node_modules/quantforge-plugin-log2/dist/index.js"))).toBe(true);
    expect(existsSync(join(project, "node_modules/@quantforge/core/dist/index.js"))).toBe(true);
  }, 120_000);

  it("the CLI lists it with --plugin <name>, --plugin <path> and --discover, with its source", () => {
    const installed = join(project, "node_modules/quantforge-plugin-log2");
    for (const flags of [["--plugin", "quantforge-plugin-log2"], ["--plugin", "./node_modules/quantforge-plugin-log2"], ["--discover"]]) {
      const r = cli(["list", "--json", ...flags]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const log2 = (JSON.parse(r.out) as { quantizers: { id: string; source: string; path?: string; version: string }[] }).quantizers.find((q) => q.id === "log2");
      expect(log2).toEqual({ id: "log2", version: pluginVersion, description: expect.stringContaining("Logarithmic"), source: "quantforge-plugin-log2", path: installed });
    }
    const table = cli(["list", "--discover"]);
    expect(table.out).toMatch(/│ log2\s+│ [\d.]+\s+│ .*│ quantforge-plugin-log2\s+│/);
    expect(table.out).toMatch(/│ rtn\s+│ .*│ builtin\s+│/);
  });

  it("compare runs it head to head with the built-in rtn", () => {
    expect(cli(["synth", "--out", "w.safetensors", "--seed", "3", "--tensors", "dense:64x64:0.05,head:16x32:0.2"]).code).toBe(0);
    const r = cli(["compare", "--plugin", "quantforge-plugin-log2", "--weights", "w.safetensors", "--quantizers", "log2,rtn", "--bits", "3,4", "--out", "cmp", "--json", "--quiet"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { cells: { quantizer: string; bits: number; status: string; result?: { summary: { sqnrDb: number; bitsPerWeight: number } } }[]; manifest: { plugins: { id: string; version: string }[] } };
    const log2 = doc.cells.filter((c) => c.quantizer === "log2");
    expect(log2.map((c) => [c.bits, c.status])).toEqual([
      [3, "ok"],
      [4, "ok"],
    ]);
    // More bits, less error; the fixed coder stores b bits per weight plus the 2^b − 1 levels.
    const [b3, b4] = log2.map((c) => c.result!.summary);
    expect(b4!.sqnrDb).toBeGreaterThan(b3!.sqnrDb + 3);
    expect(b3!.bitsPerWeight).toBeGreaterThan(3);
    expect(b3!.bitsPerWeight).toBeLessThan(3.6);
    expect(doc.manifest.plugins).toContainEqual({ kind: "quantizer", id: "log2", version: pluginVersion });
    expect(existsSync(join(project, "cmp/report.html"))).toBe(true);
  });

  it("a compare config file loads it with plugins: [...], also in --jobs 2 worker threads, and --verify reproduces it", () => {
    writeFileSync(join(project, "cmp.yaml"), 'plugins: [quantforge-plugin-log2]\nweights: w.safetensors\nquantizers: [log2, "log2:base=sqrt2", rtn]\nbits: [4]\nout: cmp-config\n');
    const r = cli(["compare", "--config", "cmp.yaml", "--jobs", "2", "--json", "--quiet"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { cells: { quantizer: string; options: Record<string, unknown>; status: string }[]; manifest: { config: { plugins: string[] } } };
    expect(doc.cells.map((c) => [c.quantizer, c.status])).toEqual([
      ["log2", "ok"],
      ["log2", "ok"],
      ["rtn", "ok"],
    ]);
    expect(doc.manifest.config.plugins).toEqual(["quantforge-plugin-log2"]);
    // Issue 16: --verify never loads plugins named in a results file; the user names them.
    const v = cli(["compare", "--verify", "cmp-config/results.json", "--plugin", "quantforge-plugin-log2", "--json", "--quiet"]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ identical: true, checked: 3 });
  });
});
