#!/usr/bin/env node
import "reflect-metadata";

// `run --weights <large file>`: its tensor workers start now, and the file's read, both beside
// this thread's module loading rather than after it (issue 18); the pool takes the workers and
// the reader the bytes (threads/entry.ts). Only a head start: if it fails, the pool starts its
// workers itself and the reader reads the file (and they report what fails).
if (process.argv[2] === "run") {
  try {
    const { prefetchWeights, prestartCount, prestartWorkers } = await import("./threads/entry.js");
    const workers = prestartCount(process.argv);
    prestartWorkers(workers);
    prefetchWeights(process.argv, workers);
  } catch {
    // nothing started; the run goes on as without the head start
  }
}

// Imported after the polyfill has run: tsyringe checks for it when first evaluated, and in the
// bundled CLI (scripts/bundle.mjs) a static import would be evaluated before this module's body.
const { main } = await import("./main.js");
// exitCode rather than process.exit(): lets stdout drain when piped.
process.exitCode = await main(process.argv);
