/**
 * A run's plan (`RunPlan`: what to run, plain data) and what the runner derives from it
 * (`resolvePlan`): the §6 model window, the checks, the phase offset range for the fault, and the
 * budgets of each wait.
 */
import type { CheckSpec } from "../checks/checks.js";
import {
  coldNodeDeathWindow,
  coldSchedulerRestartWindow,
  crashLoopBackoffMs,
  DEFAULT_ENV,
  DEFAULT_HOT_TIMERS,
  electionDelayBoundMs,
  ETCD_V2_WRITE_STALL_MS,
  hotStandbyWindow,
  KUBELET_BACKOFF_RESET_MS,
  KUBELET_MAX_BACKOFF_MS,
  leaseSlackMs,
  NO_PRIOR_RESTARTS,
  overlapBounds,
  partitionEtcdWindow,
  pauseLeaderWindow,
  podRecoveryBoundMs,
  SEED_NGINX,
  settleAfterFaultMs,
  type ColdTimers,
  type HotTimers,
  type ModelWindow,
  type OverlapWindow,
  type PriorRestarts,
} from "../timing-oracle/windows.js";
import { faultDurationMs as faultDuration } from "../faults/inject.js";
import type { FaultSpec } from "../faults/types.js";
import type { HistoryEntry } from "../history/types.js";
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

/**
 * km's `--ha` election timers: TTL_e 30 s and P = 24 s are constants of a real km (§3.3), with no
 * flag. The scheduler emulation also reads K8SM_HA_TTL_SECS / K8SM_HA_PERIOD_SECS (the fast
 * profile sets them so hot-standby trials are short); when they are set, the model built from them
 * holds for the emulation only (`hotTimersNote`).
 */
export function hotTimers(spec: TopologySpec): HotTimers {
  const env = spec.scheduler.env;
  const num = (v: string | undefined, d: number) => (v !== undefined && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : d);
  return { electionTtlSecs: num(env.K8SM_HA_TTL_SECS, DEFAULT_HOT_TIMERS.electionTtlSecs), electionPeriodSecs: num(env.K8SM_HA_PERIOD_SECS, DEFAULT_HOT_TIMERS.electionPeriodSecs) };
}

