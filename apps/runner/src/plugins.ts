import type { AnyPlugin } from "@quantforge/core";
import { fixedCoder } from "@quantforge/coder-fixed";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";

/**
 * The built-in plugins. This explicit list is the only place plugins are registered (design §3):
 * plugin packages never register themselves. `quantforge list` sorts them by id within each kind.
 * To add a plugin: depend on its package in `apps/runner/package.json`, add a tsconfig
 * reference, import its factory here and call it below.
 */
export function builtinPlugins(): AnyPlugin[] {
  return [
    // quantizers
    rtnQuantizer(),
    // coders
    fixedCoder(),
    // evaluators
  ];
}
