/**
 * The phases of one trial computed from the emulations' own events ONLY (no probe data), on the
 * measures' axis: ms from the fault's inject entry. `compare.ts` sets them against what the outside
 * probes measured.
 */
import { WATCHED_KEYS } from "../history/types.js";
import type { MeasureName } from "../measures/measures.js";
import type { TopologyMode } from "../topology/spec.js";
import type { GroundTruthEvent } from "./events.js";

/** The measures that have an emulation event to check against (dotted names, as `MEASURE_NAMES`). */
export const VALIDATED_MEASURES = [
  "timeToNewSchedulerMs",
  "phases.leaseExpiredMs",
  "phases.newLeaderElectedMs",
  "phases.schedulerStartedMs",
  "phases.frameworkReregisteredMs",
  "phases.firstPodRunningMs",
] as const satisfies readonly MeasureName[];
export type ValidatedMeasure = (typeof VALIDATED_MEASURES)[number];

/**
 * For each measure: which event is its truth, and why the probe's value may legitimately come later.
 * The probes poll every PROBE_INTERVAL_MS (harness/runner/plan.ts: 50 ms; the model's probe term
 * allows up to 100 ms), and each poll is an HTTP round trip, so a probe's value is the truth plus
 * up to one interval plus the request's latency, unless noted.
 */
export const TRUTH_DEFINITIONS: Readonly<Record<ValidatedMeasure, { truth: string; probeLag: string }>> = {
  timeToNewSchedulerMs: {
    truth: "mesos-master `framework-failed-over` (or `framework-registered`) for the pre-fault framework id with a pid other than the pre-fault one: the moment Mesos made the new scheduler's subscription the framework's active one",
    probeLag: "the Mesos probe polls state.json: + up to one interval + the request",
  },
  "phases.leaseExpiredMs": {
    truth: "none: etcd is the real etcd, not an emulation, and emits no event when a TTL expires (last `renewed` + ttl would be an estimate, not an event: etcd v2 sweeps expired keys on its own tick)",
    probeLag: "—",
  },
  "phases.newLeaderElectedMs": {
    truth: "cold standby: the first podmaster `elected` for key `scheduler` on a node other than the pre-fault leader; hot standby: the first `km-scheduler` `elected` on another node (in cold standby the non-HA scheduler's self-election `elected` is not an election and is not used). Emitted right after the create call returned, so it is the key's creation time plus at most the reply's latency",
    probeLag: "the etcd probe watches the key (no polling): the watch's delivery, a few ms; a re-established watch after an etcd error can add one interval",
  },
  "phases.schedulerStartedMs": {
    truth: "the first `km-scheduler` `started` after the fault, on the node where the new scheduler registered (else the first anywhere). The emulation emits it right after its HTTP server bound, i.e. when /healthz starts answering. When the log holds no scheduler `started` at all, the kubelet's `container-started` of the `kube-scheduler` container",
    probeLag: "the probe polls `GET :10251/healthz`: + up to one interval + the request. With the kubelet fallback, also the process start-up and bind (a few hundred ms for a node process). A restart so quick that /healthz never stopped answering between two polls is invisible to the probe, which then reports a later start",
  },
  "phases.frameworkReregisteredMs": {
    truth: "the same mesos-master event as `timeToNewSchedulerMs`",
    probeLag: "none expected beyond rounding: the probe takes Mesos's own `reregistered_time`, which the master sets in the call that emits the event; it falls back to the observation time (see the measures' notes) and then lags like `timeToNewSchedulerMs`",
  },
  "phases.firstPodRunningMs": {
    truth: "among pods that first appear in any event after the fault (scheduler `task-launched`, executor `pod-bound`, controller-manager `pod-created`; not kube-system), the earliest `km executor` `task-status` TASK_RUNNING (or mesos-agent `task-running`)",
    probeLag: "the executor emits before it reports to the agent and PUTs the pod's status (a few ms); the pods probe polls through nginx: + up to one interval + the request",
  },
};

