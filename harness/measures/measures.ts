import { ofKind } from "../history/history.js";
import { isHaLeaderKey, WATCHED_KEYS, type ApiRequestEntry, type FrameworkEntry, type HistoryEntry, type SchedulerHealthEntry } from "../history/types.js";
import type { Range } from "../timing-oracle/windows.js";

/**
 * The per-trial measures (docs/MEASURES.md). Their names are a contract (nightly job, studies). All times
 * are ms from the fault's inject entry. A measure that cannot be computed is `null`, and
 * `missing[<name>]` says why:
 * - `no-data`: the history lacks what the measure needs (a probe saw nothing, or the workload did
 *   not create what is measured); checks turn this into `unknown`;
 * - `not-observed`: the data was there, the awaited event never happened before the history ends;
 *   checks that expect the event turn this into `fail`;
 * - `not-applicable`: the trial had no fault, or the scenario has no such event.
 */
export interface Measures {
  /** t of the fault's inject entry, or null when no fault was injected. */
  faultT: number | null;
  /** Fault → the framework (same id) active in Mesos with a pid other than the pre-fault one (observed). */
  timeToNewSchedulerMs: number | null;
  phases: {
    /** The leader key (podmaster `/scheduler`, or the `--ha` election key) lost its pre-fault value. */
    leaseExpiredMs: number | null;
    /** The leader key holds a new, non-empty value. */
    newLeaderElectedMs: number | null;
    /** A scheduler came up after the fault on a node where none was up (preferring the new leader's node). */
    schedulerStartedMs: number | null;
    /** Mesos's own `reregistered_time` of the new pid (falls back to the observation time; see `notes`). */
    frameworkReregisteredMs: number | null;
    /** The first pod first seen after the fault reached Running. */
    firstPodRunningMs: number | null;
  };
  /** Total ms, after the fault, two or more scheduler processes were acting at once (definition: `schedulerProcesses()`). */
  dualSchedulerMs: number | null;
  /**
   * After the fault: how many times Mesos handed the framework from a scheduler process that was
   * still connected (and alive) to another one, i.e. sent `Framework failed over` to a live
   * scheduler: each is a moment with two registered schedulers (definition: `schedulerProcesses()`).
   */
  fencedSchedulers: number | null;
  /** Incompatible-offer declines after the fault: the larger of the two sources below. */
  incompatibleOfferDeclines: number | null;
  incompatibleOfferDeclinesBySource: { metrics: number | null; logs: number | null };
  /** Pods Running before the fault, then deleted or Failed (not deleted by the harness). */
  podsLost: number | null;
  lostPods: string[];
  /** Fault → every expected pod Running at once, including one created during the outage. */
  podRecoveryMs: number | null;
  /** Failed / total api-requests from the fault to recovery (the later of new scheduler and pod recovery; else the history's end). */
  apiErrorRate: number | null;
  apiRequests: { total: number; failed: number; fromT: number; toT: number; until: "recovery" | "history-end" } | null;
  /**
   * The longest run of failed apiserver requests through nginx among those sent after the fault
   * (definition: `apiFailuresAfter()`): ms from the first one's send to the send of the next
   * request that succeeded (to the last failure's answer when none did); 0 when none failed.
   */
  apiOutageMs: number | null;
  /** True when the scheduler re-registered under a new framework id (its stored id was not used). */
  frameworkIdChanged: boolean | null;
  model: (Range & { inside: boolean | null }) | null;
  missing: Record<string, { code: MissingCode; reason: string }>;
  notes: string[];
}

export type MissingCode = "no-data" | "not-observed" | "not-applicable";

/** Dotted names of the numeric measures, in report order. */
export const MEASURE_NAMES = [
  "timeToNewSchedulerMs",
  "phases.leaseExpiredMs",
  "phases.newLeaderElectedMs",
  "phases.schedulerStartedMs",
  "phases.frameworkReregisteredMs",
  "phases.firstPodRunningMs",
  "dualSchedulerMs",
  "fencedSchedulers",
  "incompatibleOfferDeclines",
  "podsLost",
  "podRecoveryMs",
  "apiErrorRate",
  "apiOutageMs",
] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

/** The value of a dotted measure name. */
export function measureValue(m: Measures, name: MeasureName): number | null {
  if (name.startsWith("phases.")) return m.phases[name.slice(7) as keyof Measures["phases"]];
  return m[name as Exclude<MeasureName, `phases.${string}`>];
}

