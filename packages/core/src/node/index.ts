/**
 * `@quantforge/core/node`: Node-only helpers every reader of untrusted files shares.
 *
 * @packageDocumentation
 */
export { DEFAULT_MAX_FILE_BYTES, resolveContained, openRegularFile, readRegularFile, readContainedFile } from "./safe-file.js";
export type { RegularFile, ReadLimits } from "./safe-file.js";
export { tempPathFor, trackTemp, cleanStaleTemps } from "./temp-files.js";
