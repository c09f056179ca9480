/** Package version, reported by `quantforge list`. */
export const VERSION = "0.1.0";
