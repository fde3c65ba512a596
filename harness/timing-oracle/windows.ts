/**
 * The failover windows of the behaviour reference §6 (k8sm-ha-behaviour.md) as functions of the
 * configured timers. Each window is a sum of named terms, each with its own range, so a report can
 * show the derivation. Times are ms from the fault to the new scheduler's `Registered` as Mesos
 * shows it (framework active with a new pid).
 *
 * Protocol terms come straight from the reference. T_c (container start) and T_b (km bootstrap to
 * `Registered`) depend on the environment and were never measured (§7.4): they are inputs with the
 * documented defaults below, which follow the reference's wording. The `probe` term is the
 * observer's own lag (one polling interval), which the measured sample includes.
 */

/** A term's range: [minMs, maxMs] with its mean. */
export interface Range {
  minMs: number;
  expectedMs: number;
  maxMs: number;
}

export interface Term extends Range {
  /** How the term is derived, e.g. "R ∈ (T/2 − S, T]". */
  formula: string;
}

export type FailoverCase =
  | "cold-node-death"
  | "cold-scheduler-restart"
  | "hot-standby"
  | "pause-leader"
  | "partition-etcd";

export interface ModelWindow extends Range {
  case: FailoverCase;
  /** Term name → range; minMs/expectedMs/maxMs are the sums of the terms. */
  terms: Record<string, Term>;
  /** One line: "R + g + D1 + D2 + T_c + T_b + probe". */
  formula: string;
  notes: string[];
}

/** Cold-standby timers (podmaster + kubelet); defaults are the seed's / the real components'. */
export interface ColdTimers {
  /** podmaster `--ttl-secs` (T), s. Default 30. */
  ttlSecs: number;
  /** podmaster `--sleep` (S), s. Default 5. */
  sleepSecs: number;
  /** kubelet `--file-check-frequency` (F), s. Default 20. */
  fileCheckSecs: number;
  /** kubelet `--sync-frequency` (Y), s. Default 10. */
  syncSecs: number;
}

/** Hot-standby election constants (fixed in km: TTL_e 30 s, period P = 80 % of TTL_e). */
export interface HotTimers {
  electionTtlSecs: number;
  electionPeriodSecs: number;
}

/** Environment terms; see the defaults below. */
export interface EnvTerms {
  /** T_c: kubelet container (pod process) start. */
  containerStart: Range;
  /** T_b: km bootstrap to Mesos `Registered` with Mesos up. */
  bootstrap: Range;
  /** The standalone Mesos detector's first `/state.json` poll may fail: adds up to 30 s to T_b's max. */
  detectorMayRepoll: boolean;
  /** g's upper bound: etcd v2 TTL expiry lag (SYNC every 500 ms), ms. */
  etcdExpiryLagMaxMs: number;
  /** The probes' polling interval: an observation lags the event by [0, this), ms. */
  probeIntervalMs: number;
}

export const DEFAULT_COLD_TIMERS: ColdTimers = { ttlSecs: 30, sleepSecs: 5, fileCheckSecs: 20, syncSecs: 10 };
export const DEFAULT_HOT_TIMERS: HotTimers = { electionTtlSecs: 30, electionPeriodSecs: 24 };

/**
 * Defaults for the environment terms, from the reference's wording (§6 notation):
 * T_c "a few seconds" with a cached image → [0, 5 s], mean 1 s;
 * T_b "sub-second to ~2 s when Mesos is up" → [0, 2 s], mean 1 s;
 * g ≤ 0.5 s; the probe interval at its bound, 100 ms (issue 5: at most 100 ms; the runner passes
 * its own, PROBE_INTERVAL_MS in harness/runner/plan.ts, 50 ms).
 */
export const DEFAULT_ENV: EnvTerms = {
  containerStart: { minMs: 0, expectedMs: 1_000, maxMs: 5_000 },
  bootstrap: { minMs: 0, expectedMs: 1_000, maxMs: 2_000 },
  detectorMayRepoll: false,
  etcdExpiryLagMaxMs: 500,
  probeIntervalMs: 100,
};

