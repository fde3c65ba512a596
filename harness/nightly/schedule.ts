/**
 * How long each scenario's run should take, and which runs fit the night's budget.
 *
 * A run is estimated from its resolved plan (the model's timers) as launch + repeat × trial, on
 * the pessimistic side: a scenario the estimate wrongly says fits is cut at the budget (and
 * reported not-run), one it wrongly says does not fit is never tried. When the baseline holds the
 * scenario's measured run time, that (scaled to tonight's repeat) is used instead: measured beats
 * modelled. Runs are then scheduled longest first over the `parallel` slots (LPT list scheduling,
 * which `runPool` carries out when handed the jobs in that order); a run whose predicted end lies
 * past the budget is not started.
 */
import { faultDurationMs } from "../faults/inject.js";
import { resolvePlan, type RunPlan } from "../runner/plan.js";

/** Launch to a healthy topology, and its removal at the end, on a loaded 2-core machine, ms. */
export const LAUNCH_MS = 30_000;
/** Steady state of a trial after the first (the topology is healthy already), and its evaluation, ms. */
const TRIAL_OVERHEAD_MS = 7_000;

export interface RunEstimate {
  readonly ms: number;
  /** How it was made, for the plan's table. */
  readonly how: string;
}

/** Estimated wall time of one run of `plan`, from its model; or from `measured` (a baseline's run of `measuredRepeat` trials). */
export function estimateRunMs(plan: RunPlan, measured?: { durationMs: number; repeat: number }): RunEstimate {
  if (measured && measured.durationMs > 0 && measured.repeat > 0) {
    const ms = Math.round(((measured.durationMs - LAUNCH_MS / 2) / measured.repeat) * plan.repeat + LAUNCH_MS / 2);
    return { ms: Math.max(ms, LAUNCH_MS), how: `measured: the baseline's run took ${(measured.durationMs / 1000).toFixed(0)} s for ${measured.repeat} trial(s)` };
  }
  const p = resolvePlan(plan);
  const { spec } = p;
  // The first election of a fresh topology: the lease's ttl, a podmaster iteration, the kubelet's file check.
  const firstElection = spec.podmaster.ttlSecs * 1000 + spec.podmaster.sleepMs + spec.kubelet.fileCheckFrequencyMs;
  const fault = faultDurationMs(p.scenario.fault, spec.podmaster.ttlSecs);
  // Observation ends at recovery (the model's max and the pod path) or lasts its minimum.
  const observe = Math.max(p.window ? p.window.maxMs + 5_000 : 0, p.minObserveMs, fault);
  const converge = p.scenario.fault.kind === "kill-container" ? spec.podmaster.sleepMs + spec.kubelet.fileCheckFrequencyMs + spec.kubelet.syncFrequencyMs + 5_000 : 0;
  const trial = TRIAL_OVERHEAD_MS + p.renewalMs + observe + converge;
  return { ms: LAUNCH_MS + firstElection + p.repeat * trial, how: `model: launch ${s(LAUNCH_MS + firstElection)} + ${p.repeat} × ${s(trial)} (offset ≤ ${s(p.renewalMs)}, observe ${s(observe)}${converge ? `, converge ${s(converge)}` : ""})` };
}

const s = (ms: number): string => `${Math.round(ms / 1000)} s`;

export interface Slotted<J> {
  readonly job: J;
  readonly estimateMs: number;
  /** Predicted start and end from the night's start, ms, on the slot LPT gives it. */
  readonly startMs: number;
  readonly endMs: number;
  readonly fits: boolean;
}

/**
 * Longest-processing-time-first list scheduling of `jobs` over `parallel` slots: the order to hand
 * them to `runPool`, and whether each is predicted to end within `budgetMs`. A job that does not
 * fit does not hold its slot: the next shorter one may still fit there.
 */
export function scheduleLongestFirst<J>(jobs: readonly { job: J; estimateMs: number }[], parallel: number, budgetMs: number): Slotted<J>[] {
  const free = Array.from({ length: Math.max(1, parallel) }, () => 0);
  const sorted = [...jobs].sort((a, b) => b.estimateMs - a.estimateMs);
  return sorted.map(({ job, estimateMs }) => {
    const slot = free.indexOf(Math.min(...free));
    const startMs = free[slot]!;
    const endMs = startMs + estimateMs;
    const fits = endMs <= budgetMs;
    if (fits) free[slot] = endMs;
    return { job, estimateMs, startMs, endMs, fits };
  });
}
