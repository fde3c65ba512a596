/**
 * A run's plan (`RunPlan`: what to run, plain data) and what the runner derives from it
 * (`resolvePlan`): the §6 model window, the checks, the phase offset range for the fault, and the
 * budgets of each wait.
 */
import type { CheckSpec } from "../checks/checks.js";
import {
  coldNodeDeathWindow,
  coldSchedulerRestartWindow,
  hotStandbyWindow,
  partitionEtcdWindow,
  pauseLeaderWindow,
  podRecoveryBoundMs,
  type ColdTimers,
  type HotTimers,
  type ModelWindow,
  type PartitionWindow,
} from "../timing-oracle/windows.js";
import { faultDurationMs as faultDuration } from "../faults/inject.js";
import { WATCHED_KEYS } from "../history/types.js";
import type { TopologySpec } from "../topology/spec.js";
import type { ScenarioDefinition } from "./types.js";

const secs = (ms: number) => ms / 1000;

/**
 * How often the probes poll what must be polled (Mesos state, scheduler /healthz, pods through
 * nginx), ms. Issue 5 asks for at most 100 ms; 50 ms halves the observation lag (the bench's
 * probeErrorMs for schedulerStarted and firstPodRunning is bounded by it) at a small load.
 */
export const PROBE_INTERVAL_MS = 50;

/** The emulation's `--ha` election timers (K8SM_HA_TTL_SECS / K8SM_HA_PERIOD_SECS in the scheduler env), else km's 30 s / 24 s. */
export function hotTimers(spec: TopologySpec): HotTimers {
  const env = spec.scheduler.env;
  const num = (v: string | undefined, d: number) => (v !== undefined && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : d);
  return { electionTtlSecs: num(env.K8SM_HA_TTL_SECS, 30), electionPeriodSecs: num(env.K8SM_HA_PERIOD_SECS, 24) };
}

export function coldTimers(spec: TopologySpec): ColdTimers {
  return {
    ttlSecs: spec.podmaster.ttlSecs,
    sleepSecs: secs(spec.podmaster.sleepMs),
    fileCheckSecs: secs(spec.kubelet.fileCheckFrequencyMs),
    syncSecs: secs(spec.kubelet.syncFrequencyMs),
  };
}

/** How long the scenario's fault lasts, ms (0 for a fault without a duration). */
function faultDurationMs(def: ScenarioDefinition, spec: TopologySpec): number {
  return faultDuration(def.fault, spec.podmaster.ttlSecs);
}

export function modelFor(def: ScenarioDefinition, spec: TopologySpec, probeIntervalMs = PROBE_INTERVAL_MS): ModelWindow | PartitionWindow | null {
  const timers = { cold: coldTimers(spec), hot: hotTimers(spec) };
  const env = { probeIntervalMs };
  switch (def.model) {
    case null: return null;
    case "cold-node-death": return spec.mode === "hot-standby" ? hotStandbyWindow(timers.hot, env) : coldNodeDeathWindow(timers.cold, env);
    case "hot-standby": return hotStandbyWindow(timers.hot, env);
    case "cold-scheduler-restart": return coldSchedulerRestartWindow(timers.cold, env);
    case "pause-leader": return pauseLeaderWindow(spec.mode, faultDurationMs(def, spec), timers, env);
    case "partition-etcd": return partitionEtcdWindow(spec.mode, faultDurationMs(def, spec), timers, env);
  }
}

export function checksFor(def: ScenarioDefinition, window: ModelWindow | PartitionWindow | null): CheckSpec[] {
  const checks: CheckSpec[] = [];
  if (window && def.expect.failover) checks.push({ check: "timing-oracle" });
  const overlap = def.expect.dualScheduler === "bounded" && window && "overlap" in window ? window.overlap.maxMs : 0;
  checks.push({ check: "single-active-scheduler", maxOverlapMs: overlap });
  checks.push({ check: "no-pod-lost" });
  // Where incompatible declines are the expected outcome, pods created after the failover stay
  // Pending on agents that run the old executor (the seed's trap): recovery is not expected.
  if (window && def.expect.failover && def.expect.incompatibleDeclines === "none") {
    checks.push({ check: "recovery-within-bound", boundMs: podRecoveryBoundMs(window) });
  }
  checks.push({ check: "incompatible-offer-declines", expected: def.expect.incompatibleDeclines === "required" });
  return checks;
}

/**
 * The loop whose phase the fault is drawn in (issue 5: uniformly at random within the renewal
 * period, so samples are not biased): cold standby, the podmaster refresh cadence ≈ T/2; hot
 * standby, the election period; a scheduler-only fault, the kubelet sync period.
 */