export interface MeasureOptions {
  /** The fault's inject time; default: the first `fault` entry with action `inject`. */
  faultT?: number;
  /** The leader key; default: the `--ha` election key if it held a value at the fault, else `/scheduler`. */
  leaderKey?: string;
  /** The §6 window for this scenario (from harness/timing-oracle), when it has one. */
  model?: Range;
  /** Namespaces whose pods follow the election by design (mirror pods of static pods). Default `["kube-system"]`. */
  ignoreNamespaces?: string[];
  /** The trial's `originEpochMs`: maps Mesos's epoch `reregistered_time` onto the trial axis. */
  originEpochMs?: number;
  /**
   * A log probe followed the master nodes' logs. Zero `incompatible-offer` matches is then a count
   * only when the probe also saw scheduler output in this trial (a `scheduler-output` match): with
   * a real kubelet, pods run as sibling containers and the node's log does not carry them.
   */
  logsWatched?: boolean;
}

const LOST_PHASES = new Set(["Failed"]);

/**
 * The `log-match` pattern the log probe records (once per container and trial) when it sees a line
 * of the k8sm scheduler's own output: proof that the log source can show scheduler lines at all.
 */
export const SCHEDULER_OUTPUT_PATTERN = "scheduler-output";

type Missing = Measures["missing"];

