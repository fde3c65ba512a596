import { ofKind } from "../history/history.js";
import { isHaLeaderKey, WATCHED_KEYS, type ApiRequestEntry, type HistoryEntry } from "../history/types.js";
import { apiFailuresAfter, computeMeasures, type MeasureOptions, type Measures, type MissingCode } from "../measures/measures.js";

/**
 * Pure checks over a trial's measures (and history). `fail` = the system under test misbehaved;
 * `unknown` = the data cannot tell (a probe saw nothing, no model, no healthy baseline).
 */
export type Verdict = "pass" | "fail" | "unknown";

export interface CheckResult {
  name: string;
  verdict: Verdict;
  message: string;
  details: Record<string, unknown>;
}

/** The checks a scenario asks for, as plain data (docs/ORACLE.md says what each asserts and why). */
export type CheckSpec =
  | { check: "timing-oracle"; /** How this trial's window differs from the run's (e.g. crash-loop backoff), for the details. */ note?: string }
  | {
      check: "single-active-scheduler";
      /** Connected schedulers Mesos may fence after the fault (`fencedSchedulers`). @default 0 */
      maxFencings?: number;
      /** Overlap allowed per fencing, ms: `dualSchedulerMs` ≤ min(fencings, maxFencings) × this. @default 0 */
      perFencingMs?: number;
      /**
       * Cold standby, faults with a duration: ms after the fault's heal by which only the leader
       * key holder's node may run a scheduler (the old leader's podmaster removed its manifest).
       */
      settleAfterHealMs?: number;
    }
  | { check: "no-failover"; /** Set when the topology's timers make a failover possible on a correct system: the check is `unknown` with this reason. */ unjudgeable?: string }
  | { check: "election-delay"; /** Leader key expiry → new holder, ms (`electionDelayBoundMs`). */ boundMs: number }
  | { check: "no-pod-lost" }
  | { check: "recovery-within-bound"; /** e.g. `podRecoveryBoundMs(window)` */ boundMs: number }
  | {
      check: "api-reroute";
      /** nginx's `proxy_next_upstream` conditions (`SEED_NGINX`): with `error`, a dead apiserver's refused connection is retried on the next one. */
      nextUpstream: readonly string[];
      /** `proxy_connect_timeout`, ms: a request's added latency when nginx's connect to the dead apiserver hangs instead of being refused. */
      connectTimeoutMs: number;
    }
  | { check: "incompatible-offer-declines"; /** true only where the scenario must provoke them */ expected: boolean };

function result(name: string, verdict: Verdict, message: string, details: Record<string, unknown> = {}): CheckResult {
  return { name, verdict, message, details };
}