export interface TruthValue {
  /** ms from the fault (negative never: events before the fault are not candidates), or null. */
  ms: number | null;
  /** The event the value comes from. */
  event?: GroundTruthEvent;
  /** Why `ms` is null; or, when not null, what was used (e.g. a fallback). */
  reason?: string;
}

export interface GroundTruth {
  byMeasure: Record<ValidatedMeasure, TruthValue>;
  /** The node that led before the fault (given, or from the events); null when unknown. */
  preFaultLeaderNode: string | null;
}

export interface TrialAxis {
  /** The trial origin's epoch ms (`TrialResult.originEpochMs`). */
  originEpochMs: number;
  /** The fault's inject time on the trial axis (`Measures.faultT`). */
  faultT: number;
  /** Events after this trial-axis time belong to a later trial or to converge; default: no bound. */
  endT?: number;
  /** Default: from the events (the last `elected` before the fault whose holder did not `lost` it since). */
  preFaultLeaderNode?: string;
  mode: TopologyMode;
}

/** Makes a TruthValue from an event (ms from the fault), or null with the reason `none`. */
type At = (e: GroundTruthEvent | undefined, none: string, used?: string) => TruthValue;

/** The podmaster's `key` field is its `--key` flag as given: `scheduler` in the seed's manifest. */
const isPodmasterScheduler = (e: GroundTruthEvent) =>
  e.component === "podmaster" && (e.fields.key === WATCHED_KEYS.scheduler || e.fields.key === WATCHED_KEYS.scheduler.slice(1));
/** `km-scheduler` (what the emulation emits), `km scheduler`, `scheduler`: not the podmaster's `scheduler-elector`. */
const isScheduler = (e: GroundTruthEvent) => /(^|[\s-])scheduler$/.test(e.component);
const FRAMEWORK_ACTIVE = new Set(["framework-registered", "framework-failed-over"]);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Computes every validated phase of one trial from the events (as `parseEventLogs` returns them). */
export function groundTruthPhases(events: readonly GroundTruthEvent[], trial: TrialAxis): GroundTruth {
  const faultEpoch = trial.originEpochMs + trial.faultT;
  const endEpoch = trial.endT === undefined ? Number.POSITIVE_INFINITY : trial.originEpochMs + trial.endT;
  const before = events.filter((e) => e.ts < faultEpoch);
  const after = events.filter((e) => e.ts >= faultEpoch && e.ts <= endEpoch);
  const at: At = (e, none, used) =>
    e ? { ms: e.ts - faultEpoch, event: e, ...(used ? { reason: used } : {}) } : { ms: null, reason: none };

  const hot = trial.mode === "hot-standby";
  const isElection = hot ? (e: GroundTruthEvent) => isScheduler(e) && e.event === "elected" : isPodmasterScheduler;
  const electionName = hot ? "km-scheduler `elected`" : "podmaster `elected` for key scheduler";

  const preLeader = trial.preFaultLeaderNode ?? leaderBefore(before, isElection);
  const electedEvent = preLeader ? after.find((e) => isElection(e) && e.event === "elected" && e.host !== preLeader) : undefined;
  const newLeaderElected = preLeader
    ? at(electedEvent, `no ${electionName} on a node other than ${preLeader} after the fault`)
    : { ms: null, reason: `no ${electionName} before the fault: the pre-fault leader is unknown` };

  const framework = frameworkTruth(before, after, at);
  const newNode = after.find((e) => isScheduler(e) && e.event === "registered")?.host ?? electedEvent?.host;

  return {
    preFaultLeaderNode: preLeader ?? null,
    byMeasure: {
      timeToNewSchedulerMs: framework,
      "phases.leaseExpiredMs": { ms: null, reason: TRUTH_DEFINITIONS["phases.leaseExpiredMs"].truth },
      "phases.newLeaderElectedMs": newLeaderElected,
      "phases.schedulerStartedMs": schedulerStarted(events, after, newNode, at),
      "phases.frameworkReregisteredMs": framework,
      "phases.firstPodRunningMs": firstPodRunning(before, after, at),
    },
  };
}