/** Computes every measure from one trial's entries (ordered by `t`, as `History.entries()` returns them). */
export function computeMeasures(entries: readonly HistoryEntry[], opts: MeasureOptions = {}): Measures {
  const missing: Missing = {};
  const notes: string[] = [];
  const faultT = opts.faultT ?? ofKind(entries, "fault").find((f) => f.action === "inject")?.t ?? null;
  const endT = entries.at(-1)?.t ?? 0;
  const ignore = new Set(opts.ignoreNamespaces ?? ["kube-system"]);

  const m: Measures = {
    faultT,
    timeToNewSchedulerMs: null,
    phases: { leaseExpiredMs: null, newLeaderElectedMs: null, schedulerStartedMs: null, frameworkReregisteredMs: null, firstPodRunningMs: null },
    dualSchedulerMs: null,
    fencedSchedulers: null,
    incompatibleOfferDeclines: null,
    incompatibleOfferDeclinesBySource: { metrics: null, logs: null },
    podsLost: null,
    lostPods: [],
    podRecoveryMs: null,
    apiErrorRate: null,
    apiRequests: null,
    apiOutageMs: null,
    frameworkIdChanged: null,
    model: null,
    missing,
    notes,
  };

  // Counted from the fault: before it, a trial may still see the previous one settle (a former
  // leader's last registration before its podmaster removes it), which steady state then waits out.
  const procs = schedulerProcesses(entries, faultT ?? Number.NEGATIVE_INFINITY);
  if ("reason" in procs) {
    missing.dualSchedulerMs = { code: "no-data", reason: procs.reason };
    missing.fencedSchedulers = missing.dualSchedulerMs;
  } else {
    m.dualSchedulerMs = procs.dualMs;
    m.fencedSchedulers = procs.fencings.length;
    if (procs.fencings.length) {
      notes.push(`fenced schedulers: ${procs.fencings.map((f) => `${f.pid} on ${f.node} by ${f.by} at +${Math.round(f.t - (faultT ?? 0))} ms`).join("; ")}`);
    }
  }

  const declines = incompatibleDeclines(entries, faultT, opts.logsWatched ?? false, missing);
  m.incompatibleOfferDeclinesBySource = declines;
  const counts = [declines.metrics, declines.logs].filter((v): v is number => v !== null);
  if (counts.length) m.incompatibleOfferDeclines = Math.max(...counts);
  else missing.incompatibleOfferDeclines = { code: "no-data", reason: "neither scheduler metrics nor a log probe observed declines" };
  if (counts.length === 2 && counts[0] !== counts[1]) {
    notes.push(`incompatible declines: metrics count ${declines.metrics}, log lines ${declines.logs}; reporting the larger`);
  }

  if (faultT === null) {
    for (const name of MEASURE_NAMES) {
      if (name === "dualSchedulerMs" || name === "fencedSchedulers" || name === "incompatibleOfferDeclines") continue;
      missing[name] = { code: "not-applicable", reason: "no fault was injected in this trial" };
    }
    if (opts.model) m.model = { ...pickRange(opts.model), inside: null };
    return m;
  }

  const newSched = newScheduler(entries, faultT, missing);
  m.frameworkIdChanged = newSched.idChanged;
  if (newSched.entry) {
    m.timeToNewSchedulerMs = newSched.entry.t - faultT;
    const rereg = newSched.entry.reregisteredTime;
    const mesosT = rereg !== undefined && opts.originEpochMs !== undefined ? rereg * 1000 - opts.originEpochMs : undefined;
    if (mesosT !== undefined && mesosT >= faultT && mesosT <= newSched.entry.t) {
      m.phases.frameworkReregisteredMs = mesosT - faultT;
    } else {
      m.phases.frameworkReregisteredMs = newSched.entry.t - faultT;
      notes.push("frameworkReregisteredMs: Mesos reregistered_time unusable (absent, or before the fault, or origin unknown); used the observation time");
    }
  } else {
    missing["phases.frameworkReregisteredMs"] = missing.timeToNewSchedulerMs!;
  }

  const leader = leaderKeyPhases(entries, faultT, opts.leaderKey, missing);
  m.phases.leaseExpiredMs = leader.expiredMs;
  m.phases.newLeaderElectedMs = leader.electedMs;

  const newNode = newSched.entry?.node ?? leader.newHolderNode;
  m.phases.schedulerStartedMs = schedulerStarted(entries, faultT, newNode, missing);

  const pods = podMeasures(entries, faultT, newSched.entry?.t, ignore, missing);
  m.podsLost = pods.lost === null ? null : pods.lost.length;
  m.lostPods = pods.lost ?? [];
  m.podRecoveryMs = pods.recoveryMs;
  m.phases.firstPodRunningMs = pods.firstRunningMs;

  const recoveredAt = [m.timeToNewSchedulerMs, m.podRecoveryMs].filter((v): v is number => v !== null);
  const toT = recoveredAt.length ? faultT + Math.max(...recoveredAt) : endT;
  const reqs = ofKind(entries, "api-request").filter((r) => r.t >= faultT && r.t <= toT);
  if (reqs.length) {
    const failed = reqs.filter((r) => !r.ok).length;
    m.apiRequests = { total: reqs.length, failed, fromT: faultT, toT, until: recoveredAt.length ? "recovery" : "history-end" };
    m.apiErrorRate = failed / reqs.length;
  } else {
    missing.apiErrorRate = { code: "no-data", reason: "no api-request entries between the fault and recovery" };
  }
  const api = apiFailuresAfter(entries, faultT);
  if (api.total) m.apiOutageMs = api.longestRunMs;
  else missing.apiOutageMs = { code: "no-data", reason: "no api-request sent after the fault" };

  if (opts.model) {
    const v = m.timeToNewSchedulerMs;
    m.model = { ...pickRange(opts.model), inside: v === null ? null : v >= opts.model.minMs && v <= opts.model.maxMs };
  } else {
    missing.model = { code: "not-applicable", reason: "the scenario gave no model window" };
  }
  return m;
}

function pickRange(r: Range): Range {
  return { minMs: r.minMs, expectedMs: r.expectedMs, maxMs: r.maxMs };
}

function newScheduler(
  entries: readonly HistoryEntry[],
  faultT: number,
  missing: Missing,
): { entry?: FrameworkEntry; idChanged: boolean | null } {
  const fws = ofKind(entries, "framework");
  const pre = fws.filter((f) => f.t < faultT && f.active).at(-1);
  if (!pre) {
    missing.timeToNewSchedulerMs = { code: "no-data", reason: "no active framework was observed in Mesos before the fault" };
    return { idChanged: null };
  }
  const after = fws.filter((f) => f.t >= faultT && f.active);
  const entry = after.find((f) => f.id === pre.id && f.pid !== pre.pid);
  if (entry) return { entry, idChanged: false };
  const other = after.find((f) => f.name === pre.name && f.id !== pre.id);
  if (other) {
    missing.timeToNewSchedulerMs = {
      code: "not-observed",
      reason: `framework "${pre.name}" registered under a new id ${other.id} (was ${pre.id}) at +${other.t - faultT} ms: the stored framework id was not used`,
    };
    return { idChanged: true };
  }
  missing.timeToNewSchedulerMs = {
    code: "not-observed",
    reason: `no scheduler other than ${pre.pid} became active for framework ${pre.id} in the ${Math.round((entries.at(-1)?.t ?? faultT) - faultT)} ms observed after the fault`,
  };
  return { idChanged: null };
}