/** A null measure: `not-observed` fails when the event was required, anything else is unknown. */
function whenMissing(name: string, m: Measures, measure: string, requiredEvent: boolean): CheckResult {
  const miss = m.missing[measure] ?? { code: "no-data" as MissingCode, reason: `${measure} missing` };
  const verdict: Verdict = miss.code === "not-observed" && requiredEvent ? "fail" : "unknown";
  return result(name, verdict, `${measure}: ${miss.reason}`, { missing: miss });
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The sample lies inside the §6 window; too fast fails too (the lease may not be honoured). */
export function checkTiming(m: Measures, opts: { note?: string } = {}): CheckResult {
  const name = "timing-oracle";
  if (!m.model) return result(name, "unknown", "no model window for this scenario");
  if (m.timeToNewSchedulerMs === null) return whenMissing(name, m, "timeToNewSchedulerMs", true);
  const v = m.timeToNewSchedulerMs;
  const details = { sampleMs: v, minMs: m.model.minMs, expectedMs: m.model.expectedMs, maxMs: m.model.maxMs, ...(opts.note ? { note: opts.note } : {}) };
  if (v < m.model.minMs) {
    return result(name, "fail", `too fast: new scheduler after ${fmt(v)} < model minimum ${fmt(m.model.minMs)} (is the lease honoured?)`, details);
  }
  if (v > m.model.maxMs) return result(name, "fail", `too slow: new scheduler after ${fmt(v)} > model maximum ${fmt(m.model.maxMs)}`, details);
  return result(name, "pass", `new scheduler after ${fmt(v)}, inside [${fmt(m.model.minMs)}, ${fmt(m.model.maxMs)}]`, details);
}

/**
 * One scheduler at a time, counted in processes (`schedulerProcesses` in harness/measures): Mesos
 * fences at most `maxFencings` connected schedulers after the fault (0 unless the scenario's model
 * predicts a takeover from a live leader), each may be seen acting for `perFencingMs` after its
 * fencing, and (cold standby, faults with a duration) `settleAfterHealMs` after the heal only the
 * leader key holder's node runs a scheduler. `entries` are needed for that last part only.
 */
export function checkSingleScheduler(
  m: Measures,
  opts: { maxFencings?: number; perFencingMs?: number; settleAfterHealMs?: number } = {},
  entries: readonly HistoryEntry[] = [],
): CheckResult {
  const name = "single-active-scheduler";
  const maxFencings = opts.maxFencings ?? 0;
  const perFencing = opts.perFencingMs ?? 0;
  if (m.dualSchedulerMs === null || m.fencedSchedulers === null) return whenMissing(name, m, "dualSchedulerMs", false);
  const fencings = m.fencedSchedulers;
  const bound = Math.min(fencings, maxFencings) * perFencing;
  const details: Record<string, unknown> = { dualSchedulerMs: m.dualSchedulerMs, fencedSchedulers: fencings, maxFencings, perFencingMs: perFencing, maxOverlapMs: bound };
  if (fencings > maxFencings) {
    return result(
      name,
      "fail",
      `Mesos fenced ${fencings} connected scheduler process(es) after the fault (allowed ${maxFencings}): ${fencings > 1 ? "schedulers kept taking the framework from each other" : "two scheduler processes were registered at once"}`,
      details,
    );
  }
  if (m.dualSchedulerMs > bound) {
    return result(name, "fail", `two scheduler processes acted at once for ${fmt(m.dualSchedulerMs)} (allowed ${fmt(bound)}: ${fencings} fencing(s) × ${fmt(perFencing)})`, details);
  }
  if (opts.settleAfterHealMs !== undefined) {
    const settled = staleSchedulers(entries, opts.settleAfterHealMs);
    details.settle = settled;
    if (settled.verdict !== "pass") return result(name, settled.verdict, settled.message, details);
  }
  const what = m.dualSchedulerMs ? `overlap ${fmt(m.dualSchedulerMs)} within the allowed ${fmt(bound)} (${fencings} fencing(s))` : fencings ? `${fencings} fencing(s), no overlap seen` : "never two acting schedulers";
  return result(name, "pass", what, details);
}

/**
 * After the heal (+ `settleMs`), a scheduler answers /healthz only on the node of the leader key's
 * holder: the old leader's podmaster, seeing another holder, deleted its manifest and the kubelet
 * removed the pod (§1.3 step 3, §2.2). Unknown when the history ends before that moment.
 */
function staleSchedulers(entries: readonly HistoryEntry[], settleMs: number): { verdict: Verdict; message: string; fromT?: number; stale?: string[] } {
  const heal = ofKind(entries, "fault").find((f) => f.action === "heal");
  if (!heal) return { verdict: "unknown", message: "the fault was never healed: cannot tell whether the old leader stood down" };
  const fromT = heal.t + settleMs;
  const endT = entries.at(-1)?.t ?? 0;
  if (endT <= fromT) return { verdict: "unknown", message: `observation ended ${fmt(fromT - endT)} before the old leader had to be gone (heal + ${fmt(settleMs)})`, fromT };
  const holderAt = (t: number) => ofKind(entries, "etcd-key").filter((k) => k.key === WATCHED_KEYS.scheduler && k.t <= t).at(-1)?.node;
  // Up at that moment, or up again later, on a node that does not hold the key.
  const upAt = new Map<string, boolean>();
  const stale = new Set<string>();
  for (const e of ofKind(entries, "scheduler-health")) {
    if (e.t <= fromT) upAt.set(e.node, e.up);
    else if (e.up && e.node !== holderAt(e.t)) stale.add(e.node);
  }
  for (const [node, isUp] of upAt) if (isUp && node !== holderAt(fromT)) stale.add(node);
  if (stale.size) {
    return { verdict: "fail", message: `a scheduler still ran on ${[...stale].join(", ")} ${fmt(settleMs)} after the heal, which does not hold the leader key: its manifest was not removed`, fromT, stale: [...stale] };
  }
  return { verdict: "pass", message: "only the key holder's node runs a scheduler after the heal", fromT, stale: [] };
}

/**
 * A fault that must not cause a failover did not: after it, the framework keeps its pid, stays
 * connected (active) and keeps its id, and the leader key keeps its holder without lapsing.
 */
export function checkNoFailover(m: Measures, entries: readonly HistoryEntry[], opts: { unjudgeable?: string } = {}): CheckResult {
  const name = "no-failover";
  if (opts.unjudgeable) return result(name, "unknown", opts.unjudgeable);
  if (m.faultT === null) return result(name, "unknown", "no fault was injected in this trial");
  const faultT = m.faultT;
  const fws = ofKind(entries, "framework");
  const pre = fws.filter((f) => f.t < faultT && f.active).at(-1);
  if (!pre) return result(name, "unknown", "no active framework was observed in Mesos before the fault");
  const problems: string[] = [];
  const after = fws.filter((f) => f.t >= faultT);
  const otherPid = after.find((f) => f.pid !== pre.pid);
  if (otherPid) problems.push(`scheduler ${otherPid.pid}${otherPid.node ? ` on ${otherPid.node}` : ""} registered at +${Math.round(otherPid.t - faultT)} ms (was ${pre.pid})`);
  const inactive = after.find((f) => !f.active);
  if (inactive) problems.push(`the framework was inactive (scheduler disconnected) at +${Math.round(inactive.t - faultT)} ms`);
  if (m.frameworkIdChanged) problems.push("the scheduler registered a new framework id");
  const leaseMissing = m.missing["phases.leaseExpiredMs"];
  if (m.phases.leaseExpiredMs !== null) {
    const elected = m.phases.newLeaderElectedMs;
    problems.push(`the leader key lost its holder at +${Math.round(m.phases.leaseExpiredMs)} ms${elected !== null ? `, a new holder at +${Math.round(elected)} ms` : ""}`);
  }
  const details = { prePid: pre.pid, leaseExpiredMs: m.phases.leaseExpiredMs, newLeaderElectedMs: m.phases.newLeaderElectedMs };
  if (problems.length) return result(name, "fail", `failover or lease lapse after a fault that must not cause one: ${problems.join("; ")}`, details);
  if (leaseMissing?.code === "no-data") return result(name, "unknown", `framework pid ${pre.pid} kept; leader key: ${leaseMissing.reason}`, details);
  return result(name, "pass", `framework pid ${pre.pid} kept and active, leader key kept its holder`, details);
}

/** The standby took the expired leader key within its poll period (`electionDelayBoundMs`). */
export function checkElectionDelay(m: Measures, opts: { boundMs: number }): CheckResult {
  const name = "election-delay";
  if (m.phases.leaseExpiredMs === null) return whenMissing(name, m, "phases.leaseExpiredMs", false);
  if (m.phases.newLeaderElectedMs === null) return whenMissing(name, m, "phases.newLeaderElectedMs", true);
  const delay = m.phases.newLeaderElectedMs - m.phases.leaseExpiredMs;
  const details = { delayMs: delay, boundMs: opts.boundMs, leaseExpiredMs: m.phases.leaseExpiredMs, newLeaderElectedMs: m.phases.newLeaderElectedMs };
  if (delay > opts.boundMs) return result(name, "fail", `the standby took the expired key after ${fmt(delay)} > ${fmt(opts.boundMs)} (its poll period plus round trips)`, details);
  return result(name, "pass", `the standby took the expired key after ${fmt(delay)} (bound ${fmt(opts.boundMs)})`, details);
}

/**
 * nginx hides a dead apiserver: with `error` in `proxy_next_upstream`, a request whose connection
 * to it is refused, or reset before an answer began, goes to the next one, so no request sent
 * after the fault fails. Requests sent before it may (one answering as the signal lands); the
 * fault's `t` is taken just before it is fired. Without the setting nginx fails only the first
 * request it routes to the dead apiserver and then rests it for `fail_timeout` (10 s), so one
 * failure is the whole signal: the bound is none. Without `error` nothing is promised: unknown.
 */
/**
 * nginx passes a request to the next server on `error` only when it is idempotent or was not sent
 * yet: "a request with a non-idempotent method (POST, LOCK, PATCH) is not passed to the next server
 * if a request has been sent to an upstream server" (nginx ≥ 1.9.13, ngx_http_proxy_module, unless
 * `non_idempotent` is listed; the seed does not list it). Such a request in flight when the apiserver
 * died fails on a correct system.
 */
const NON_IDEMPOTENT = /^(POST|PATCH|LOCK)\b/;

export function checkApiReroute(entries: readonly HistoryEntry[], faultT: number | null, opts: { nextUpstream: readonly string[]; connectTimeoutMs: number }): CheckResult {
  const name = "api-reroute";
  if (!opts.nextUpstream.includes("error")) return result(name, "unknown", `proxy_next_upstream ${opts.nextUpstream.join(" ") || "off"} does not retry a refused connection: nothing to judge`);
  if (faultT === null) return result(name, "unknown", "no fault was injected in this trial");
  const api = apiFailuresAfter(entries, faultT);
  // When the killed apiserver was first seen down (it died at or before that): a non-idempotent
  // request sent before then may have been in flight to it.
  const killed = new Set(ofKind(entries, "fault").filter((f) => f.action === "inject").flatMap((f) => f.targets));
  const deathSeenT = ofKind(entries, "apiserver-health").find((e) => e.t >= faultT && !e.up && killed.has(e.node))?.t;
  const inFlight = (r: ApiRequestEntry): boolean => deathSeenT !== undefined && NON_IDEMPOTENT.test(r.op ?? "") && r.t - r.latencyMs <= deathSeenT;
  const failed = api.failed.filter((r) => !inFlight(r));
  const excused = api.failed.filter(inFlight);
  const details = {
    sentAfterT: faultT,
    requests: api.total,
    failed: failed.length,
    inFlightNonIdempotent: excused.length,
    apiOutageMs: api.longestRunMs,
    firstFailures: failed.slice(0, 5).map((r) => ({ t: r.t, status: r.status, op: r.op, error: r.error?.slice(0, 120) })),
    proxyNextUpstream: opts.nextUpstream.join(" "),
    proxyConnectTimeoutMs: opts.connectTimeoutMs,
  };
  if (!api.total) return result(name, "unknown", "no apiserver request was sent through nginx after the fault", details);
  const excusedText = excused.length ? `; ${excused.length} non-idempotent request(s) in flight to the dying apiserver failed, as nginx does (not retried once sent)` : "";
  if (failed.length) {
    const f = failed[0]!;
    return result(
      name,
      "fail",
      `${failed.length} of ${api.total} apiserver request(s) through nginx sent after the fault failed (first at +${Math.round(f.t - (faultT ?? 0))} ms: ${f.op ?? "?"} ${f.status ?? f.error ?? "error"}); longest run ${fmt(api.longestRunMs)}: nginx did not reroute${excusedText}`,
      details,
    );
  }
  return result(name, "pass", `all ${api.total - excused.length} apiserver request(s) through nginx sent after the fault succeeded${excusedText}`, details);
}

export function checkNoPodLost(m: Measures): CheckResult {
  const name = "no-pod-lost";
  if (m.podsLost === null) return whenMissing(name, m, "podsLost", false);
  if (m.podsLost > 0) return result(name, "fail", `${m.podsLost} pod(s) Running before the fault were lost: ${m.lostPods.join(", ")}`, { lostPods: m.lostPods });
  return result(name, "pass", "every pod Running before the fault survived", { lostPods: [] });
}

export function checkRecoveryWithin(m: Measures, opts: { boundMs: number }): CheckResult {
  const name = "recovery-within-bound";
  if (m.podRecoveryMs === null) return whenMissing(name, m, "podRecoveryMs", true);
  const details = { podRecoveryMs: m.podRecoveryMs, boundMs: opts.boundMs };
  if (m.podRecoveryMs > opts.boundMs) return result(name, "fail", `pods recovered after ${fmt(m.podRecoveryMs)} > bound ${fmt(opts.boundMs)}`, details);
  return result(name, "pass", `pods recovered after ${fmt(m.podRecoveryMs)} (bound ${fmt(opts.boundMs)})`, details);
}

/**
 * Zero incompatible-offer declines, or (`expected`) at least one. Where they are expected (the
 * seed's trap: each master advertises its own address), they are the outcome only when an agent at
 * the fault runs an executor that another master's scheduler prepared; a failover back to the
 * master whose executors the agents run is compatible, and then none may be declined. Which master
 * prepared an executor is read from Mesos `state.json` (`FrameworkEntry.executors[].artifactNode`).
 */
export function checkIncompatibleDeclines(m: Measures, opts: { expected: boolean }, entries: readonly HistoryEntry[] = []): CheckResult {
  const name = "incompatible-offer-declines";
  const n = m.incompatibleOfferDeclines;
  const foreign = opts.expected ? foreignExecutors(entries, m.faultT) : undefined;
  const expected = opts.expected && foreign?.count !== 0;
  const details = { ...m.incompatibleOfferDeclinesBySource, expected, ...(foreign ? { foreignExecutorsAtFault: foreign.count, newLeader: foreign.newLeader } : {}) };
  if (n === null) return whenMissing(name, m, "incompatibleOfferDeclines", false);
  const src = `metrics ${m.incompatibleOfferDeclinesBySource.metrics ?? "n/a"}, log lines ${m.incompatibleOfferDeclinesBySource.logs ?? "n/a"}`;
  if (expected) {
    const why = foreign ? ` (${foreign.count} executor(s) at the fault prepared by another master than the new leader ${foreign.newLeader})` : "";
    return n > 0
      ? result(name, "pass", `${n} incompatible offer(s) declined, as expected${why} (${src})`, details)
      : result(name, "fail", `no incompatible offer was declined, but this scenario must provoke them${why} (${src})`, details);
  }
  const why = !foreign ? "" : foreign.total ? `; none expected: every executor at the fault was prepared by the new leader ${foreign.newLeader}` : `; none expected: no executor ran at the fault (the new leader ${foreign.newLeader} launches its own)`;
  return n === 0
    ? result(name, "pass", `no incompatible offer declined${why} (${src})`, details)
    : result(name, "fail", `${n} incompatible offer(s) declined${why} (${src})`, details);
}

/**
 * How many executors the agents ran at the fault that the new leader did not prepare; undefined when
 * the history cannot tell (no framework seen at the fault, no new leader, or executors whose
 * preparing master is unknown).
 */
function foreignExecutors(entries: readonly HistoryEntry[], faultT: number | null): { count: number; total: number; newLeader: string } | undefined {
  if (faultT === null) return undefined;
  const frameworks = ofKind(entries, "framework");
  const atFault = frameworks.filter((f) => f.t <= faultT && f.active).at(-1);
  const next = frameworks.find((f) => f.t > faultT && f.active && atFault !== undefined && f.pid !== atFault.pid && f.node !== undefined);
  if (!atFault || !next?.node) return undefined;
  const executors = atFault.executors ?? [];
  if (executors.some((e) => e.artifactNode === undefined)) return undefined;
  return { count: executors.filter((e) => e.artifactNode !== next.node).length, total: executors.length, newLeader: next.node };
}

export function runCheck(spec: CheckSpec, m: Measures, entries: readonly HistoryEntry[] = []): CheckResult {
  switch (spec.check) {
    case "timing-oracle":
      return checkTiming(m, spec);
    case "single-active-scheduler":
      return checkSingleScheduler(m, spec, entries);
    case "no-failover":
      return checkNoFailover(m, entries, spec);
    case "election-delay":
      return checkElectionDelay(m, spec);
    case "api-reroute":
      return checkApiReroute(entries, m.faultT, spec);
    case "no-pod-lost":
      return checkNoPodLost(m);
    case "recovery-within-bound":
      return checkRecoveryWithin(m, spec);
    case "incompatible-offer-declines":
      return checkIncompatibleDeclines(m, spec, entries);
  }
}

/**
 * Was the system healthy just before the fault (or, with no fault, before the observe phase)?
 * Healthy = an active framework in Mesos, a scheduler answering, the leader key held (when one
 * was watched), and the last api-request ok (when any was made).
 */
export function checkBaseline(entries: readonly HistoryEntry[], faultT: number | null): CheckResult {
  const name = "healthy-baseline";
  const at =
    faultT ?? ofKind(entries, "phase").find((p) => p.name === "inject" || p.name === "observe")?.t ?? entries.at(-1)?.t ?? 0;
  const before = entries.filter((e) => e.t < at);
  const problems: string[] = [];
  const fws = new Map<string, boolean>();
  for (const f of ofKind(before, "framework")) fws.set(f.id, f.active);
  if (![...fws.values()].some(Boolean)) problems.push("no active framework in Mesos");
  // Answering = up at the fault, or down for less than one missed poll's worth before it (the probe's
  // /healthz request times out after 500 ms: on a loaded machine one poll can fail alone).
  const health = new Map<string, boolean>();
  for (const h of ofKind(before, "scheduler-health")) health.set(h.node, h.up || (health.get(h.node) === true && at - h.t < HEALTH_BLIP_MS));
  if (![...health.values()].some(Boolean)) problems.push("no scheduler answering /healthz");
  const keys = new Map<string, string | null>();
  for (const k of ofKind(before, "etcd-key")) keys.set(k.key, k.value);
  const leaderKeys = [...keys.keys()].filter((k) => k === WATCHED_KEYS.scheduler || isHaLeaderKey(k));
  if (leaderKeys.length && !leaderKeys.some((k) => keys.get(k) !== null)) problems.push(`no leader key held (${leaderKeys.join(", ")})`);
  const lastReq = ofKind(before, "api-request").at(-1);
  if (lastReq && !lastReq.ok) problems.push(`last apiserver request failed (${lastReq.status ?? lastReq.error ?? "error"})`);
  return problems.length
    ? result(name, "unknown", `no healthy baseline before t=${Math.round(at)} ms: ${problems.join("; ")}`, { at, problems })
    : result(name, "pass", "healthy before the fault", { at, problems });
}

/** A scheduler seen down this briefly before the fault still counts as answering for the baseline. */
const HEALTH_BLIP_MS = 1_000;

/** fail > unknown > pass. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes("fail")) return "fail";
  if (verdicts.includes("unknown")) return "unknown";
  return "pass";
}

/** A trial's verdict: `unknown` without a healthy baseline (what followed is not attributable), else the combination. */
export function trialVerdict(baseline: CheckResult, checks: readonly CheckResult[]): Verdict {
  if (baseline.verdict !== "pass") return "unknown";
  return combineVerdicts(checks.map((c) => c.verdict));
}

export interface TrialEvaluation {
  measures: Measures;
  /** The baseline check first, then one result per spec. */
  checks: CheckResult[];
  verdict: Verdict;
}

/** Measures, checks and verdict of one trial: what the runner needs after each trial. */
export function evaluateTrial(
  trial: { originEpochMs: number; entries: readonly HistoryEntry[] },
  specs: readonly CheckSpec[],
  opts: Omit<MeasureOptions, "originEpochMs"> = {},
): TrialEvaluation {
  const measures = computeMeasures(trial.entries, { ...opts, originEpochMs: trial.originEpochMs });
  const baseline = checkBaseline(trial.entries, measures.faultT);
  const checks = specs.map((s) => runCheck(s, measures, trial.entries));
  return { measures, checks: [baseline, ...checks], verdict: trialVerdict(baseline, checks) };
}
