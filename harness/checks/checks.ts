import { ofKind } from "../history/history.js";
import { isHaLeaderKey, WATCHED_KEYS, type HistoryEntry } from "../history/types.js";
import { computeMeasures, type MeasureOptions, type Measures, type MissingCode } from "../measures/measures.js";

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

/** The checks a scenario asks for, as plain data. */
export type CheckSpec =
  | { check: "timing-oracle" }
  | { check: "single-active-scheduler"; /** Allowed overlap, e.g. `partitionEtcdWindow(...).overlap.maxMs`. Default 0. */ maxOverlapMs?: number }
  | { check: "no-pod-lost" }
  | { check: "recovery-within-bound"; /** e.g. `podRecoveryBoundMs(window)` */ boundMs: number }
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
export function checkTiming(m: Measures): CheckResult {
  const name = "timing-oracle";
  if (!m.model) return result(name, "unknown", "no model window for this scenario");
  if (m.timeToNewSchedulerMs === null) return whenMissing(name, m, "timeToNewSchedulerMs", true);
  const v = m.timeToNewSchedulerMs;
  const details = { sampleMs: v, minMs: m.model.minMs, expectedMs: m.model.expectedMs, maxMs: m.model.maxMs };
  if (v < m.model.minMs) {
    return result(name, "fail", `too fast: new scheduler after ${fmt(v)} < model minimum ${fmt(m.model.minMs)} (is the lease honoured?)`, details);
  }
  if (v > m.model.maxMs) return result(name, "fail", `too slow: new scheduler after ${fmt(v)} > model maximum ${fmt(m.model.maxMs)}`, details);
  return result(name, "pass", `new scheduler after ${fmt(v)}, inside [${fmt(m.model.minMs)}, ${fmt(m.model.maxMs)}]`, details);
}

/** At most `maxOverlapMs` of two schedulers acting at once (0 unless the reference predicts overlap). */
export function checkSingleScheduler(m: Measures, opts: { maxOverlapMs?: number } = {}): CheckResult {
  const name = "single-active-scheduler";
  const bound = opts.maxOverlapMs ?? 0;
  if (m.dualSchedulerMs === null) return whenMissing(name, m, "dualSchedulerMs", false);
  const details = { dualSchedulerMs: m.dualSchedulerMs, maxOverlapMs: bound };
  if (m.dualSchedulerMs > bound) {
    return result(name, "fail", `two schedulers acted at once for ${fmt(m.dualSchedulerMs)} (allowed ${fmt(bound)})`, details);
  }
  return result(name, "pass", m.dualSchedulerMs ? `overlap ${fmt(m.dualSchedulerMs)} within the allowed ${fmt(bound)}` : "never two acting schedulers", details);
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

/** Zero incompatible-offer declines, or (`expected`) at least one. */
export function checkIncompatibleDeclines(m: Measures, opts: { expected: boolean }): CheckResult {
  const name = "incompatible-offer-declines";
  const n = m.incompatibleOfferDeclines;
  const details = { ...m.incompatibleOfferDeclinesBySource, expected: opts.expected };
  if (n === null) return whenMissing(name, m, "incompatibleOfferDeclines", false);
  const src = `metrics ${m.incompatibleOfferDeclinesBySource.metrics ?? "n/a"}, log lines ${m.incompatibleOfferDeclinesBySource.logs ?? "n/a"}`;
  if (opts.expected) {
    return n > 0
      ? result(name, "pass", `${n} incompatible offer(s) declined, as expected (${src})`, details)
      : result(name, "fail", `no incompatible offer was declined, but this scenario must provoke them (${src})`, details);
  }
  return n === 0
    ? result(name, "pass", `no incompatible offer declined (${src})`, details)
    : result(name, "fail", `${n} incompatible offer(s) declined (${src})`, details);
}

export function runCheck(spec: CheckSpec, m: Measures): CheckResult {
  switch (spec.check) {
    case "timing-oracle":
      return checkTiming(m);
    case "single-active-scheduler":
      return checkSingleScheduler(m, spec);
    case "no-pod-lost":
      return checkNoPodLost(m);
    case "recovery-within-bound":
      return checkRecoveryWithin(m, spec);
    case "incompatible-offer-declines":
      return checkIncompatibleDeclines(m, spec);
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
  const health = new Map<string, boolean>();
  for (const h of ofKind(before, "scheduler-health")) health.set(h.node, h.up);
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
  const checks = specs.map((s) => runCheck(s, measures));
  return { measures, checks: [baseline, ...checks], verdict: trialVerdict(baseline, checks) };
}
