/**
 * Where a trial's wall time goes, from the runner's own history entries (no extra instrumentation):
 *
 *   steady ─ steadyWait ─┬─ offset ─ inject ─ toNewScheduler ─ podTail ─ observeRest ─ converge ─ end
 *                        (the random phase offset: `fault.detail.offsetMs`)
 *
 * - steadyWait: the `steady` phase entry → the offset's start (healthy baseline, workload Running);
 * - toNewScheduler: `timeToNewSchedulerMs` (the failover itself, the figure a trial exists to measure);
 * - podTail: pods still coming up after the new scheduler (`podRecoveryMs` − `timeToNewSchedulerMs`);
 * - observeRest: recovery (as the measures see it) → the `converge` phase entry: the runner's 100 ms
 *   poll, its live-state lag behind the history, the evaluation;
 * - converge: the `converge` entry → the trial's end. The runner converges only between trials, so a
 *   trial ends where the next one's origin is; the last trial ends at its `converge` entry.
 *
 * The parts add up to `wallMs`; `overheadMs` = `wallMs` − `timeToNewSchedulerMs` (issue 6).
 */
import { mean } from "simple-statistics";
import { ofKind } from "../history/history.js";
import { summarizeValues, type SummaryStats, type TrialResult } from "../report/result.js";

export const BREAKDOWN_PARTS = ["steadyWaitMs", "offsetMs", "toNewSchedulerMs", "podTailMs", "observeRestMs", "convergeMs"] as const;
export type BreakdownPart = (typeof BREAKDOWN_PARTS)[number];

export interface TrialTiming {
  index: number;
  /** `steady` entry → the trial's end; null when the trial has no `steady` or no end (cut short). */
  wallMs: number | null;
  /** Ended by the next trial's origin, i.e. includes the between-trial converge work. */
  fullCycle: boolean;
  timeToNewSchedulerMs: number | null;
  overheadMs: number | null;
  breakdown: Record<BreakdownPart, number | null>;
}

type TrialInput = Pick<TrialResult, "index" | "originEpochMs" | "measures" | "history">;

const phaseT = (t: TrialInput, name: string): number | undefined => ofKind(t.history, "phase").find((p) => p.name === name)?.t;

/** One trial's timing; `next` is the trial that followed it on the same topology, if any. */
export function trialTiming(trial: TrialInput, next?: Pick<TrialResult, "originEpochMs">): TrialTiming {
  const steadyT = phaseT(trial, "steady");
  const convergeT = phaseT(trial, "converge");
  // Both origins are performance.timeOrigin + performance.now(): their difference is monotonic time.
  const endT = next ? next.originEpochMs - trial.originEpochMs : convergeT;
  const wallMs = steadyT !== undefined && endT !== undefined ? endT - steadyT : null;
  const m = trial.measures;
  const ttns = m.timeToNewSchedulerMs;
  const faultT = m.faultT;
  const inject = ofKind(trial.history, "fault").find((f) => f.action === "inject");
  const offset = typeof inject?.detail?.offsetMs === "number" ? inject.detail.offsetMs : null;
  const podTail = ttns !== null && m.podRecoveryMs !== null ? Math.max(0, m.podRecoveryMs - ttns) : null;
  const recoveredT = faultT !== null && ttns !== null ? faultT + ttns + (podTail ?? 0) : null;
  return {
    index: trial.index,
    wallMs,
    fullCycle: next !== undefined,
    timeToNewSchedulerMs: ttns,
    overheadMs: wallMs !== null && ttns !== null ? wallMs - ttns : null,
    breakdown: {
      steadyWaitMs: steadyT !== undefined && faultT !== null && offset !== null ? faultT - offset - steadyT : null,
      offsetMs: offset,
      toNewSchedulerMs: ttns,
      podTailMs: podTail,
      observeRestMs: recoveredT !== null && convergeT !== undefined ? convergeT - recoveredT : null,
      convergeMs: convergeT !== undefined && endT !== undefined ? endT - convergeT : null,
    },
  };
}

export function trialTimings(trials: readonly TrialInput[]): TrialTiming[] {
  return trials.map((t, i) => trialTiming(t, trials[i + 1]));
}

export interface TimingSummary {
  /** Which trials the figures are over: full cycles (converge included) when there are any. */
  basis: "full-cycle" | "all";
  wallMs: SummaryStats;
  overheadMs: SummaryStats;
  /** Per part, over the same trials. */
  breakdown: Record<BreakdownPart, SummaryStats>;
  /** 3 600 000 / mean wall time; null without a wall time. */
  trialsPerHour: number | null;
}

export function summarizeTimings(timings: readonly TrialTiming[]): TimingSummary {
  const full = timings.filter((t) => t.fullCycle && t.wallMs !== null);
  const basis = full.length ? "full-cycle" : "all";
  const over = full.length ? full : timings;
  const walls = over.map((t) => t.wallMs).filter((v): v is number => v !== null);
  return {
    basis,
    wallMs: summarizeValues(walls),
    overheadMs: summarizeValues(over.map((t) => t.overheadMs)),
    breakdown: Object.fromEntries(BREAKDOWN_PARTS.map((p) => [p, summarizeValues(over.map((t) => t.breakdown[p]))])) as Record<BreakdownPart, SummaryStats>,
    trialsPerHour: walls.length ? 3_600_000 / mean(walls) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Topology launch steps

/** A launch's progress lines (launchTopology's `onProgress`), stamped ms from the launch call. */
export interface LaunchStep {
  atMs: number;
  line: string;
}

/** Progress line → step name (the health phase that just ended). Unknown lines keep their first words. */
const STEP_LABELS: readonly [RegExp, string][] = [
  [/^network /, "images + component probe + network"],
  [/^etcd healthy/, "etcd"],
  [/^mesos-master answers/, "mesos-master"],
  [/^apiservers healthy/, "masters started + apiservers"],
  [/^leaders:/, "podmaster leader keys"],
  [/^controller-manager running/, "controller-manager"],
  [/^framework .* active/, "framework registered"],
  [/^test pod reached Running/, "test pod Running"],
];

export function stepLabel(line: string): string {
  return STEP_LABELS.find(([re]) => re.test(line))?.[1] ?? line.split(/\s+/).slice(0, 3).join(" ");
}

/** Durations of the steps: each line's time minus the previous one's (the first from the launch call). */
export function stepDurations(steps: readonly LaunchStep[]): { step: string; ms: number }[] {
  return steps.map((s, i) => ({ step: stepLabel(s.line), ms: s.atMs - (i ? steps[i - 1]!.atMs : 0) }));
}

/** Per step name, over launches: the stats of its duration, in first-seen order. */
export function summarizeSteps(launches: readonly (readonly LaunchStep[])[]): { step: string; ms: SummaryStats }[] {
  const by = new Map<string, number[]>();
  for (const l of launches) for (const d of stepDurations(l)) (by.get(d.step) ?? by.set(d.step, []).get(d.step)!).push(d.ms);
  return [...by].map(([step, xs]) => ({ step, ms: summarizeValues(xs) }));
}