function chooseLeaderKey(entries: readonly HistoryEntry[], faultT: number, explicit?: string): string {
  if (explicit) return explicit;
  const keys = ofKind(entries, "etcd-key").filter((e) => e.t < faultT);
  const ha = keys.filter((e) => isHaLeaderKey(e.key));
  const lastHa = ha.at(-1);
  if (lastHa && lastValue(keys, lastHa.key) !== null) return lastHa.key;
  return WATCHED_KEYS.scheduler;
}

function lastValue(keys: readonly { key: string; value: string | null }[], key: string): string | null | undefined {
  return keys.filter((e) => e.key === key).at(-1)?.value;
}

function leaderKeyPhases(
  entries: readonly HistoryEntry[],
  faultT: number,
  explicitKey: string | undefined,
  missing: Missing,
): { expiredMs: number | null; electedMs: number | null; newHolderNode?: string } {
  const key = chooseLeaderKey(entries, faultT, explicitKey);
  const changes = ofKind(entries, "etcd-key").filter((e) => e.key === key);
  const pre = changes.filter((e) => e.t < faultT).at(-1);
  if (!pre || pre.value === null) {
    const miss = { code: "no-data" as const, reason: `leader key ${key} held no value before the fault` };
    missing["phases.leaseExpiredMs"] = miss;
    missing["phases.newLeaderElectedMs"] = miss;
    return { expiredMs: null, electedMs: null };
  }
  const after = changes.filter((e) => e.t >= faultT);
  const expired = after.find((e) => e.value !== pre.value);
  const elected = after.find((e) => e.value !== null && e.value !== pre.value);
  if (!expired) {
    missing["phases.leaseExpiredMs"] = {
      code: "not-observed",
      reason: `leader key ${key} kept its value ${JSON.stringify(pre.value)} after the fault (no election happened)`,
    };
  }
  if (!elected) {
    missing["phases.newLeaderElectedMs"] = { code: "not-observed", reason: `leader key ${key} never held a new value after the fault` };
  }
  return {
    expiredMs: expired ? expired.t - faultT : null,
    electedMs: elected ? elected.t - faultT : null,
    ...(elected?.node ? { newHolderNode: elected.node } : {}),
  };
}

function schedulerStarted(entries: readonly HistoryEntry[], faultT: number, newNode: string | undefined, missing: Missing): number | null {
  const health = ofKind(entries, "scheduler-health");
  if (!health.length) {
    missing["phases.schedulerStartedMs"] = { code: "no-data", reason: "no scheduler-health observations" };
    return null;
  }
  const last = new Map<string, boolean>();
  const starts: SchedulerHealthEntry[] = [];
  for (const h of health) {
    if (h.t >= faultT && h.up && last.get(h.node) !== true) starts.push(h);
    last.set(h.node, h.up);
  }
  const chosen = starts.find((s) => s.node === newNode) ?? starts[0];
  if (!chosen) {
    missing["phases.schedulerStartedMs"] = {
      code: "not-observed",
      reason: "no scheduler came up after the fault on a node where none was up (a hot standby is up all along)",
    };
    return null;
  }
  return chosen.t - faultT;
}

/**
 * A fenced scheduler exits at once (glog Fatal on `Framework failed over`, §3.5): when its node's
 * /healthz was seen going down at most this long before the new pid was seen registered, the two
 * probes saw the fencing and the exit in the opposite order; the node was not frozen.
 */
const FENCE_EXIT_SEEN_MS = 2_000;

/** Mesos handed the framework away from a connected, live scheduler process (`Framework failed over`). */
export interface Fencing {
  /** When it was seen: the new pid's registration, or (deposed while frozen) the old node's return. */
  t: number;
  /** The fenced process's libprocess pid and node. */
  pid: string;
  node: string;
  /** The pid that registered. */
  by: string;
}