/** The note a hot-standby window carries when its timers are the emulation's knobs, else undefined. */
export function hotTimersNote(spec: TopologySpec): string | undefined {
  const t = hotTimers(spec);
  if (t.electionTtlSecs === DEFAULT_HOT_TIMERS.electionTtlSecs && t.electionPeriodSecs === DEFAULT_HOT_TIMERS.electionPeriodSecs) return undefined;
  return (
    `emulation-only: the --ha election timers TTL_e = ${t.electionTtlSecs} s, P = ${t.electionPeriodSecs} s come from K8SM_HA_TTL_SECS / K8SM_HA_PERIOD_SECS, ` +
    `which only the scheduler emulation reads; a real km fixes them at 30 s / 24 s (§3.3), so this window and its timing verdicts hold for the emulation only`
  );
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

function usesHotTimers(def: ScenarioDefinition, spec: TopologySpec): boolean {
  return def.model === "hot-standby" || (spec.mode === "hot-standby" && def.model !== null && def.model !== "cold-scheduler-restart");
}

export interface ModelOptions {
  /** Kubelet restarts of the scheduler container that set this trial's crash-loop backoff (`priorSchedulerRestarts`). @default none */
  readonly priorRestarts?: PriorRestarts;
}

export function modelFor(def: ScenarioDefinition, spec: TopologySpec, probeIntervalMs = PROBE_INTERVAL_MS, opts: ModelOptions = {}): ModelWindow | OverlapWindow | null {
  const timers = { cold: coldTimers(spec), hot: hotTimers(spec) };
  const env = { probeIntervalMs };
  const prior = opts.priorRestarts ?? NO_PRIOR_RESTARTS;
  let w: ModelWindow | OverlapWindow | null;
  switch (def.model) {
    case null: return null;
    case "cold-node-death": w = spec.mode === "hot-standby" ? hotStandbyWindow(timers.hot, env) : coldNodeDeathWindow(timers.cold, env); break;
    case "hot-standby": w = hotStandbyWindow(timers.hot, env); break;
    case "cold-scheduler-restart": w = coldSchedulerRestartWindow(timers.cold, env, prior); break;
    case "pause-leader": w = pauseLeaderWindow(spec.mode, faultDurationMs(def, spec), timers, env, { priorRestarts: prior }); break;
    case "partition-etcd": w = partitionEtcdWindow(spec.mode, faultDurationMs(def, spec), timers, env, { priorRestarts: prior, podmasterVariant: spec.podmaster.variant }); break;
  }
  const note = usesHotTimers(def, spec) ? hotTimersNote(spec) : undefined;
  if (note) w.notes.push(note);
  return w;
}

/** Failover cases that go through an election of the leader key (the others restart in place). */
const ELECTION_CASES = new Set(["cold-node-death", "hot-standby", "pause-leader", "partition-etcd"]);

/**
 * Why "no failover" cannot be expected of this topology, or undefined when it can: a fault on the
 * etcd leader holds a v2 write for up to `ETCD_V2_WRITE_STALL_MS`; a lease refreshed then with
 * less left than that (plus the expiry lag) expires, and a correct standby may win it.
 */
export function noFailoverCaveat(def: ScenarioDefinition, spec: TopologySpec): string | undefined {
  if (def.fault.kind === "none" || !("target" in def.fault) || def.fault.target !== "etcd-leader") return undefined;
  const slack = leaseSlackMs(spec.mode, { cold: coldTimers(spec), hot: hotTimers(spec) });
  const need = ETCD_V2_WRITE_STALL_MS + DEFAULT_ENV.etcdExpiryLagMaxMs;
  if (slack > need) return undefined;
  const what = spec.mode === "cold-standby" ? `T/2 − S = ${secs(slack)} s` : `TTL_e − P = ${secs(slack)} s`;
  return (
    `not judged: the lease may lapse on a correct system with these timers (${what} ≤ the etcd v2 write stall during a raft election, ` +
    `${secs(ETCD_V2_WRITE_STALL_MS)} s, + ${secs(DEFAULT_ENV.etcdExpiryLagMaxMs)} s expiry lag); raise ttl-secs (the scenario pins 30)`
  );
}

export function checksFor(def: ScenarioDefinition, spec: TopologySpec, window: ModelWindow | OverlapWindow | null, probeIntervalMs = PROBE_INTERVAL_MS): CheckSpec[] {
  const checks: CheckSpec[] = [];
  const failover = def.expect.failover && window !== null;
  if (failover) checks.push({ check: "timing-oracle" });
  if (failover && ELECTION_CASES.has(def.model ?? "")) {
    checks.push({ check: "election-delay", boundMs: electionDelayBoundMs(spec.mode, { cold: coldTimers(spec), hot: hotTimers(spec) }, probeIntervalMs) });
  }
  if (def.expect.dualScheduler === "bounded" && window && "overlap" in window) {
    const b = overlapBounds(window);
    checks.push({ check: "single-active-scheduler", maxFencings: b.maxFencings, perFencingMs: b.perFencingMs, ...(b.settleAfterFaultMs !== undefined ? { settleAfterHealMs: b.settleAfterFaultMs } : {}) });
  } else {
    checks.push({ check: "single-active-scheduler", maxFencings: 0, perFencingMs: 0 });
  }
  if (!def.expect.failover) {
    const caveat = noFailoverCaveat(def, spec);
    checks.push({ check: "no-failover", ...(caveat ? { unjudgeable: caveat } : {}) });
  }
  checks.push({ check: "no-pod-lost" });
  // Where incompatible declines are the expected outcome, pods created after the failover stay
  // Pending on agents that run the old executor (the seed's trap): recovery is not expected.
  if (failover && def.expect.incompatibleDeclines === "none") {
    checks.push({ check: "recovery-within-bound", boundMs: podRecoveryBoundMs(window) });
  }
  if (def.expect.apiRerouted) checks.push({ check: "api-reroute", nextUpstream: SEED_NGINX.nextUpstream, connectTimeoutMs: SEED_NGINX.connectTimeoutMs });
  checks.push({ check: "incompatible-offer-declines", expected: def.expect.incompatibleDeclines === "required" });
  return checks;
}

/**
 * The loop whose phase the fault is drawn in (uniformly at random within the renewal
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
  readonly window: ModelWindow | OverlapWindow | null;
  readonly checks: readonly CheckSpec[];
  /** The key whose holder leads: the `--ha` election key in hot standby, else podmaster's `/scheduler`. */
  readonly leaderKey: string;
  readonly steadyPodNames: readonly string[];
  /** The fault's phase offset is drawn uniformly in [0, renewalMs). */
  readonly renewalMs: number;
  readonly steadyBudgetMs: number;
  readonly observeBudgetMs: number;
  readonly convergeBudgetMs: number;
  /**
   * Observation lasts at least this long, ms: a fault that must not cause a failover, long enough
   * to see one; a fault with a duration and a bounded overlap, past its heal until the old leader
   * must have stood down (`minObserveMs`).
   */
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
    checks: checksFor(def, spec, window, intervalMs),
    leaderKey: spec.mode === "hot-standby" ? WATCHED_KEYS.haLeader() : WATCHED_KEYS.scheduler,
    steadyPodNames: Array.from({ length: plan.steadyPods ?? 2 }, (_, i) => `steady-${i + 1}`),
    renewalMs: renewalPeriodMs(def, spec),
    steadyBudgetMs: steadyBudgetMs(spec),
    observeBudgetMs: observeBudgetMs(def, spec, window),
    convergeBudgetMs: convergeBudgetMs(spec),
    minObserveMs: minObserveMs(def, spec, window),
  };
}