/**
 * mesos-go's standalone detector re-polls the master's state.json every 30 s when a poll fails
 * (§3.2): the harness's one definition, used by this oracle and by the launcher's health budgets
 * (the scheduler emulation's own DETECTOR_PERIOD_SECS is checked against it in its tests).
 */
export const DETECTOR_REPOLL_MS = 30_000;

function term(formula: string, minMs: number, expectedMs: number, maxMs: number): Term {
  return { formula, minMs, expectedMs, maxMs };
}

/** Uniform on [min, max). */
function uniform(formula: string, minMs: number, maxMs: number): Term {
  return term(formula, minMs, (minMs + maxMs) / 2, maxMs);
}

function window(c: FailoverCase, terms: Record<string, Term>, notes: string[] = []): ModelWindow {
  const sum = (f: keyof Range) => Object.values(terms).reduce((a, t) => a + t[f], 0);
  return {
    case: c,
    minMs: sum("minMs"),
    expectedMs: sum("expectedMs"),
    maxMs: sum("maxMs"),
    terms,
    formula: Object.keys(terms).join(" + "),
    notes,
  };
}

function resolveEnv(env: Partial<EnvTerms> | undefined): EnvTerms {
  const e = { ...DEFAULT_ENV, ...env };
  for (const [name, r] of [["containerStart", e.containerStart], ["bootstrap", e.bootstrap]] as const) {
    if (!(r.minMs >= 0 && r.minMs <= r.expectedMs && r.expectedMs <= r.maxMs)) {
      throw new RangeError(`env.${name} must satisfy 0 <= minMs <= expectedMs <= maxMs, got ${JSON.stringify(r)}`);
    }
  }
  return e;
}

function envTerms(e: EnvTerms, withContainerStart: boolean): Record<string, Term> {
  const out: Record<string, Term> = {};
  if (withContainerStart) {
    out.T_c = term("kubelet container start (environment)", e.containerStart.minMs, e.containerStart.expectedMs, e.containerStart.maxMs);
  }
  const repoll = e.detectorMayRepoll ? DETECTOR_REPOLL_MS : 0;
  out.T_b = term(
    `km bootstrap → Registered (environment)${repoll ? ` + ≤ ${repoll / 1_000} s Mesos detector repoll` : ""}`,
    e.bootstrap.minMs,
    e.bootstrap.expectedMs,
    e.bootstrap.maxMs + repoll,
  );
  out.probe = uniform("observation lag ∈ [0, probe interval)", 0, e.probeIntervalMs);
  return out;
}

function checkTimers(t: object): void {
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new RangeError(`timer ${k} must be a positive number, got ${String(v)}`);
  }
}

/** §6.1: the leader master node dies (podmaster and scheduler gone); cold standby takes over. */
export function coldNodeDeathWindow(timers: Partial<ColdTimers> = {}, env?: Partial<EnvTerms>): ModelWindow {
  const { ttlSecs: T, sleepSecs: S, fileCheckSecs: F } = { ...DEFAULT_COLD_TIMERS, ...timers };
  checkTimers({ T, S, F });
  const e = resolveEnv(env);
  const notes: string[] = [];
  // R ∈ (T/2 − S, T]; E[R] ≈ 3T/4 (reference §1.3, "in practice about [T/2, T]").
  let rMin = (T / 2 - S) * 1000;
  if (rMin < 0) {
    notes.push(`T/2 − S < 0 (T=${T}s, S=${S}s): the lease may already be refreshed late; R's lower bound is taken as 0`);
    rMin = 0;
  }
  return window(
    "cold-node-death",
    {
      R: term("key lifetime left at death ∈ (T/2 − S, T], E ≈ 3T/4", rMin, (3 * T * 1000) / 4, T * 1000),
      g: uniform("etcd TTL expiry lag ∈ [0, 0.5 s]", 0, e.etcdExpiryLagMaxMs),
      D1: uniform("standby podmaster poll ∈ [0, S)", 0, S * 1000),
      D2: uniform("kubelet file check ∈ [0, F)", 0, F * 1000),
      ...envTerms(e, true),
    },
    notes,
  );
}

