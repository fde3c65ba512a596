/**
 * Rates (failures of n trials): the Wilson score interval. Unlike the textbook p ± z·√(p(1−p)/n)
 * it stays inside [0, 1] and does not collapse to a zero-width interval at 0 or n events, which
 * is the common case here (0 split-brains in 20 trials still allows a rate of up to ~16%).
 */
import { checkLevel, DEFAULT_LEVEL, normalCritical } from "./validate.js";

export interface Proportion {
  /** events / n; null when n is 0. */
  readonly rate: number | null;
  readonly lo: number;
  readonly hi: number;
  readonly level: number;
  readonly events: number;
  readonly n: number;
}

/**
 * Wilson score interval (no continuity correction: R's `prop.test(events, n, correct = FALSE)`,
 * `binom::binom.wilson`) for `events` of `n` independent trials. n = 0 → rate null, [0, 1].
 * @param level confidence level. @default 0.95
 */
export function wilson(events: number, n: number, level: number = DEFAULT_LEVEL): Proportion {
  checkLevel(level);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer (trials), got ${n}`);
  if (!(Number.isInteger(events) && events >= 0 && events <= n)) throw new RangeError(`events must be an integer in [0, n = ${n}], got ${events}`);
  if (n === 0) return { rate: null, lo: 0, hi: 1, level, events, n };
  const z = normalCritical(level), z2 = z * z;
  const p = events / n;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 (or n) events the bound is exactly 0 (or 1); the formula leaves rounding noise there.
  const lo = events === 0 ? 0 : Math.max(0, centre - half);
  const hi = events === n ? 1 : Math.min(1, centre + half);
  return { rate: p, lo, hi, level, events, n };
}
