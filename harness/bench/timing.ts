/**
 * Where a trial's wall time goes, from its history alone: the runner's `phase` entries (steady,
 * inject, observe, converge, evaluate, done), the fault's `offsetMs` and the measures:
 *
 *   steady ─ steadyWait ─ offset ─ inject ─ toNewScheduler ─ podTail ─ observeRest ─ converge
 *          ─ convergeWork ─ evaluate ─ evaluate work ─ done
 *
 * - steadyWait: `steady` → the offset's start (healthy baseline, workload pods Running);
 * - offsetMs: the random phase offset before the fault (uniform in the renewal period), by design;
 * - toNewScheduler: `timeToNewSchedulerMs`: the failover itself, what a trial exists to measure;
 * - podTail: pods still coming up after the new scheduler (`podRecoveryMs` − `timeToNewSchedulerMs`);
 * - observeRestMs: recovery as the measures see it → `converge`: the observe loop's poll, its
 *   live view of "recovered" (which also waits for the outage pod), and a late heal;
 * - convergeMs: `converge` → `evaluate`: restarting what the fault killed and waiting until the
 *   probes see it settled, deleting the outage pod. Only between trials (`fullCycle`);
 * - evaluateMs: `evaluate` → `done`: measures and checks.
 *
 * The parts add up to `wallMs`. `overheadMs` = `wallMs` − `timeToNewSchedulerMs` − `offsetMs`:
 * the harness's own time per trial (the goal: p50 under 2 s, fast profile).
 */
import { mean } from "simple-statistics";
import { ofKind } from "../history/history.js";
import type { RunnerPhase } from "../history/types.js";
import { summarizeValues, type SummaryStats, type TrialResult } from "../reporting/result.js";

export const BREAKDOWN_PARTS = ["steadyWaitMs", "offsetMs", "toNewSchedulerMs", "podTailMs", "observeRestMs", "convergeMs", "evaluateMs"] as const;
export type BreakdownPart = (typeof BREAKDOWN_PARTS)[number];

export interface TrialTiming {
  index: number;
  /** `steady` → `done`; null when the trial lacks either (cut short). */
  wallMs: number | null;
  /** Followed by another trial, so its converge did the between-trial work. */
  fullCycle: boolean;
  timeToNewSchedulerMs: number | null;
  overheadMs: number | null;
  breakdown: Record<BreakdownPart, number | null>;
}

type TrialInput = Pick<TrialResult, "index" | "measures" | "history">;

/** One trial's timing; `fullCycle`: another trial followed it on the same topology. */
export function trialTiming(trial: TrialInput, fullCycle: boolean): TrialTiming {
  const at = (name: RunnerPhase): number | undefined => ofKind(trial.history, "phase").find((p) => p.name === name)?.t;
  const [steadyT, convergeT, evaluateT, endT] = [at("steady"), at("converge"), at("evaluate"), at("done")];
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
    fullCycle,
    timeToNewSchedulerMs: ttns,
    overheadMs: wallMs !== null && ttns !== null && offset !== null ? wallMs - ttns - offset : null,
    breakdown: {
      steadyWaitMs: steadyT !== undefined && faultT !== null && offset !== null ? faultT - offset - steadyT : null,
      offsetMs: offset,
      toNewSchedulerMs: ttns,
      podTailMs: podTail,
      observeRestMs: recoveredT !== null && convergeT !== undefined ? convergeT - recoveredT : null,
      convergeMs: convergeT !== undefined && evaluateT !== undefined ? evaluateT - convergeT : null,
      evaluateMs: evaluateT !== undefined && endT !== undefined ? endT - evaluateT : null,
    },
  };
}

export function trialTimings(trials: readonly TrialInput[]): TrialTiming[] {
  return trials.map((t, i) => trialTiming(t, i + 1 < trials.length));
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