/**
 * §6.1 "Only the scheduler container dies" (includes SIGUSR1: the process exits 0): no election;
 * the kubelet restarts it within [0, Y) on a first crash. Repeated crashes add backoff (10, 20,
 * 40 … 300 s), which this window does not cover: pass `priorCrashes` to add the backoff delay.
 */
export function coldSchedulerRestartWindow(
  timers: Partial<ColdTimers> = {},
  env?: Partial<EnvTerms>,
  priorCrashes = 0,
): ModelWindow {
  const { syncSecs: Y } = { ...DEFAULT_COLD_TIMERS, ...timers };
  checkTimers({ Y });
  const e = resolveEnv(env);
  const terms: Record<string, Term> = { restart: uniform("kubelet restart on first crash ∈ [0, Y)", 0, Y * 1000) };
  if (priorCrashes > 0) {
    const b = crashLoopBackoffMs(priorCrashes, Y * 1000);
    terms.backoff = term(`crash-loop backoff after ${priorCrashes} earlier crash(es)`, b, b, b);
  }
  return window("cold-scheduler-restart", { ...terms, ...envTerms(e, true) });
}

/**
 * Kubelet crash-loop backoff before restart number `n + 1` (n earlier crashes): Y·2^(n−1), ≤ 300 s,
 * where the initial backoff Y is the kubelet's `--sync-frequency` (§2.4; 10 s by default).
 */
export function crashLoopBackoffMs(n: number, initialMs = 10_000): number {
  return n <= 0 ? 0 : Math.min(300_000, initialMs * 2 ** (n - 1));
}

/** §6.2: the `--ha` leader process (or its host) dies, or is USR1'd; a hot standby wins the election. */
export function hotStandbyWindow(timers: Partial<HotTimers> = {}, env?: Partial<EnvTerms>): ModelWindow {
  const { electionTtlSecs: TTL, electionPeriodSecs: P } = { ...DEFAULT_HOT_TIMERS, ...timers };
  checkTimers({ TTL, P });
  if (P > TTL) throw new RangeError(`election period (${P}s) must not exceed its TTL (${TTL}s)`);
  const e = resolveEnv(env);
  return window("hot-standby", {
    R_e: uniform("election key lifetime left ∈ (TTL_e − P, TTL_e]", (TTL - P) * 1000, TTL * 1000),
    g: uniform("etcd TTL expiry lag ∈ [0, 0.5 s]", 0, e.etcdExpiryLagMaxMs),
    D1: uniform("standby election poll ∈ [0, P)", 0, P * 1000),
    ...envTerms(e, false),
  });
}

export type StandbyMode = "cold-standby" | "hot-standby";

export interface ModeTimers {
  cold?: Partial<ColdTimers>;
  hot?: Partial<HotTimers>;
}

function deathWindow(mode: StandbyMode, timers: ModeTimers, env?: Partial<EnvTerms>): ModelWindow {
  return mode === "cold-standby" ? coldNodeDeathWindow(timers.cold, env) : hotStandbyWindow(timers.hot, env);
}

/** Longest lease lifetime at the fault: after that, a stalled leader has surely lost its key. */
function maxLeaseMs(mode: StandbyMode, timers: ModeTimers, env: EnvTerms): number {
  const ttl = mode === "cold-standby" ? { ...DEFAULT_COLD_TIMERS, ...timers.cold }.ttlSecs : { ...DEFAULT_HOT_TIMERS, ...timers.hot }.electionTtlSecs;
  return ttl * 1000 + env.etcdExpiryLagMaxMs;
}

/**
 * `docker pause` of the leading node for `pauseMs`. A paused leader neither renews nor acts, so
 * while the pause outlasts the lease this is the node-death window of the mode (§6.1 / §6.2);
 * the old leader's return after the takeover is fenced by Mesos (`Framework failed over`).
 */
export function pauseLeaderWindow(mode: StandbyMode, pauseMs: number, timers: ModeTimers = {}, env?: Partial<EnvTerms>): ModelWindow {
  const w = deathWindow(mode, timers, env);
  const lease = maxLeaseMs(mode, timers, resolveEnv(env));
  const notes = [...w.notes];
  if (pauseMs < lease) {
    notes.push(
      `pause (${pauseMs} ms) is shorter than the longest lease (${lease} ms): a takeover is not certain; the window holds only if one happens`,
    );
  }
  return { ...w, case: "pause-leader", notes };
}

