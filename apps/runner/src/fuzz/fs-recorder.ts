/**
 * Records every path handed to the file system while `reads.on` is set. The fuzz suites mock
 * `node:fs` and `node:fs/promises` through {@link recordingFs} (in their own `vi.mock`, which must
 * sit in the test file) and check `reads.paths` after each case: nothing outside the sandbox.
 */
export const reads = { on: false, paths: [] as string[] };

/** The `node:fs/promises` functions that open or look up a path. */
export const FS_PROMISES_FNS = ["open", "readFile", "realpath", "stat", "lstat", "opendir", "readdir", "access"] as const;
/** The `node:fs` functions that open or look up a path. */
export const FS_FNS = ["openSync", "readFileSync", "realpathSync", "statSync", "lstatSync", "readdirSync", "createReadStream", "existsSync", "open", "readFile"] as const;

/** A copy of the module `m` whose functions named in `names` record their path argument. */
export function recordingFs(m: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const wrap = (f: unknown) =>
    typeof f !== "function"
      ? f
      : (...a: unknown[]) => {
          if (reads.on && (typeof a[0] === "string" || a[0] instanceof URL)) reads.paths.push(String(a[0]));
          return (f as (...x: unknown[]) => unknown)(...a);
        };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = names.includes(k) ? wrap(v) : v;
  return { ...out, default: out };
}