/**
 * **Scheduler processes as the outside sees them**, and when two of them act at once. A scheduler
 * process is a libprocess pid of the framework in Mesos `state.json` (`scheduler(1)@ip:port`: a
 * re-exec'd child or a restarted container has a new port); its node comes from its address. It is
 * *acting* while
 * (a) it is the framework's pid and Mesos shows the framework active; or
 * (b) it was that pid while the framework was active, another pid then registered (Mesos sent it
 *     `Framework failed over`: a **fencing**), and it has not gone away since: its node's
 *     `/healthz` has not gone from up to down. A fenced process whose node went down at most
 *     `FENCE_EXIT_SEEN_MS` before (its exit on the fence, seen first) is a fencing, gone at once.
 *     One frozen at that moment (its node down for longer, e.g. paused) counts from when its node
 *     answers again; one whose node never answers again (it died) does not count, nor does one
 *     whose node went down and came back up between its registration and the fencing (it died
 *     unseen by Mesos's poll, and another process answers on the node now).
 * In both cases only while its node's `/healthz` answers (a node never probed counts as up: this
 * can only overcount). `dualMs` is the time, from `fromT`, with two or more acting processes;
 * `fencings` those from `fromT`. Two on one node count twice (a USR1 child that survived its
 * container next to the kubelet's restart). A key holder that has not registered is not acting:
 * it cannot use Mesos, and counting its bootstrap made the bound depend on T_b (§7.4). Framework
 * entries without `node` make it uncomputable (pids cannot be placed, so fencings cannot be told
 * from deaths).
 */
export function schedulerProcesses(entries: readonly HistoryEntry[], fromT = Number.NEGATIVE_INFINITY): { dualMs: number; fencings: Fencing[] } | { reason: string } {
  const relevant = entries.filter((e) => e.kind === "scheduler-health" || e.kind === "framework");
  const fws = ofKind(relevant, "framework");
  if (!fws.length) return { reason: "no framework observations" };
  const unplaced = fws.find((f) => f.active && !f.node);
  if (unplaced) return { reason: `framework pid ${unplaced.pid} has no node: cannot place scheduler processes on nodes` };

  const up = new Map<string, boolean>();
  const lastDown = new Map<string, number>();
  /** Per framework id: its pid, node, whether active, and since when that pid was registered. */
  const current = new Map<string, { pid: string; node: string; active: boolean; since: number }>();
  /** Fenced processes still presumed alive; `pending`: frozen at the fencing, not yet seen back. */
  const fenced = new Map<string, { node: string; by: string; pending: boolean }>();
  const fencings: Fencing[] = [];
  const isUp = (node: string) => up.get(node) ?? true;
  const acting = (): number => {
    let n = 0;
    for (const c of current.values()) if (c.active && isUp(c.node)) n += 1;
    for (const f of fenced.values()) if (!f.pending && isUp(f.node)) n += 1;
    return n;
  };
  const fence = (t: number, pid: string, node: string, by: string) => {
    if (t >= fromT) fencings.push({ t, pid, node, by });
  };

  let total = 0;
  let prevT: number | undefined;
  let prevDual = false;
  for (const e of relevant) {
    if (prevT !== undefined && prevDual && e.t > fromT) total += e.t - Math.max(prevT, fromT);
    if (e.kind === "scheduler-health") {
      const was = up.get(e.node);
      up.set(e.node, e.up);
      if (was === true && !e.up) {
        lastDown.set(e.node, e.t);
        for (const [pid, f] of fenced) if (f.node === e.node && !f.pending) fenced.delete(pid);
      }
      if (e.up && was !== true) {
        for (const [pid, f] of fenced) {
          if (f.node !== e.node || !f.pending) continue;
          f.pending = false;
          fence(e.t, pid, f.node, f.by);
        }
      }
    } else {
      const prev = current.get(e.id);
      if (prev && prev.active && prev.pid !== e.pid) {
        // Another pid registered while `prev` was connected: Mesos fenced it.
        const downAt = lastDown.get(prev.node) ?? Number.NEGATIVE_INFINITY;
        const diedUnseen = downAt > prev.since && up.get(prev.node) === true;
        // Its exit on the fence, seen by the /healthz probe before the Mesos probe saw the new pid.
        const exitedOnFence = downAt > prev.since && up.get(prev.node) === false && e.t - downAt <= FENCE_EXIT_SEEN_MS;
        if (exitedOnFence) fence(e.t, prev.pid, prev.node, e.pid);
        else if (!diedUnseen) {
          const pending = !isUp(prev.node);
          fenced.set(prev.pid, { node: prev.node, by: e.pid, pending });
          if (!pending) fence(e.t, prev.pid, prev.node, e.pid);
        }
      }
      const since = prev && prev.pid === e.pid && prev.active ? prev.since : e.t;
      current.set(e.id, { pid: e.pid, node: e.node ?? "", active: e.active, since });
      fenced.delete(e.pid);
    }
    prevT = e.t;
    prevDual = acting() >= 2;
  }
  // Two acting processes at the last observation act on until the history ends.
  const endT = entries.at(-1)?.t ?? 0;
  if (prevT !== undefined && prevDual && endT > fromT) total += endT - Math.max(prevT, fromT);
  return { dualMs: total, fencings };
}

