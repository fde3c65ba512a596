/**
 * The failover windows of the behaviour reference §6 (docs/k8sm-ha-behaviour.md) as functions of the
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
 * T_c "a few seconds" with a cached image → [0, 5 s], mean 1 s. In the emulation, T_c is the
 *   kubelet emulation's exec of a node process to its first output (a Go binary: a few ms), which
 *   `npm run bench` reports per container as "emulation start-up" (kubelet `container-first-output`):
 *   40–65 ms in an idle fixture image (node's own start-up ≈ 40 ms of it), 0.2–2 s on a loaded 2-core
 *   host (measured 2026-11-30, load 12–25); inside this range, so the model needs no extra term;
 * T_b "sub-second to ~2 s when Mesos is up" → [0, 2 s], mean 1 s;
 * g ≤ 0.5 s; the probe interval at its bound, 100 ms (the probes poll at most every 100 ms; the runner passes
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

// ---------------------------------------------------------------------------------------------
// The kubelet's crash loop (§2.4)

/** Crash-loop backoff cap, ms (§2.4; fixtures/emulations/kubelet/backoff.ts). */
export const KUBELET_MAX_BACKOFF_MS = 300_000;
/**
 * A container's backoff entry is forgotten when it crashes more than 2 × the cap after its last
 * restart (§2.4 "resets after a container has run stably for 2 × 300 s"): the chain of restarts
 * that sets the next delay is the one without such a gap.
 */
export const KUBELET_BACKOFF_RESET_MS = 2 * KUBELET_MAX_BACKOFF_MS;

/**
 * How many kubelet restarts of the same container (same node, same pod name) preceded a crash in
 * its unbroken chain: they set its backoff. A range, because the runner knows some restarts for
 * certain (its own faults) and can only bound others (every scheduler seen going down).
 */
export interface PriorRestarts {
  min: number;
  max: number;
}

export const NO_PRIOR_RESTARTS: PriorRestarts = Object.freeze({ min: 0, max: 0 });

/**
 * Kubelet crash-loop backoff before restart number `n + 1` (n earlier restarts in the chain):
 * Y·2^(n−1), ≤ 300 s, where the initial backoff Y is the kubelet's `--sync-frequency` (§2.4; 10 s
 * by default). The restart itself comes at the first sync after that: delay ∈ [b, b + Y).
 */