export function renewalPeriodMs(def: ScenarioDefinition, spec: TopologySpec): number {
  if (def.model === "cold-scheduler-restart") return spec.kubelet.syncFrequencyMs;
  if (spec.mode === "hot-standby") return hotTimers(spec).electionPeriodSecs * 1000;
  return (spec.podmaster.ttlSecs * 1000) / 2;
}

/** How long to observe after the fault before giving up on recovery: the model's max (or the fault) with room for the pod path. */
export function observeBudgetMs(def: ScenarioDefinition, spec: TopologySpec, window: ModelWindow | null): number {
  const duration = faultDurationMs(def, spec);
  const base = window ? podRecoveryBoundMs(window) : 2 * spec.podmaster.ttlSecs * 1000;
  return Math.max(base, duration) + duration + 15_000;
}

/** Seeded PRNG (mulberry32): tiny, fast, and good enough to place faults; not for cryptography. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one run is: everything `executeRun` needs to know about the experiment (no I/O, no engine). */
export interface RunPlan {
  readonly scenario: ScenarioDefinition;
  /** The resolved topology spec (profile, then the scenario's overrides, then the user's `--set`). */
  readonly spec: TopologySpec;
  /** Trials on one topology. */
  readonly repeat: number;
  /** Seeds the fault's random phase offset. */
  readonly seed: number;
  /** How the spec was made, for result.json (`profile`, `sets`, ...). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Probe poll interval, ms. @default PROBE_INTERVAL_MS */
  readonly intervalMs?: number;
  /** Workload pods that must stay Running across the fault. @default 2 */
  readonly steadyPods?: number;
}

export interface ResolvedPlan extends RunPlan {
  readonly intervalMs: number;
  readonly window: ModelWindow | PartitionWindow | null;
  readonly checks: readonly CheckSpec[];
  /** The key whose holder leads: the `--ha` election key in hot standby, else podmaster's `/scheduler`. */
  readonly leaderKey: string;
  readonly steadyPodNames: readonly string[];
  /** The fault's phase offset is drawn uniformly in [0, renewalMs). */
  readonly renewalMs: number;
  readonly steadyBudgetMs: number;
  readonly observeBudgetMs: number;
  readonly convergeBudgetMs: number;
  /** A fault that must not cause a failover is watched at least this long, ms. */
  readonly minObserveMs: number;
}

export function resolvePlan(plan: RunPlan): ResolvedPlan {
  const { scenario: def, spec } = plan;
  const intervalMs = plan.intervalMs ?? PROBE_INTERVAL_MS;
  const window = modelFor(def, spec, intervalMs);
  return {
    ...plan,
    intervalMs,
    window,
    checks: checksFor(def, window),
    leaderKey: spec.mode === "hot-standby" ? WATCHED_KEYS.haLeader() : WATCHED_KEYS.scheduler,
    steadyPodNames: Array.from({ length: plan.steadyPods ?? 2 }, (_, i) => `steady-${i + 1}`),
    renewalMs: renewalPeriodMs(def, spec),
    steadyBudgetMs: steadyBudgetMs(spec),
    observeBudgetMs: observeBudgetMs(def, spec, window),
    convergeBudgetMs: convergeBudgetMs(spec),
    minObserveMs: def.expect.failover ? 0 : Math.max(10_000, spec.podmaster.ttlSecs * 2_000),
  };
}

/** Time to reach steady state: a full cold election (T + S + F) plus bootstrap and pod start, twice over. */
export function steadyBudgetMs(spec: TopologySpec): number {
  const election = spec.mode === "hot-standby" ? 60_000 : spec.podmaster.ttlSecs * 1000 + spec.podmaster.sleepMs + spec.kubelet.fileCheckFrequencyMs;
  return 2 * election + 60_000;
}

/**
 * Longest wait for a restarted master's stale scheduler to be removed (§6.1): the node boots and its
 * kubelet starts the scheduler of its old manifest at once; its podmaster, seeing another holder,
 * deletes the manifest within one iteration (≤ S); the kubelet notices within F (or the sync Y) and
 * stops the pod (2 s grace). Plus a container start on a loaded machine (10 s).
 */
export function convergeBudgetMs(spec: TopologySpec): number {
  return spec.podmaster.sleepMs + spec.kubelet.fileCheckFrequencyMs + spec.kubelet.syncFrequencyMs + 2_000 + 10_000;
}