/** Compatibility: `schedulerProcesses(entries).dualMs` over the whole history. */
export function dualSchedulerMs(entries: readonly HistoryEntry[]): number | { reason: string } {
  const p = schedulerProcesses(entries);
  return "reason" in p ? p : p.dualMs;
}

/**
 * Apiserver requests through nginx sent (`t − latencyMs`) after `fromT`: how many, which failed,
 * and the longest run of failures in send order (ms from the first one's send to the send of the
 * next success, or to the last failure's answer when none followed).
 */
export function apiFailuresAfter(entries: readonly HistoryEntry[], fromT: number | null): { total: number; failed: ApiRequestEntry[]; longestRunMs: number } {
  if (fromT === null) return { total: 0, failed: [], longestRunMs: 0 };
  const sent = (r: ApiRequestEntry) => r.t - r.latencyMs;
  const reqs = ofKind(entries, "api-request").filter((r) => sent(r) > fromT).sort((a, b) => sent(a) - sent(b));
  let longest = 0;
  let runStart: number | undefined;
  let runEnd = 0;
  for (const r of reqs) {
    if (!r.ok) {
      runStart ??= sent(r);
      runEnd = Math.max(runEnd, r.t);
    } else if (runStart !== undefined) {
      longest = Math.max(longest, sent(r) - runStart);
      runStart = undefined;
    }
  }
  if (runStart !== undefined) longest = Math.max(longest, runEnd - runStart);
  return { total: reqs.length, failed: reqs.filter((r) => !r.ok), longestRunMs: longest };
}

function incompatibleDeclines(
  entries: readonly HistoryEntry[],
  faultT: number | null,
  logsWatched: boolean,
  missing: Missing,
): { metrics: number | null; logs: number | null } {
  const from = faultT ?? Number.NEGATIVE_INFINITY;
  const samples = ofKind(entries, "scheduler-metrics");
  let metrics: number | null = null;
  if (samples.length) {
    // A counter per scheduler process: a drop means the process restarted, counting from 0 again.
    const last = new Map<string, number>();
    metrics = 0;
    for (const s of samples) {
      const prev = last.get(s.node);
      last.set(s.node, s.declinedCompat);
      if (s.t < from) continue;
      if (prev === undefined) {
        // First sample of this node after the fault: a scheduler started since, counting from 0.
        // With no fault the first sample is the baseline.
        if (faultT !== null) metrics += s.declinedCompat;
      } else {
        metrics += s.declinedCompat >= prev ? s.declinedCompat - prev : s.declinedCompat;
      }
    }
  } else {
    missing["incompatibleOfferDeclinesBySource.metrics"] = { code: "no-data", reason: "no scheduler-metrics observations" };
  }
  // Zero matching lines is a count only if the probe could see the scheduler's output at all.
  const matches = ofKind(entries, "log-match");
  let logs: number | null = null;
  if (matches.some((l) => l.pattern === SCHEDULER_OUTPUT_PATTERN || l.pattern === "incompatible-offer")) {
    logs = matches.filter((l) => l.pattern === "incompatible-offer" && l.t >= from).length;
  } else {
    missing["incompatibleOfferDeclinesBySource.logs"] = logsWatched
      ? {
          code: "no-data",
          reason:
            "the log probe followed the master nodes' logs but saw no scheduler output in this trial (a real kubelet runs the scheduler as a sibling container, whose output the node's log does not carry): declines cannot be counted from logs",
        }
      : { code: "no-data", reason: "no log probe watched the scheduler logs" };
  }
  return { metrics, logs };
}

interface PodState {
  ns: string;
  name: string;
  phase: string;
  deleted: boolean;
}

