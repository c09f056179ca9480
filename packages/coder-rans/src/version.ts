/** The package version, reported by `quantforge list` (`pnpm check:packages` keeps it equal to package.json). */
export const VERSION = "0.1.0";