/**
 * No failover expected: at least max(10 s, 2 T), so a lease lapse or a takeover would be seen. A
 * bounded overlap (pause, partition): the fault, then until the old leader must have stood down
 * (cold: `settleAfterFaultMs`), then one more restart cycle of a scheduler (Y + T_c + T_b ≤ Y + 7 s),
 * so a fight that goes on after the heal is seen. A restart in place (kill-scheduler,
 * usr1-failover): until the kubelet's restart must have registered (the window's max) and 1 s
 * more, so a second process next to it (a USR1 child that survived its container registers first,
 * at once) is seen being fenced. Else 0: observation ends on recovery.
 */
export function minObserveMs(def: ScenarioDefinition, spec: TopologySpec, window: ModelWindow | null = null): number {
  if (!def.expect.failover) return Math.max(10_000, spec.podmaster.ttlSecs * 2_000);
  if (def.expect.dualScheduler === "bounded") {
    const settle = spec.mode === "cold-standby" ? settleAfterFaultMs(coldTimers(spec)) : 0;
    return faultDurationMs(def, spec) + settle + spec.kubelet.syncFrequencyMs + 7_000;
  }
  if (def.model === "cold-scheduler-restart" && window) return window.maxMs + 1_000;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// One trial's plan: the kubelet's crash-loop backoff persists across trials

/** What the runner knows of an earlier trial of the run (`TrialResult` has these fields). */
export interface EarlierTrial {
  readonly originEpochMs: number;
  readonly fault: { readonly targets: readonly { readonly node: string }[]; readonly injectedAtMs: number } | null;
  readonly history: readonly HistoryEntry[];
}

/** Does this fault, fired at `node`, crash that node's scheduler container (so its kubelet restarts it)? */
function crashesScheduler(fault: FaultSpec): boolean {
  return fault.kind === "signal-process" && fault.process === "scheduler";
}

/** Does this fault reboot the node (a new kubelet, with no backoff memory), once converge starts it again? */
function rebootsNode(fault: FaultSpec): boolean {
  return fault.kind === "kill-container";
}

/** up → down transitions of `node`'s scheduler /healthz in one history. */
function downsOf(history: readonly HistoryEntry[], node: string): number {
  let up: boolean | undefined;
  let downs = 0;
  for (const e of history) {
    if (e.kind !== "scheduler-health" || e.node !== node) continue;
    if (up === true && !e.up) downs += 1;
    up = e.up;
  }
  return downs;
}

/**
 * How many kubelet restarts of `node`'s scheduler container precede a crash at `atEpochMs`, in its
 * unbroken backoff chain (§2.4; fixtures/emulations/kubelet/backoff.ts), from what the runner knows
 * of the earlier trials:
 * - `min`: restarts it caused for certain (its faults that crash the scheduler on that node: each
 *   is followed by one kubelet restart on a correct system), in a chain whose crashes are at most
 *   600 s apart (the reset: a crash more than 600 s after the last restart starts over);
 * - `max`: every time that node's scheduler was seen going down (a crash, a fencing, a removal:
 *   at most one restart each), in a chain whose gaps could still be under the reset (600 s +
 *   the longest restart delay, 300 s + Y), measured from each trial's end.
 * A trial that killed the node's container ends its chain: converge starts it as a reboot, with a
 * new kubelet. A scheduler crash this count does not see (one no probe saw) can only be missing
 * from `max`: a restart delay longer than the window's max fails the trial, with this count in its
 * note.
 */
export function priorSchedulerRestarts(node: string, plan: Pick<RunPlan, "scenario" | "spec">, earlier: readonly EarlierTrial[], atEpochMs: number): PriorRestarts {
  const Y = plan.spec.kubelet.syncFrequencyMs;
  const fault = plan.scenario.fault;
  let min = 0;
  let max = 0;
  let minOpen = true;
  let maxOpen = true;
  let minNext = atEpochMs;
  let maxNext = atEpochMs;
  for (let j = earlier.length - 1; j >= 0 && (minOpen || maxOpen); j--) {
    const tr = earlier[j]!;
    const onNode = tr.fault?.targets.some((t) => t.node === node) ?? false;
    if (onNode && rebootsNode(fault)) break;
    const faultAt = tr.fault ? tr.originEpochMs + tr.fault.injectedAtMs : tr.originEpochMs;
    const endAt = tr.originEpochMs + (tr.history.at(-1)?.t ?? 0);
    const certain = onNode && crashesScheduler(fault) ? 1 : 0;
    const possible = Math.max(certain, downsOf(tr.history, node));
    if (minOpen && certain) {
      if (minNext - faultAt > KUBELET_BACKOFF_RESET_MS) minOpen = false;
      else {
        min += certain;
        minNext = faultAt;
      }
    }
    if (maxOpen && possible) {
      if (maxNext - endAt > KUBELET_BACKOFF_RESET_MS + KUBELET_MAX_BACKOFF_MS + Y) maxOpen = false;
      else {
        max += possible;
        maxNext = tr.originEpochMs;
      }
    }
  }
  return { min, max: Math.max(min, max) };
}

/** A fault as fired, as far as the per-trial plan needs it (`TrialFault` has these fields). */
export interface FiredFault {
  readonly targets: readonly { readonly node: string }[];
  readonly injectedAtMs: number;
}

/**
 * The plan of trial `k`, once its fault fired: the run's plan, with the model window (and the
 * checks and observe budget that depend on it) rebuilt for the crash-loop backoff the kubelet
 * carries over from the earlier trials (`priorSchedulerRestarts`):
 * - a scheduler restart in place (kill-scheduler, usr1-failover): the target node's chain;
 * - pause and partition: the other masters' (one of them takes over, and its bootstrap may crash
 *   while the fault lasts; the most restarted one bounds it).
 * Modelled, not waited out: the backoff resets only after 600 s without a crash, which would make
 * every `--repeat` trial wait 10 minutes; the model needs nothing but what the runner recorded.
 */
export function planForTrial(plan: ResolvedPlan, fault: FiredFault | null, earlier: readonly EarlierTrial[], originEpochMs: number): ResolvedPlan {
  const def = plan.scenario;
  if (!fault || !earlier.length || !["cold-scheduler-restart", "pause-leader", "partition-etcd"].includes(def.model ?? "")) return plan;
  const at = originEpochMs + fault.injectedAtMs;
  const targets = fault.targets.map((t) => t.node);
  const nodes =
    def.model === "cold-scheduler-restart"
      ? targets
      : Array.from({ length: plan.spec.masters }, (_, i) => `master-${i + 1}`).filter((n) => !targets.includes(n));
  const per = nodes.map((n) => ({ node: n, ...priorSchedulerRestarts(n, plan, earlier, at) }));
  if (!per.length || per.every((p) => p.max === 0)) return plan;
  const prior = { min: Math.min(...per.map((p) => p.min)), max: Math.max(...per.map((p) => p.max)) };
  const window = modelFor(def, plan.spec, plan.intervalMs, { priorRestarts: prior });
  const Y = plan.spec.kubelet.syncFrequencyMs;
  const [lo, hi] = [crashLoopBackoffMs(prior.min, Y) / 1000, crashLoopBackoffMs(prior.max, Y) / 1000];
  const note =
    `crash-loop backoff carried over from earlier trials: ${per.map((p) => `${p.node}'s scheduler restarted ${p.min === p.max ? p.min : `${p.min}–${p.max}`} time(s)`).join(", ")}` +
    ` → next restart after ${lo === hi ? lo : `${lo}–${hi}`} s + [0, Y)`;
  const checks = checksFor(def, plan.spec, window, plan.intervalMs).map((c) => (c.check === "timing-oracle" ? { ...c, note } : c));
  return { ...plan, window, checks, observeBudgetMs: observeBudgetMs(def, plan.spec, window), minObserveMs: minObserveMs(def, plan.spec, window) };
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