function podMeasures(
  entries: readonly HistoryEntry[],
  faultT: number,
  outageEndT: number | undefined,
  ignore: Set<string>,
  missing: Missing,
): { lost: string[] | null; recoveryMs: number | null; firstRunningMs: number | null } {
  const pods = ofKind(entries, "pod").filter((p) => !ignore.has(p.namespace));
  const harnessDeleted = new Set(
    ofKind(entries, "workload")
      .filter((w) => w.action === "delete-pod")
      .map((w) => `${w.namespace}/${w.name}`),
  );
  const label = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
  const state = new Map<string, PodState>();
  for (const p of pods) if (p.t < faultT) state.set(p.uid, { ns: p.namespace, name: p.name, phase: p.phase, deleted: !!p.deleted });

  let lost: string[] | null = null;
  const runningAtFault = [...state.entries()].filter(([, s]) => s.phase === "Running" && !s.deleted && !harnessDeleted.has(`${s.ns}/${s.name}`));
  if (!state.size) {
    missing.podsLost = { code: "no-data", reason: "no pod observations before the fault" };
  } else {
    const lostUids = new Set<string>();
    for (const p of pods) {
      if (p.t < faultT || harnessDeleted.has(label(p))) continue;
      if (runningAtFault.some(([uid]) => uid === p.uid) && (p.deleted || LOST_PHASES.has(p.phase))) lostUids.add(p.uid);
    }
    lost = runningAtFault.filter(([uid]) => lostUids.has(uid)).map(([, s]) => `${s.ns}/${s.name}`);
  }

  // Pods first seen after the fault; "during the outage" = before the new scheduler registered.
  const preUids = new Set(state.keys());
  const newPods = pods.filter((p) => p.t >= faultT && !preUids.has(p.uid));
  const firstRunning = newPods.find((p) => p.phase === "Running" && !p.deleted);
  let firstRunningMs: number | null = null;
  if (firstRunning) firstRunningMs = firstRunning.t - faultT;
  else {
    missing["phases.firstPodRunningMs"] = newPods.length
      ? { code: "not-observed", reason: `${new Set(newPods.map((p) => p.uid)).size} pod(s) created after the fault, none reached Running` }
      : { code: "no-data", reason: "no pod was created after the fault" };
  }

  // An outage pod: first seen before the new scheduler registered, or one whose creation the
  // harness began by then (a create sent through nginx to a frozen apiserver may only land, and be
  // seen, after the takeover; it was still created during the outage).
  const asked = new Set(
    ofKind(entries, "workload")
      .filter((w) => w.action === "create-pod" && w.t >= faultT && (outageEndT === undefined || w.t <= outageEndT))
      .map((w) => `${w.namespace}/${w.name}`),
  );
  const outagePods = new Set(newPods.filter((p) => outageEndT === undefined || p.t <= outageEndT || asked.has(label(p))).map((p) => p.uid));
  if (!outagePods.size) {
    missing.podRecoveryMs = { code: "no-data", reason: "no pod was created during the outage (recovery needs one to run)" };
    return { lost, recoveryMs: null, firstRunningMs };
  }
  const lostSet = new Set(lost ?? []);
  const expected = new Set<string>([...runningAtFault.filter(([, s]) => !lostSet.has(`${s.ns}/${s.name}`)).map(([uid]) => uid), ...outagePods]);
  for (const uid of [...expected]) {
    const s = pods.filter((p) => p.uid === uid).at(-1);
    if (s && harnessDeleted.has(label(s))) expected.delete(uid);
  }
  const now = new Map<string, string>();
  for (const [uid, s] of state) now.set(uid, s.deleted ? "Deleted" : s.phase);
  for (const p of pods) {
    if (p.t < faultT) continue;
    now.set(p.uid, p.deleted ? "Deleted" : p.phase);
    if ([...expected].every((uid) => now.get(uid) === "Running")) return { lost, recoveryMs: p.t - faultT, firstRunningMs };
  }
  const notRunning = [...expected].filter((uid) => now.get(uid) !== "Running").map((uid) => {
    const p = pods.filter((x) => x.uid === uid).at(-1)!;
    return `${label(p)} (${now.get(uid) ?? "unseen"})`;
  });
  missing.podRecoveryMs = { code: "not-observed", reason: `not every expected pod was Running by the end: ${notRunning.join(", ")}` };
  return { lost, recoveryMs: null, firstRunningMs };
}
