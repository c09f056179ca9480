#!/usr/bin/env node
import "reflect-metadata";

// Imported after the polyfill has run: tsyringe checks for it when first evaluated, and in the
// bundled CLI (scripts/bundle.mjs) a static import would be evaluated before this module's body.
const { main } = await import("./main.js");
// exitCode rather than process.exit(): lets stdout drain when piped.
process.exitCode = await main(process.argv);