export interface PartitionWindow extends ModelWindow {
  /** Predicted bound on `dualSchedulerMs` (see `partitionEtcdWindow`). */
  overlap: { maxMs: number; terms: Record<string, Term>; formula: string };
}

/**
 * The leader is cut from etcd but not from Mesos for `partitionMs`. Its podmaster (cold) blocks in
 * go-etcd and keeps the manifest; its HA elector (hot) never steps down on errors. So the standby
 * wins after the lease runs out, exactly as after a death: the node-death window of the mode.
 *
 * Overlap [inferred in the reference]: the new scheduler is up while the old one still holds the
 * framework, until the new one registers (≤ T_b) and Mesos fences the old one (`Framework failed
 * over` → exit 255), which the probes see within a poll. In cold standby the old node's kubelet
 * then restarts its scheduler (its manifest is still there) and the two ping-pong under crash-loop
 * backoff until the partition heals and the old podmaster deletes its manifest (≤ F + 2 s): every
 * restart of the key holder's scheduler while the other holds the framework adds up to T_b again.
 * Bound: handovers × (T_b,max + 2·probe), handovers = 1 + 2 × (kubelet restarts that fit in
 * partitionMs + F + 2 s). Hot standby: one handover (a partitioned HA standby cannot win again).
 */
export function partitionEtcdWindow(
  mode: StandbyMode,
  partitionMs: number,
  timers: ModeTimers = {},
  env?: Partial<EnvTerms>,
): PartitionWindow {
  const e = resolveEnv(env);
  const w = deathWindow(mode, timers, env);
  const lease = maxLeaseMs(mode, timers, e);
  const notes = [...w.notes];
  if (partitionMs < lease) notes.push(`partition (${partitionMs} ms) is shorter than the longest lease (${lease} ms): a takeover is not certain`);
  const perHandover = w.terms.T_b!.maxMs + 2 * e.probeIntervalMs;
  let handovers = 1;
  let restartsTerm: Term | undefined;
  if (mode === "cold-standby") {
    const F = { ...DEFAULT_COLD_TIMERS, ...timers.cold }.fileCheckSecs;
    const span = partitionMs + F * 1000 + 2000;
    const restarts = restartsWithin(span, { ...DEFAULT_COLD_TIMERS, ...timers.cold }.syncSecs * 1000);
    handovers = 1 + 2 * restarts;
    restartsTerm = term(`kubelet restarts within partition + F + 2 s (${span} ms), each side`, restarts, restarts, restarts);
  }
  const overlapTerms: Record<string, Term> = {
    perHandover: term("T_b,max + 2 × probe interval", perHandover, perHandover, perHandover),
    handovers: term(mode === "cold-standby" ? "1 + 2 × restarts" : "1 (hot standby)", handovers, handovers, handovers),
  };
  if (restartsTerm) overlapTerms.restarts = restartsTerm;
  return {
    ...w,
    case: "partition-etcd",
    notes,
    overlap: { maxMs: handovers * perHandover, terms: overlapTerms, formula: "handovers × perHandover" },
  };
}

/** How many kubelet restarts of a crash-looping container can happen within `spanMs` (first one immediate). */
export function restartsWithin(spanMs: number, initialBackoffMs = 10_000): number {
  let n = 0;
  let elapsed = 0;
  while (elapsed <= spanMs && n < 1000) {
    n += 1;
    elapsed += crashLoopBackoffMs(n, initialBackoffMs);
  }
  return n;
}

/**
 * Bound for `podRecoveryMs`: the failover window's max, plus the first usable offer (T_o ≤ 1 s
 * allocation + ≤ 5 s refuse_seconds) plus pod start (T_p, "seconds": default ≤ 10 s).
 */
export function podRecoveryBoundMs(w: ModelWindow, opts: { offerMs?: number; podStartMs?: number } = {}): number {
  return w.maxMs + (opts.offerMs ?? 6_000) + (opts.podStartMs ?? 10_000);
}
