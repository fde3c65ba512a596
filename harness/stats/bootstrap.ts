/**
 * Percentile bootstrap: the interval of a statistic is read off the statistic's distribution over
 * resamples (with replacement) of the data. It assumes the values are independent draws from one
 * distribution (trials on fresh or reset topologies) and needs no shape assumption, which suits
 * failover times (skewed, with a long tail). Weak below n ≈ 10: a resample can only hold values
 * already seen, so the interval is too narrow (docs/STATISTICS.md).
 */
import { quantileSorted } from "simple-statistics";
import { seededRandom } from "../runner/plan.js";
import { checkFinite, checkLevel, DEFAULT_LEVEL, sortedCopy } from "./validate.js";

/** Resamples used when a caller gives none: enough for stable 95% percentile bounds. */
export const DEFAULT_RESAMPLES = 2000;

export interface Interval {
  readonly estimate: number;
  readonly lo: number;
  readonly hi: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
}

/** A statistic of a sample; it is handed the sample sorted ascending (a fresh array each call). */
export type SortedStat = (sorted: readonly number[]) => number;

export interface BootstrapOptions {
  /** Seeds the resampling (harness/runner/plan.ts `seededRandom`): same seed, same interval. */
  readonly seed: number;
  /** Resamples drawn. @default 2000 */
  readonly resamples?: number;
  /** Confidence level. @default 0.95 */
  readonly level?: number;
}

/** Median (R type 7, as numpy's default and the report's p50). */
export const median: SortedStat = (sorted) => quantileSorted(sorted as number[], 0.5);

/** The p-quantile (0 ≤ p ≤ 1; R type 7, via simple-statistics' `quantileSorted`), e.g. `quantileStat(0.9)` for p90. */
export function quantileStat(p: number): SortedStat {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile p must be in [0, 1], got ${p}: pass e.g. 0.9 for p90`);
  return (sorted) => quantileSorted(sorted as number[], p);
}

function options(opts: BootstrapOptions): { resamples: number; level: number } {
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const level = opts.level ?? DEFAULT_LEVEL;
  if (!Number.isFinite(opts.seed)) throw new RangeError(`seed must be a finite number, got ${opts.seed}`);
  if (!(Number.isInteger(resamples) && resamples >= 1)) throw new RangeError(`resamples must be a positive integer, got ${resamples}: the default is ${DEFAULT_RESAMPLES}`);
  checkLevel(level);
  return { resamples, level };
}

function sample(xs: readonly number[], what: string): number[] {
  if (xs.length === 0) throw new RangeError(`${what} is empty: a bootstrap needs at least one value (check the trial count before calling)`);
  checkFinite(xs, what);
  return sortedCopy(xs);
}

function finite(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new RangeError(`the statistic returned ${v} on ${what}: it must return a finite number for any non-empty sorted sample`);
  return v;
}

/** One resample of `sorted` (with replacement), sorted ascending. */
function resample(sorted: readonly number[], random: () => number, buf: Float64Array): number[] {
  const n = sorted.length;
  for (let i = 0; i < n; i++) buf[i] = sorted[Math.floor(random() * n)]!;
  return Array.from(buf.sort());
}

/** Percentile bounds of the bootstrap distribution `values` (sorted in place). */
function percentiles(values: Float64Array, level: number): { lo: number; hi: number } {
  const sorted = Array.from(values.sort());
  const tail = (1 - level) / 2;
  return { lo: quantileSorted(sorted, tail), hi: quantileSorted(sorted, 1 - tail) };
}

/**
 * Percentile bootstrap confidence interval of `stat(xs)`. With fewer than 2 values there is nothing
 * to resample: `lo = hi = estimate` (a point, not a claim of certainty). Throws RangeError when `xs`
 * is empty or holds a non-finite value.
 */
export function bootstrapInterval(xs: readonly number[], stat: SortedStat, opts: BootstrapOptions): Interval {
  const { resamples, level } = options(opts);
  const sorted = sample(xs, "xs");
  const estimate = finite(stat(sorted), "the sample");
  if (sorted.length < 2) return { estimate, lo: estimate, hi: estimate, level };
  const random = seededRandom(opts.seed);
  const buf = new Float64Array(sorted.length);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) values[b] = finite(stat(resample(sorted, random, buf)), "a resample");
  return { estimate, ...percentiles(values, level), level };
}

export interface Shift extends Interval {
  /** `estimate / stat(base)`, e.g. 0.2 for 20% higher; null when stat(base) is 0. */
  readonly relative: number | null;
  /**
   * Percentile bounds of `(stat(now*) − stat(base*)) / stat(base*)` over the same resamples; null
   * when stat(base) or the stat of any base resample is 0.
   */
  readonly relativeLo: number | null;
  readonly relativeHi: number | null;
  /** stat(base). */
  readonly base: number;
  /** stat(now). */
  readonly now: number;
}

/**
 * Shift of a statistic between two independent samples, `stat(now) − stat(base)`, with a percentile
 * bootstrap interval that resamples each sample separately (the samples need not be the same size).
 * An interval that excludes 0 is a shift at that confidence level. A sample of 1 value resamples to
 * itself, so only the other sample's spread enters the interval. Throws RangeError when a sample is
 * empty or holds a non-finite value.
 */
export function bootstrapShift(base: readonly number[], now: readonly number[], stat: SortedStat, opts: BootstrapOptions): Shift {
  const { resamples, level } = options(opts);
  const b = sample(base, "base"), n = sample(now, "now");
  const baseStat = finite(stat(b), "base"), nowStat = finite(stat(n), "now");
  const estimate = nowStat - baseStat;
  const relative = baseStat === 0 ? null : estimate / baseStat;
  const random = seededRandom(opts.seed);
  const bufB = new Float64Array(b.length), bufN = new Float64Array(n.length);
  const diffs = new Float64Array(resamples), ratios = new Float64Array(resamples);
  let ratiosDefined = relative !== null;
  for (let i = 0; i < resamples; i++) {
    const sb = finite(stat(resample(b, random, bufB)), "a base resample");
    const sn = finite(stat(resample(n, random, bufN)), "a now resample");
    diffs[i] = sn - sb;
    if (sb === 0) ratiosDefined = false;
    else ratios[i] = (sn - sb) / sb;
  }
  const rel = ratiosDefined ? percentiles(ratios, level) : null;
  return { estimate, ...percentiles(diffs, level), level, relative, relativeLo: rel?.lo ?? null, relativeHi: rel?.hi ?? null, base: baseStat, now: nowStat };
}