/** The host holding the election at the end of `before`: `elected` makes a holder, its `lost` ends it. */
function leaderBefore(before: readonly GroundTruthEvent[], isElection: (e: GroundTruthEvent) => boolean): string | undefined {
  let leader: string | undefined;
  for (const e of before) {
    if (!isElection(e)) continue;
    if (e.event === "elected") leader = e.host;
    else if (e.event === "lost" && e.host === leader) leader = undefined;
  }
  return leader;
}

function frameworkTruth(
  before: readonly GroundTruthEvent[],
  after: readonly GroundTruthEvent[],
  at: At,
): TruthValue {
  const isMaster = (e: GroundTruthEvent) => e.component === "mesos-master" && FRAMEWORK_ACTIVE.has(e.event);
  const pre = before.filter(isMaster).at(-1);
  if (!pre) return { ms: null, reason: "no mesos-master framework registration before the fault" };
  const id = str(pre.fields.frameworkId);
  const candidates = after.filter(isMaster);
  const e = candidates.find((c) => str(c.fields.frameworkId) === id && str(c.fields.pid) !== str(pre.fields.pid));
  const other = candidates.find((c) => str(c.fields.frameworkId) !== id);
  return at(
    e,
    other
      ? `the framework registered under a new id ${str(other.fields.frameworkId)} (was ${id}): the stored framework id was not used`
      : `no mesos-master re-registration of framework ${id} with a pid other than ${str(pre.fields.pid)} after the fault`,
  );
}

function schedulerStarted(
  all: readonly GroundTruthEvent[],
  after: readonly GroundTruthEvent[],
  newNode: string | undefined,
  at: At,
): TruthValue {
  const emitsStarted = all.some((e) => isScheduler(e) && e.event === "started");
  const isStart = emitsStarted
    ? (e: GroundTruthEvent) => isScheduler(e) && e.event === "started"
    : (e: GroundTruthEvent) => e.component === "kubelet" && e.event === "container-started" && e.fields.container === "kube-scheduler";
  const what = emitsStarted ? "km-scheduler `started`" : "kubelet `container-started` of kube-scheduler";
  const starts = after.filter(isStart);
  const chosen = starts.find((e) => e.host === newNode) ?? starts[0];
  return at(chosen, `no ${what} after the fault`, emitsStarted ? undefined : `fallback: ${what} (the scheduler emitted no \`started\` events)`);
}

function firstPodRunning(
  before: readonly GroundTruthEvent[],
  after: readonly GroundTruthEvent[],
  at: At,
): TruthValue {
  const podOfTask = new Map<string, string>();
  const podOf = (e: GroundTruthEvent): string | undefined => {
    const taskId = str(e.fields.taskId);
    if (e.component === "controller-manager" && e.event === "pod-created") return `${str(e.fields.namespace) ?? "default"}/${str(e.fields.name)}`;
    if ((isScheduler(e) && e.event === "task-launched") || (e.component === "km executor" && e.event === "pod-bound")) {
      const pod = str(e.fields.pod);
      if (taskId && pod) podOfTask.set(taskId, pod);
      return pod;
    }
    return taskId ? podOfTask.get(taskId) : undefined;
  };
  const isRunning = (e: GroundTruthEvent) =>
    (e.component === "km executor" && e.event === "task-status" && e.fields.state === "TASK_RUNNING") || (e.component === "mesos-agent" && e.event === "task-running");

  const seenBefore = new Set<string>();
  for (const e of before) {
    const pod = podOf(e);
    if (pod) seenBefore.add(pod);
  }
  const newPods = new Set<string>();
  let first: GroundTruthEvent | undefined;
  for (const e of after) {
    const pod = podOf(e);
    if (!pod || seenBefore.has(pod) || pod.startsWith("kube-system/")) continue;
    newPods.add(pod);
    if (!first && isRunning(e)) first = e;
  }
  return at(first, newPods.size ? `${newPods.size} pod(s) first appeared after the fault (${[...newPods].join(", ")}), none reached TASK_RUNNING` : "no pod first appeared in the events after the fault");
}
