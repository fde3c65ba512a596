/**
 * How long each scenario's run should take, and which runs fit the night's budget.
 *
 * A run is estimated from its resolved plan (the model's timers) as launch + repeat × trial, on
 * the pessimistic side: a scenario the estimate wrongly says fits is cut at the budget (and
 * reported not-run), one it wrongly says does not fit is never tried. When the baseline holds the
 * scenario's measured run time, that (scaled to tonight's repeat) is used instead: measured beats
 * modelled. Runs are then scheduled longest first over the `parallel` slots (LPT list scheduling,
 * which `runPool` carries out when handed the jobs in that order); a run whose predicted end lies
 * past the budget is not started. With several engines (`--engine`) the slots are all of theirs,
 * assumed equal: a slower engine's runs take longer than predicted, which the budget's cut catches.
 *
 * `--shard i/n` deals the scenarios, longest first, to n shards (`dealShards`): by the estimates
 * alone, which depend on the plan, profile, repeat, `--set` and baseline but on no timing, so every
 * shard of a CI matrix computes the same deal.
 */
import { faultDurationMs } from "../faults/inject.js";
import { InputError } from "../errors.js";
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

/** Shard `index` of `count` (1-based): the slice of the night one CI job runs. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

const SHARD_HINT = "--shard i/n runs shard i of n (1 ≤ i ≤ n), e.g. --shard 2/4; run every i from 1 to n (a CI matrix) to cover the night";

/** `--shard 2/4` → shard 2 of 4; InputError otherwise. `1/1` is the whole night. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InputError(`--shard: expected i/n, got ${JSON.stringify(text)}`, SHARD_HINT);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 100) throw new InputError(`--shard ${text}: the shard count must be 1..100, got ${count}`, SHARD_HINT);
  if (index < 1 || index > count) throw new InputError(`--shard ${text}: the shard index must be 1..${count}, got ${index}`, SHARD_HINT);
  return { index, count };
}

/**
 * The night's scenarios dealt to `count` shards: longest estimate first (ties by name), round-robin
 * in alternating direction (1…n, n…1, 1…n, …), so no shard takes the longest of every round and the
 * shards' estimated totals differ by at most about one run. Deterministic: the same jobs and
 * estimates give the same deal, whatever the order they come in.
 */
export function dealShards<J>(jobs: readonly { job: J; name: string; estimateMs: number }[], count: number): J[][] {
  const shards: J[][] = Array.from({ length: count }, () => []);
  const sorted = [...jobs].sort((a, b) => b.estimateMs - a.estimateMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  sorted.forEach(({ job }, k) => {
    const round = Math.floor(k / count);
    const pos = k % count;
    shards[round % 2 === 0 ? pos : count - 1 - pos]!.push(job);
  });
  return shards;
}
