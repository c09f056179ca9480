#!/usr/bin/env node
import "reflect-metadata";
import { main } from "./main.js";

// exitCode rather than process.exit(): lets stdout drain when piped.
process.exitCode = await main(process.argv);
