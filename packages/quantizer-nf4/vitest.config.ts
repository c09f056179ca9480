import { defineProject, mergeConfig } from "vitest/config";
import shared from "../../tooling/vitest-config/vitest.shared.js";

export default mergeConfig(shared, defineProject({ test: { name: "quantizer-nf4" } }));
