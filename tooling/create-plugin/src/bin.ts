#!/usr/bin/env node
import { run } from "./cli.js";

// `pnpm create-plugin` runs from the workspace root; INIT_CWD is where the user typed it.
process.exitCode = run(
  process.argv.slice(2),
  process.env.INIT_CWD ?? process.cwd(),
  (s) => process.stdout.write(s),
  (s) => process.stderr.write(s),
);
