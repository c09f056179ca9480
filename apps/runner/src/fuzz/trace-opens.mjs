// Preload (`node --import <this file>`) for the hostile-case runner: records every path the
// process hands to `fs` (open, readFile, stat, realpath, readdir, streams; sync, callback and
// promise forms) in the file named by QF_TRACE_OPENS, one per line. The builtin ESM exports are
// re-synchronised, so code that imported `{ open } from "node:fs/promises"` sees the wrappers.
// It also writes the process's CPU seconds at exit to `<QF_TRACE_OPENS>.cpu`.
// Test-only: the CLI never loads it. Native code (onnxruntime) is not seen, which is why the
// runner also plants a canary file and looks for its bytes in every output.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const log = process.env.QF_TRACE_OPENS;
if (log) {
  const appendSync = fs.appendFileSync.bind(fs);
  const record = (p) => {
    if (typeof p === "string" || p instanceof URL || Buffer.isBuffer(p)) {
      try {
        appendSync(log, `${String(p)}\n`);
      } catch {
        /* the trace is best effort */
      }
    }
  };
  const wrapAll = (obj, names) => {
    for (const n of names) {
      const f = obj[n];
      if (typeof f !== "function") continue;
      obj[n] = function (...a) {
        record(a[0]);
        return f.apply(this, a);
      };
    }
  };
  wrapAll(fs, [
    "open",
    "openSync",
    "readFile",
    "readFileSync",
    "stat",
    "statSync",
    "lstat",
    "lstatSync",
    "realpath",
    "realpathSync",
    "readdir",
    "readdirSync",
    "opendir",
    "opendirSync",
    "createReadStream",
    "existsSync",
    "access",
    "accessSync",
  ]);
  wrapAll(fs.promises, ["open", "readFile", "stat", "lstat", "realpath", "readdir", "opendir", "access"]);
  syncBuiltinESMExports();
  // CPU seconds of the whole process at exit (signal exits go through process.exit too).
  process.on("exit", () => {
    const u = process.cpuUsage();
    try {
      appendSync(`${log}.cpu`, `${(u.user + u.system) / 1e6}\n`);
    } catch {
      /* best effort */
    }
  });
}
