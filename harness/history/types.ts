/**
 * The entries of a trial's history. Every probe observation, fault window and runner phase is one
 * entry; probes produce exactly these kinds. `t` is ms since the trial's origin on one monotonic
 * clock (`performance.now()`); the trial also stores the origin's epoch ms (`originEpochMs`), so
 * epoch timestamps (emulation events, Mesos times) map onto the same axis.
 *
 * Probes emit an entry when what they see changes (not on every poll), except `api-request`,
 * which is one entry per request. `node` fields name topology nodes (`master-1`, ...).
 */

/** The framework name km registers with Mesos (its `--framework-name` default). */
export const FRAMEWORK_NAME = "Kubernetes";

/** km's `--ha` election key is `<prefix><framework name><suffix>` (meta.DefaultElectionFormat). */
const HA_LEADER_PREFIX = "/mesos/k8sm/framework/";
const HA_LEADER_SUFFIX = "/leader";

/**
 * The etcd v2 keys k8sm elects and stores with: the harness's one definition of them (the probes
 * watch them, the launcher waits for them, measures and checks read them; `key` in an entry may be
 * any string). The emulations spell them in their own code, as they cannot import the harness;
 * fixtures/emulations/common/etcd-keys.test.ts checks that the two agree.
 */
export const WATCHED_KEYS = {
  /** podmaster lock for the scheduler manifest (cold standby); value = the holder's `--whoami` (its IP). */
  scheduler: "/scheduler",
  /** podmaster lock for the controller-manager manifest. */
  controller: "/controller",
  /** `km scheduler --ha` election key; value = `<hex executor hash>_<uuid>`. */
  haLeader: (frameworkName = FRAMEWORK_NAME) => `${HA_LEADER_PREFIX}${frameworkName}${HA_LEADER_SUFFIX}`,
  /** Framework id stored by the scheduler after its first registration. */
  frameworkId: "/mesos/k8sm/frameworkid",
} as const;

/** True for the `--ha` election key of any framework name (`WATCHED_KEYS.haLeader(name)`). */
export function isHaLeaderKey(key: string): boolean {
  if (!key.startsWith(HA_LEADER_PREFIX) || !key.endsWith(HA_LEADER_SUFFIX)) return false;
  const name = key.slice(HA_LEADER_PREFIX.length, key.length - HA_LEADER_SUFFIX.length);
  return name !== "" && !name.includes("/");
}

interface At {
  /** ms since the trial origin (monotonic). */
  t: number;
}

/** A watched etcd key changed. `value: null` = the key does not exist (expired or deleted). */
export interface EtcdKeyEntry extends At {
  kind: "etcd-key";
  key: string;
  value: string | null;
  modifiedIndex?: number;
  /** Remaining TTL in seconds as etcd reported it, when the key has one. */
  ttl?: number;
  /** The node the value identifies, when the probe can tell (a podmaster `--whoami` IP). */
  node?: string;
}

/** A framework in Mesos `state.json` changed (one entry per change of any field below). */
export interface FrameworkEntry extends At {
  kind: "framework";
  id: string;
  name: string;
  active: boolean;
  /** libprocess pid, e.g. `scheduler(1)@10.0.0.3:41234`: identifies one scheduler process. */
  pid: string;
  /** `registered_time` / `reregistered_time` as Mesos reports them: epoch **seconds** (float). */
  registeredTime?: number;
  reregisteredTime?: number;
  /** The node the pid's address belongs to, when the probe can tell. */
  node?: string;
  /**
   * The framework's executors as `state.json` lists them. `artifactNode` is the node named by the
   * host of the executor's first command URI: km's scheduler serves the executor's artifacts at its
   * `--advertised-address` (docs/k8sm-ha-behaviour.md §3.8), so it names the master whose scheduler
   * prepared that executor when each master advertises its own address. Absent when Mesos lists none.
   */
  executors?: FrameworkExecutor[];
}

export interface FrameworkExecutor {
  id: string;
  agent: string;
  artifactNode?: string;
}

