/**
 * Input checks shared by harness/stats. The stats functions throw RangeError (a caller's bug or
 * an empty sample, not a harness failure); each message says what to pass instead.
 */
import jstat from "jstat";

/** Confidence level used when a caller gives none. */
export const DEFAULT_LEVEL = 0.95;

export function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}: pass e.g. 0.95 for a 95% interval`);
}

export function checkFinite(xs: readonly number[], what: string): void {
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new RangeError(`${what}[${i}] is ${xs[i]}: drop missing or non-finite values before calling`);
  }
}

/** Ascending copy (numeric, not the default string order). */
export function sortedCopy(xs: readonly number[]): number[] {
  return Array.from(Float64Array.from(xs).sort());
}

/** z such that P(|Z| ≤ z) = level, for the standard normal Z (jstat: simple-statistics' `probit` is off in the third digit). */
export function normalCritical(level: number): number {
  return jstat.normal.inv(1 - (1 - level) / 2, 0, 1);
}

/** t such that P(|T| ≤ t) = level, for Student's t with `dof` degrees of freedom. */
export function tCritical(level: number, dof: number): number {
  return jstat.studentt.inv(1 - (1 - level) / 2, dof);
}

/** Two-sided p-value of a t statistic. */
export function tPValue(t: number, dof: number): number {
  return 2 * (1 - jstat.studentt.cdf(Math.abs(t), dof));
}
