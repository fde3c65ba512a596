/** One sample at a glance: order statistics and the empirical CDF. */
import { quantileSorted } from "simple-statistics";
import { checkFinite, sortedCopy } from "./validate.js";

export interface Description {
  n: number;
  min: number | null;
  /** Quantiles are R type 7 (linear interpolation; numpy's default), as the report's summary. */
  p50: number | null;
  p90: number | null;
  /** Below ~100 values p99 is an interpolation between the two largest, not a measured tail. */
  p99: number | null;
  max: number | null;
}

/** n, min, p50, p90, p99, max; all but n null when `xs` is empty. Throws RangeError on a non-finite value. */
export function describe(xs: readonly number[]): Description {
  checkFinite(xs, "xs");
  if (xs.length === 0) return { n: 0, min: null, p50: null, p90: null, p99: null, max: null };
  const s = sortedCopy(xs);
  return { n: s.length, min: s[0]!, p50: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), p99: quantileSorted(s, 0.99), max: s.at(-1)! };
}

/** Empirical CDF: each distinct value x (ascending) with P(X ≤ x), the share of values ≤ x. Empty → []. */
export function ecdf(xs: readonly number[]): { readonly x: number; readonly p: number }[] {
  checkFinite(xs, "xs");
  const s = sortedCopy(xs);
  const out: { x: number; p: number }[] = [];
  for (let i = 0; i < s.length; i++) {
    // The last of a run of equal values carries the run's cumulative share.
    if (i + 1 === s.length || s[i + 1] !== s[i]) out.push({ x: s[i]!, p: (i + 1) / s.length });
  }
  return out;
}