export function crashLoopBackoffMs(n: number, initialMs = 10_000): number {
  return n <= 0 ? 0 : Math.min(KUBELET_MAX_BACKOFF_MS, initialMs * 2 ** (n - 1));
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

function checkPrior(p: PriorRestarts): PriorRestarts {
  if (!(Number.isInteger(p.min) && Number.isInteger(p.max) && 0 <= p.min && p.min <= p.max)) {
    throw new RangeError(`prior restarts must be integers with 0 <= min <= max, got ${JSON.stringify(p)}`);
  }
  return p;
}

/**
 * §6.1 "Only the scheduler container dies" (includes SIGUSR1: the process exits 0): no election;
 * the kubelet restarts it at its first sync after the crash, [0, Y), once the backoff its earlier
 * restarts left has passed (§2.4). The backoff persists across trials: a `--repeat` of this
 * scenario on one node gives restart delays of Y/2, Y + Y/2, 2Y + Y/2, 4Y + Y/2 … on average,
 * unless 600 s pass between crashes. `prior` is that node's chain (`priorSchedulerRestarts` in
 * harness/runner/plan.ts counts it from the earlier trials).
 */
export function coldSchedulerRestartWindow(
  timers: Partial<ColdTimers> = {},
  env?: Partial<EnvTerms>,
  prior: number | PriorRestarts = NO_PRIOR_RESTARTS,
): ModelWindow {
  const { syncSecs: Y } = { ...DEFAULT_COLD_TIMERS, ...timers };
  checkTimers({ Y });
  const e = resolveEnv(env);
  const p = checkPrior(typeof prior === "number" ? { min: prior, max: prior } : prior);
  const terms: Record<string, Term> = { restart: uniform("kubelet's next sync after the crash ∈ [0, Y)", 0, Y * 1000) };
  if (p.max > 0) {
    const lo = crashLoopBackoffMs(p.min, Y * 1000);
    const hi = crashLoopBackoffMs(p.max, Y * 1000);
    const n = p.min === p.max ? `${p.min}` : `${p.min}–${p.max}`;
    terms.backoff = term(`crash-loop backoff Y·2^(n−1) after n = ${n} earlier restart(s) of this container (≤ 300 s, reset after 600 s)`, lo, (lo + hi) / 2, hi);
  }
  return window("cold-scheduler-restart", { ...terms, ...envTerms(e, true) });
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

// ---------------------------------------------------------------------------------------------
// nginx and the apiserver of a faulted node

/** The nginx settings the oracle reasons from (the `location /` of the apiserver upstream). */
export interface NginxSettings {
  /** `proxy_next_upstream`: the failures after which nginx tries the next apiserver. */
  nextUpstream: readonly string[];
  /** `proxy_connect_timeout`, ms. */
  connectTimeoutMs: number;
  /** `proxy_read_timeout`, ms: how long nginx waits for an apiserver's answer before it counts as `timeout`. */
  readTimeoutMs: number;
  /**
   * `fail_timeout` of each upstream `server`, ms: after a failed attempt (`max_fails` 1) nginx sends
   * that server nothing for this long. The seed sets neither, so nginx's defaults (1, 10 s) hold: an
   * apiserver that has answered for less than this may still be skipped, and with the other one
   * down every request through nginx fails ("no live upstreams", 502).
   */
  failTimeoutMs: number;
}

/**
 * The seed's nginx.conf (fixtures/nginx/nginx.conf.template, verbatim from ha.md): the system as
 * it should be. A planted bug that changes the rendered file (`nginx-no-next-upstream`) must not
 * change the oracle, so the oracle reads these constants, not the rendered file.
 */
export const SEED_NGINX: NginxSettings = Object.freeze({
  nextUpstream: Object.freeze(["error", "timeout", "invalid_header", "http_500"]),
  connectTimeoutMs: 2_000,
  readTimeoutMs: 12 * 3_600_000,
  failTimeoutMs: 10_000,
});

/**
 * The scheduler's apiserver requests at bootstrap (recoverTasks lists every pod, §3.7) give up
 * after this long, and the scheduler exits (§3.11 "Non-HA process ended ... apiserver error at
 * election": exit 0) for the kubelet to restart it. The scheduler emulation's client timeout
 * (fixtures/emulations/scheduler/kube.ts); a client without one hangs until the fault ends, which
 * the bound below covers as well.
 */
export const SCHEDULER_API_TIMEOUT_MS = 10_000;

/**
 * A fault that leaves one master's apiserver behind nginx unable to answer (paused: frozen with
 * its listening socket open; cut from etcd: fast 500s, and 502s once nginx has disabled the other
 * upstream for `fail_timeout`) can fail the new scheduler's bootstrap request: it exits and its
 * kubelet restarts it under crash-loop backoff, for as long as the fault lasts. The takeover then
 * completes at the latest after the fault's end, plus the restart delay pending at that moment,
 * a container start and a bootstrap (hot standby: plus one election, as the restarted candidate's
 * own dead key blocks for ≤ TTL_e + g and it polls every P).
 *
 * The pending delay is bounded twice, and the smaller bound used: (1) counting the crashes that fit
 * into the fault when each failed attempt lasts at least `attemptMinMs` (a frozen apiserver: the
 * client timeout; it is 0 for an apiserver that fails fast), and (2) by the doubling of the backoff:
 * the delay after n restarts exceeds the sum of the n earlier ones by at most the chain's first
 * backoff, and they all fit into the fault, so it is ≤ fault + max(Y, b(prior)).
 * Returns the extra time over the undisturbed death window, as a term from 0.
 */
function disturbedBootstrap(
  mode: StandbyMode,
  faultMs: number,
  death: ModelWindow,
  timers: ModeTimers,
  e: EnvTerms,
  prior: PriorRestarts,
  attemptMinMs: number,
): Term {
  const Y = { ...DEFAULT_COLD_TIMERS, ...timers.cold }.syncSecs * 1000;
  const start = death.minMs - (death.terms.T_b?.minMs ?? 0) - (death.terms.probe?.minMs ?? 0);
  const doubling = Math.min(KUBELET_MAX_BACKOFF_MS, faultMs + Math.max(Y, crashLoopBackoffMs(prior.max, Y))) + Y;
  let pending = doubling;
  let crashes: number | undefined;
  if (attemptMinMs > 0) {
    let k = 0;
    let s = start;
    while (s + attemptMinMs <= faultMs && k < 64) {
      k += 1;
      s += attemptMinMs + crashLoopBackoffMs(prior.min + k - 1, Y);
    }
    crashes = k;
    pending = Math.min(doubling, k ? crashLoopBackoffMs(prior.max + k - 1, Y) + Y : 0);
  }
  const hot = { ...DEFAULT_HOT_TIMERS, ...timers.hot };
  const reElection = mode === "hot-standby" ? (hot.electionTtlSecs + hot.electionPeriodSecs) * 1000 + e.etcdExpiryLagMaxMs : 0;
  const after = faultMs + pending + e.containerStart.maxMs + reElection + (death.terms.T_b?.maxMs ?? 0) + e.probeIntervalMs;
  const extra = Math.max(0, after - death.maxMs);
  const how = crashes === undefined ? "fails fast" : `hangs ≥ ${attemptMinMs / 1000} s, ≤ ${crashes} crash(es) fit`;
  return term(
    `bootstrap failed by the faulted node's apiserver behind nginx (${how}): ≤ fault + pending restart (${pending} ms) + T_c + ${mode === "hot-standby" ? "election + " : ""}T_b − death max`,
    0,
    extra / 2,
    extra,
  );
}

// ---------------------------------------------------------------------------------------------
// Faults with a duration: pause, etcd partition

/** A window whose scenario expects two schedulers for a moment (pause, etcd partition). */
export interface OverlapWindow extends ModelWindow {
  /**
   * Predicted bound on `dualSchedulerMs` and on `fencedSchedulers`. Terms: `fencings` (a count:
   * how many connected schedulers Mesos may hand the framework away from), `perFencing` (ms one
   * fenced scheduler may still be seen acting), `settle` (cold standby: ms after the fault's end
   * by which the old leader's node runs no scheduler).
   */
  overlap: { maxMs: number; terms: Record<string, Term>; formula: string };
}

/** @deprecated the old name; pause-leader has an overlap too. */
export type PartitionWindow = OverlapWindow;

/**
 * How long a fenced scheduler may still be seen acting: it exits on `Framework failed over` at
 * once (glog Fatal, §3.5), so this is the observers' lag (the Mesos and the /healthz probes, one
 * interval each) plus an allowance for the exit on a loaded machine.
 */
export const FENCE_EXIT_ALLOWANCE_MS = 1_000;

export interface FaultWindowOptions {
  /**
   * Kubelet restarts of the scheduler container on the master(s) that may take over, from earlier
   * trials (backoff persists across trials). @default none
   */
  priorRestarts?: PriorRestarts;
  /** The podmaster's code variant (docs/k8sm-ha-behaviour.md §1.1); partition-etcd assumes A or B. @default "A" */
  podmasterVariant?: "A" | "B" | "C";
}

/**
 * After the fault ends, by when the old leader's node runs no scheduler (cold standby): its
 * podmaster resumes (paused: within its sleep; cut from etcd: go-etcd's retry, backoff ≤ 1 s plus a
 * 1 s dial timeout), sees another holder and deletes the manifest (§1.3 step 3); the kubelet's next
 * file check removes the pod (≤ F) and stops it (2 s grace); 1 s for the round trips.
 */
export function settleAfterFaultMs(timers: Partial<ColdTimers> = {}): number {
  const { sleepSecs: S, fileCheckSecs: F } = { ...DEFAULT_COLD_TIMERS, ...timers };
  return Math.max(S * 1000, 2_000) + F * 1000 + 2_000 + 1_000;
}

/**
 * Fencings: the takeover fences the old leader (1). Cold standby: until the old pod is removed
 * (`settleAfterFaultMs`), its kubelet may restart the fenced scheduler; a restart that registers
 * fences the new leader, whose kubelet restarts it, and it fences back: ≤ 2 per restart of the old
 * one, counted as if its crash loop were fresh (an upper bound). Hot standby: a fenced `--ha`
 * process comes back as a standby, never registering while the other holds the key: 1.
 */
function overlapFor(mode: StandbyMode, timers: ModeTimers, e: EnvTerms, faultName: string): OverlapWindow["overlap"] {
  const perFencing = FENCE_EXIT_ALLOWANCE_MS + 2 * e.probeIntervalMs;
  const cold = { ...DEFAULT_COLD_TIMERS, ...timers.cold };
  const settle = settleAfterFaultMs(cold);
  const restarts = mode === "cold-standby" ? restartsWithin(settle, cold.syncSecs * 1000) : 0;
  const fencings = 1 + 2 * restarts;
  const terms: Record<string, Term> = {
    fencings: term(
      mode === "cold-standby"
        ? `1 (takeover) + 2 × restarts of the old leader's scheduler before its pod is removed (${restarts} within ${settle} ms after the ${faultName} ends)`
        : "1 (takeover; a fenced --ha process returns as a standby)",
      fencings,
      fencings,
      fencings,
    ),
    perFencing: term("a fenced scheduler exits at once: 1 s allowance + 2 × probe interval", perFencing, perFencing, perFencing),
  };
  if (mode === "cold-standby") {
    terms.settle = term("old leader's podmaster resumes (≤ max(S, 2 s)) + kubelet file check F + 2 s stop + 1 s", settle, settle, settle);
  }
  return { maxMs: fencings * perFencing, terms, formula: "fencings × perFencing (each fencing allows perFencing of overlap)" };
}

/** The bounds of an overlap window, for the checks. */
export function overlapBounds(w: OverlapWindow): { maxFencings: number; perFencingMs: number; settleAfterFaultMs?: number } {
  const t = w.overlap.terms;
  return {
    maxFencings: t.fencings?.maxMs ?? 1,
    perFencingMs: t.perFencing?.maxMs ?? w.overlap.maxMs,
    ...(t.settle ? { settleAfterFaultMs: t.settle.maxMs } : {}),
  };
}

/**
 * `docker pause` of the leading node for `pauseMs`. A paused leader neither renews nor acts, so
 * while the pause outlasts the lease the takeover follows the node-death window of the mode (§6.1
 * / §6.2) — but the frozen node's apiserver stays in nginx's upstream: nginx connects (the kernel
 * of a paused container still accepts) and waits up to `proxy_read_timeout` (the seed's: 12 h),
 * so about half of the new scheduler's bootstrap requests hang until its client gives up (10 s),
 * it exits and is restarted under crash-loop backoff (`disturbedBootstrap`). On unpause the old
 * scheduler reads the `Framework failed over` Mesos sent meanwhile and exits.
 */
export function pauseLeaderWindow(
  mode: StandbyMode,
  pauseMs: number,
  timers: ModeTimers = {},
  env?: Partial<EnvTerms>,
  opts: FaultWindowOptions = {},
): OverlapWindow {
  const e = resolveEnv(env);
  const w = deathWindow(mode, timers, env);
  const lease = maxLeaseMs(mode, timers, e);
  const notes = [...w.notes];
  if (pauseMs < lease) {
    notes.push(`pause (${pauseMs} ms) is shorter than the longest lease (${lease} ms): a takeover is not certain; the window holds only if one happens`);
  }
  const hangs = SEED_NGINX.readTimeoutMs >= SCHEDULER_API_TIMEOUT_MS || !SEED_NGINX.nextUpstream.includes("timeout");
  const terms = { ...w.terms };
  if (hangs) terms.stall = disturbedBootstrap(mode, pauseMs, w, timers, e, checkPrior(opts.priorRestarts ?? NO_PRIOR_RESTARTS), SCHEDULER_API_TIMEOUT_MS);
  return { ...window("pause-leader", terms, notes), overlap: overlapFor(mode, timers, e, "pause") };
}

/**
 * The leader is cut from etcd but not from Mesos for `partitionMs`. Its podmaster (cold) blocks in
 * go-etcd and keeps the manifest; its HA elector (hot) never steps down on errors. Cold standby:
 * this assumes podmaster variant A or B (go-etcd v2.0.0-3: retried forever, 1 s dials, backoff
 * ≤ 1 s, so it resumes within about 2 s of the heal, `settleAfterFaultMs`). Variant C (client-v2,
 * §1.5) also keeps the manifest while its request waits on a kept-alive connection, but resumes
 * only at TCP's next retransmission after the heal (up to about the partition's length later), or,
 * when it must dial anew, gives up the lease up to 30 s (the dial timeout) after ttl: the window
 * then carries a note that `settle` and the overlap bound do not cover it. So the standby
 * wins after the lease runs out, as after a death; the cut node's apiserver answers 500s (and
 * nginx 502s once it has disabled the other upstream), which can fail the new scheduler's
 * bootstrap at once (`disturbedBootstrap` with no minimum per attempt).
 *
 * Overlap: the new scheduler's registration fences the old one (Mesos: `Framework failed over` →
 * exit 255). During the partition its kubelet restarts it, and it cannot read the framework id from
 * etcd, so it exits before registering (§6.1 "etcd unreachable"): no second registration while the
 * partition lasts. After the heal it can register once more before its podmaster removes it
 * (`overlapFor`). An earlier bound counted 9–11 handovers over the whole partition.
 */
export function partitionEtcdWindow(
  mode: StandbyMode,
  partitionMs: number,
  timers: ModeTimers = {},
  env?: Partial<EnvTerms>,
  opts: FaultWindowOptions = {},
): OverlapWindow {
  const e = resolveEnv(env);
  const w = deathWindow(mode, timers, env);
  const lease = maxLeaseMs(mode, timers, e);
  const notes = [...w.notes];
  if (partitionMs < lease) notes.push(`partition (${partitionMs} ms) is shorter than the longest lease (${lease} ms): a takeover is not certain`);
  if (mode === "cold-standby" && opts.podmasterVariant === "C") {
    notes.push("podmaster variant C (client-v2): the model assumes go-etcd (A/B); a cut podmaster resumes at TCP's next retransmission after the heal (up to about the partition's length), or gives up up to 30 s (dial timeout) after ttl: settle and the overlap bound do not cover that");
  }
  const terms = { ...w.terms, stall: disturbedBootstrap(mode, partitionMs, w, timers, e, checkPrior(opts.priorRestarts ?? NO_PRIOR_RESTARTS), 0) };
  return { ...window("partition-etcd", terms, notes), overlap: overlapFor(mode, timers, e, "partition") };
}

// ---------------------------------------------------------------------------------------------
// Election and lease checks

/**
 * The standby's election delay (`election-delay` check): from the leader key's expiry, as the
 * etcd watch sees it, to the new holder's value: the standby's next poll, D1 ∈ [0, S) cold
 * (podmaster `--sleep`) or [0, P) hot (the election period), plus its loop's round trips (0.5 s
 * allowance) and both observations' lag.
 */
export function electionDelayBoundMs(mode: StandbyMode, timers: ModeTimers = {}, probeIntervalMs = DEFAULT_ENV.probeIntervalMs): number {
  const poll = mode === "cold-standby" ? { ...DEFAULT_COLD_TIMERS, ...timers.cold }.sleepSecs : { ...DEFAULT_HOT_TIMERS, ...timers.hot }.electionPeriodSecs;
  return poll * 1000 + 500 + 2 * probeIntervalMs;
}

/**
 * How long etcd (v3.x serving the v2 API, default timers) can hold a v2 write sent while raft
 * elects a new leader: its request timeout, 5 s + 2 × the 1 s election timeout. A lease refreshed
 * during that stall expires unless more than this (plus the TTL expiry lag) is left of it.
 */
export const ETCD_V2_WRITE_STALL_MS = 5_000 + 2 * 1_000;

/**
 * The least lease lifetime left when the leader refreshes it: cold, T/2 − S (podmaster refreshes
 * at the first check with less than T/2 left, §1.3); hot, TTL_e − P (km extends every P, §3.3).
 */
export function leaseSlackMs(mode: StandbyMode, timers: ModeTimers = {}): number {
  if (mode === "cold-standby") {
    const { ttlSecs: T, sleepSecs: S } = { ...DEFAULT_COLD_TIMERS, ...timers.cold };
    return (T / 2 - S) * 1000;
  }
  const { electionTtlSecs: TTL, electionPeriodSecs: P } = { ...DEFAULT_HOT_TIMERS, ...timers.hot };
  return (TTL - P) * 1000;
}

/**
 * Bound for `podRecoveryMs`: the failover window's max, plus the first usable offer (T_o ≤ 1 s
 * allocation + ≤ 5 s refuse_seconds) plus pod start (T_p, "seconds": default ≤ 10 s).
 */
export function podRecoveryBoundMs(w: ModelWindow, opts: { offerMs?: number; podStartMs?: number } = {}): number {
  return w.maxMs + (opts.offerMs ?? 6_000) + (opts.podStartMs ?? 10_000);
}
