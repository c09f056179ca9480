/** Tolerances of {@link expectClose}: `|actual − expected| ≤ atol + rtol·|expected|`. */
export interface CloseTolerance {
  /** Absolute tolerance (≥ 0). */
  readonly atol: number;
  /** Relative tolerance (≥ 0), relative to `|expected|`. */
  readonly rtol: number;
  /** Treat NaN as equal to NaN (default false: any NaN fails). */
  readonly equalNaN?: boolean;
}

/** Numbers or arrays of numbers {@link expectClose} compares. */
export type Numeric = number | ArrayLike<number>;

/** Thrown by {@link expectClose}; test runners show its message as the failure. */
export class CloseAssertionError extends Error {
  /** Index of the worst element (−1 for scalars or a length mismatch). */
  readonly index: number;
  constructor(message: string, index: number) {
    super(message);
    this.name = "AssertionError";
    this.index = index;
  }
}

function within(a: number, e: number, tol: CloseTolerance): boolean {
  if (Number.isNaN(a) || Number.isNaN(e)) return tol.equalNaN === true && Number.isNaN(a) && Number.isNaN(e);
  if (a === e) return true; // equal infinities and exact matches
  if (!Number.isFinite(a) || !Number.isFinite(e)) return false;
  return Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
}

/** How far past its tolerance an element is (NaN/∞ mismatches rank worst). */
function excess(a: number, e: number, tol: CloseTolerance): number {
  const d = Math.abs(a - e);
  if (!Number.isFinite(d)) return Infinity;
  return d - (tol.atol + tol.rtol * Math.abs(e));
}

/**
 * Asserts that `actual` is close to `expected` elementwise with explicit tolerances
 * (`|a − e| ≤ atol + rtol·|e|`, numpy's `isclose`). Works on numbers, number arrays and typed
 * arrays. On failure the message names the count of bad elements and the worst index with both
 * values, e.g. `2 of 64 elements differ; worst at index 17: actual 1.5, expected 1.25, |diff| 0.25 > tol 0.0125`.
 */
export function expectClose(actual: Numeric, expected: Numeric, tol: CloseTolerance): void {
  if (!(tol.atol >= 0) || !(tol.rtol >= 0)) throw new RangeError(`expectClose: atol and rtol must be non-negative numbers (got atol=${tol.atol}, rtol=${tol.rtol}).`);
  const sa = typeof actual === "number",
    se = typeof expected === "number";
  if (sa !== se) throw new CloseAssertionError(`expectClose: cannot compare a ${sa ? "number" : "array"} with a${se ? " number" : "n array"}.`, -1);
  const where = `(atol=${tol.atol}, rtol=${tol.rtol})`;
  if (sa) {
    const a = actual,
      e = expected as number;
    if (!within(a, e, tol)) {
      throw new CloseAssertionError(`expectClose: actual ${a} is not close to expected ${e}: |diff| ${Math.abs(a - e)} > tol ${tol.atol + tol.rtol * Math.abs(e)} ${where}.`, -1);
    }
    return;
  }
  const A = actual,
    E = expected as ArrayLike<number>;
  if (A.length !== E.length) throw new CloseAssertionError(`expectClose: length ${A.length} differs from expected length ${E.length}.`, -1);
  let bad = 0,
    worst = -1,
    worstExcess = -Infinity;
  for (let i = 0; i < A.length; i++) {
    const a = A[i]!,
      e = E[i]!;
    if (within(a, e, tol)) continue;
    bad++;
    const x = excess(a, e, tol);
    if (worst < 0 || x > worstExcess) {
      worst = i;
      worstExcess = x;
    }
  }
  if (bad > 0) {
    const a = A[worst]!,
      e = E[worst]!;
    throw new CloseAssertionError(`expectClose: ${bad} of ${A.length} elements differ ${where}; worst at index ${worst}: actual ${a}, expected ${e}, |diff| ${Math.abs(a - e)} > tol ${tol.atol + tol.rtol * Math.abs(e)}.`, worst);
  }
}