/** Selected `/metrics/snapshot` keys, when any of them changes. */
export interface MesosMetricsEntry extends At {
  kind: "mesos-metrics";
  values: Record<string, number>;
}

/** Whether the scheduler on a master node answers `GET :10251/healthz` (process up, any role). */
export interface SchedulerHealthEntry extends At {
  kind: "scheduler-health";
  node: string;
  up: boolean;
}

/**
 * Whether the apiserver on a master node answers `GET :8080/healthz` directly (not through nginx):
 * what tells the runner a restarted or healed master serves again, and since when (nginx skips a
 * server for `fail_timeout` after a failed attempt: harness/timing-oracle/windows.ts `SEED_NGINX`).
 */
export interface ApiserverHealthEntry extends At {
  kind: "apiserver-health";
  node: string;
  up: boolean;
}

/** `mesos_offers_declined{reason="compat"}` summed over hostnames, from that node's scheduler. */
export interface SchedulerMetricsEntry extends At {
  kind: "scheduler-metrics";
  node: string;
  declinedCompat: number;
}

/** A container log line matched a pattern (`incompatible-offer` = `Declining incompatible offer`). */
export interface LogMatchEntry extends At {
  kind: "log-match";
  container: string;
  pattern: "incompatible-offer" | (string & {});
  line: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

/** A pod's state as seen through nginx; `deleted: true` = the pod is gone. */
export interface PodEntry extends At {
  kind: "pod";
  namespace: string;
  name: string;
  uid: string;
  phase: PodPhase | (string & {});
  nodeName?: string;
  deleted?: boolean;
}

/** One probe request to the apiserver through nginx. */
export interface ApiRequestEntry extends At {
  kind: "api-request";
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  /** What was requested, e.g. `GET /api/v1/pods`. */
  op?: string;
}

/** The harness's own writes through the apiserver (its workload), so measures can tell them apart. */
export interface WorkloadEntry extends At {
  kind: "workload";
  action: "create-pod" | "delete-pod";
  namespace: string;
  name: string;
}

export interface DockerEventEntry extends At {
  kind: "docker-event";
  container: string;
  action: string;
}

/** A fault window edge. Targets are resolved at injection time and recorded here. */
export interface FaultEntry extends At {
  kind: "fault";
  name: string;
  action: "inject" | "heal";
  targets: string[];
  detail?: Record<string, unknown>;
}

/**
 * The runner's trial phases, in order (docs/RUN.md). `evaluate` judges only what came before `converge`:
 * converging (restarting what the fault killed) is not part of the experiment. `done` ends the trial.
 */
export type RunnerPhase = "steady" | "inject" | "observe" | "heal" | "converge" | "evaluate" | "done";

export interface PhaseEntry extends At {
  kind: "phase";
  name: RunnerPhase;
}

export interface NoteEntry extends At {
  kind: "note";
  text: string;
}

export type HistoryEntry =
  | EtcdKeyEntry
  | FrameworkEntry
  | MesosMetricsEntry
  | SchedulerHealthEntry
  | ApiserverHealthEntry
  | SchedulerMetricsEntry
  | LogMatchEntry
  | PodEntry
  | ApiRequestEntry
  | WorkloadEntry
  | DockerEventEntry
  | FaultEntry
  | PhaseEntry
  | NoteEntry;

export type EntryKind = HistoryEntry["kind"];
export type EntryOf<K extends EntryKind> = Extract<HistoryEntry, { kind: K }>;

/** Every kind, for validation of parsed input. */
export const ENTRY_KINDS: readonly EntryKind[] = [
  "etcd-key",
  "framework",
  "mesos-metrics",
  "scheduler-health",
  "apiserver-health",
  "scheduler-metrics",
  "log-match",
  "pod",
  "api-request",
  "workload",
  "docker-event",
  "fault",
  "phase",
  "note",
];

/** The `kind`-specific fields of an entry (what a probe passes to `History.recordNow`). */
export type EntryPayload = HistoryEntry extends infer E ? (E extends HistoryEntry ? Omit<E, "t"> : never) : never;
