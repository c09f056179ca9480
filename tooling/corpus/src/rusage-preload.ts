/**
 * Preloaded into every CLI child (`node --import <this> cli.js …`): at exit it writes the
 * process's `resourceUsage()` to the file named by `QF_CORPUS_RUSAGE`, so the corpus records the
 * child's own peak RSS without `/usr/bin/time` (often missing) and without sampling races.
 */
import { writeFileSync } from "node:fs";

const target = process.env["QF_CORPUS_RUSAGE"];
if (target) {
  process.on("exit", () => {
    try {
      writeFileSync(target, JSON.stringify(process.resourceUsage()));
    } catch {
      // Best effort: a missing figure is reported as unknown, never invented.
    }
  });
}
