/**
 * The regression gate: tonight's per-trial values of each gated measure against the baseline's,
 * threshold by threshold (plan.ts). A threshold is crossed (a regression) only when all hold:
 * - the statistic (p50 or p90) grew by more than `maxIncrease` relative to the baseline's;
 * - the bootstrap interval of the shift (tonight − baseline, at `level`) lies wholly above zero;
 * - the shift's estimate is at least `minShift`.
 * With 3 to 5 trials a side the interval is wide, so only a shift larger than the night-to-night
 * spread of the values is flagged: that is what keeps the gate from crying wolf on a noisy
 * machine (docs/NIGHTLY.md: what it can detect at these n).
 */
import { bootstrapShift, median, quantileStat, type SortedStat } from "../stats/index.js";
import { formatMeasure } from "../reporting/text.js";
import type { Baseline } from "./baseline.js";
import type { GateStat, PlannedScenario, Threshold } from "./plan.js";
import type { GateComparison, NightlyScenario } from "./types.js";

const STATS: Record<GateStat, SortedStat> = { p50: median, p90: quantileStat(0.9) };
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** Resamples of the bootstrap: enough that the interval's ends move by well under the trials' spread from one seed to another. */
const RESAMPLES = 4_000;

/** A seed from the comparison's name: the same values give the same verdict on every machine and night. */
function seedOf(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

const finite = (xs: readonly (number | null)[] | undefined): number[] => (xs ?? []).filter((x): x is number => x !== null && Number.isFinite(x));

/** Judges one threshold on two samples. */
export function compare(scenario: string, t: Threshold, base: readonly number[] | null, now: readonly number[], runs: readonly string[]): GateComparison {
  const head = { scenario, measure: t.measure, stat: t.stat, threshold: t, runs };
  const stat = STATS[t.stat];
  const fmt = (v: number | null) => formatMeasure(t.measure, v);
  const tonight = { value: now.length ? stat(sorted(now)) : null, n: now.length };
  const name = `${scenario} ${t.measure} ${t.stat}`;
  if (base === null) return { ...head, verdict: "no-baseline", baseline: { value: null, n: 0 }, tonight, message: `${name}: no baseline for this scenario; tonight ${fmt(tonight.value)} (n=${now.length})` };
  const baseline = { value: base.length ? stat(sorted(base)) : null, n: base.length };
  if (base.length < 2 || now.length < 2) {
    return { ...head, verdict: "insufficient-data", baseline, tonight, message: `${name}: too few values to compare (baseline n=${base.length}, tonight n=${now.length}; 2 each at least)` };
  }
  const r = bootstrapShift(base, now, stat, { seed: seedOf(name), resamples: RESAMPLES, level: t.level });
  const relative = r.relative;
  const shift = { estimate: r.estimate, lo: r.lo, hi: r.hi, level: r.level, relative };
  const grew = relative === null ? r.estimate > 0 : relative > t.maxIncrease;
  const regression = grew && r.lo > 0 && r.estimate >= t.minShift;
  const pct = (x: number | null) => (x === null ? "n/a" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(0)} %`);
  const effect = `${pct(relative)} (${r.estimate >= 0 ? "+" : ""}${fmt(r.estimate)}, ${Math.round(r.level * 100)} % interval ${fmt(r.lo)} to ${fmt(r.hi)})`;
  const vs = `baseline ${fmt(baseline.value)} (n=${base.length}) → tonight ${fmt(tonight.value)} (n=${now.length})`;
  const why = regression
    ? `grew more than ${pct(t.maxIncrease)} and the interval excludes 0`
    : !grew ? `within ${pct(t.maxIncrease)}` : r.lo <= 0 ? "the interval includes 0: not distinguishable from noise at this n" : `shift below minShift ${fmt(t.minShift)}`;
  return { ...head, verdict: regression ? "regression" : "ok", baseline, tonight, shift, message: `${name}: ${vs}, shift ${effect}: ${why}` };
}

/** Every threshold of every scenario that ran to completion tonight. */
export function judge(planned: readonly PlannedScenario[], tonight: readonly NightlyScenario[], baseline: Baseline | null): GateComparison[] {
  const out: GateComparison[] = [];
  for (const p of planned) {
    const s = tonight.find((x) => x.name === p.scenario.name);
    if (!s || !s.attempts.some((a) => a.status === "completed")) continue;
    const b = baseline?.scenarios[s.name];
    const runs = s.attempts.map((a) => a.reportDir);
    for (const t of p.thresholds) {
      const base = b ? finite(b.measures[t.measure]) : null;
      const now = finite(s.measures[t.measure]);
      // A measure neither side has (no failover to time in a no-failover scenario): nothing to compare, nothing to say.
      if (!now.length && !base?.length) continue;
      out.push(compare(s.name, t, base, now, runs));
    }
  }
  return out;
}
