import type { HistoryEntry } from "../history/types.js";

/**
 * Hand-written trial histories for the unit tests of measures, checks and reports. Times are
 * chosen so every measure has a known value; the comments give them.
 */

export const ORIGIN = 1_700_000_000_000;
export const FAULT_T = 1_000;
const PID1 = "scheduler(1)@10.0.0.11:40001";
const PID2 = "scheduler(1)@10.0.0.12:40002";
const FW = { id: "20231114-221320-1-5050-1-0000", name: "Kubernetes" };

export interface SampleTrial {
  originEpochMs: number;
  entries: HistoryEntry[];
}

function sorted(entries: HistoryEntry[]): HistoryEntry[] {
  return entries.map((e, i) => [e, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e);
}

/** Everything healthy before the fault at t=1000: master-1 leads, two pods Running. */
function steady(): HistoryEntry[] {
  return [
    { t: 0, kind: "phase", name: "steady" },
    { t: 10, kind: "etcd-key", key: "/scheduler", value: "10.0.0.11", node: "master-1", ttl: 30 },
    { t: 20, kind: "framework", ...FW, active: true, pid: PID1, node: "master-1", registeredTime: (ORIGIN - 60_000) / 1000 },
    { t: 30, kind: "scheduler-health", node: "master-1", up: true },
    { t: 30, kind: "scheduler-health", node: "master-2", up: false },
    { t: 40, kind: "pod", namespace: "default", name: "web-1", uid: "u1", phase: "Running", nodeName: "agent-1" },
    { t: 40, kind: "pod", namespace: "default", name: "web-2", uid: "u2", phase: "Running", nodeName: "agent-1" },
    { t: 40, kind: "pod", namespace: "kube-system", name: "kube-scheduler-master-1", uid: "m1", phase: "Running" },
    { t: 50, kind: "api-request", ok: true, status: 200, latencyMs: 3, op: "GET /api/v1/pods" },
    { t: 60, kind: "scheduler-metrics", node: "master-1", declinedCompat: 2 },
    { t: 70, kind: "log-match", container: "k8sm-x-master-1", pattern: "scheduler-output", line: "I1125 19:22:59.823000      66 service.go:0] self-electing in non-HA mode" },
    { t: 900, kind: "api-request", ok: true, status: 200, latencyMs: 3 },
    { t: FAULT_T, kind: "phase", name: "inject" },
    { t: FAULT_T, kind: "fault", name: "kill-leader", action: "inject", targets: ["master-1"] },
  ];
}

/**
 * Cold standby, leader node killed at t=1000. Expected measures (ms from the fault):
 * leaseExpired 23000, newLeaderElected 26000, schedulerStarted 39000, frameworkReregistered 39800
 * (Mesos time), timeToNewScheduler 40000, firstPodRunning 44000, podRecovery 44000, dual 0,
 * podsLost 0 (the mirror pod is ignored), declines 0, apiErrorRate 1/3 (fault → 45000).
 */
export function cleanColdFailover(): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_050, kind: "scheduler-health", node: "master-1", up: false },
    { t: 1_080, kind: "docker-event", container: "k8sm-x-master-1", action: "kill" },
    { t: 1_100, kind: "framework", ...FW, active: false, pid: PID1, node: "master-1" },
    { t: 1_150, kind: "api-request", ok: false, status: 502, latencyMs: 12, error: "bad gateway" },
    { t: 1_200, kind: "workload", action: "create-pod", namespace: "default", name: "during-1" },
    { t: 1_300, kind: "pod", namespace: "default", name: "during-1", uid: "u3", phase: "Pending" },
    { t: 5_000, kind: "api-request", ok: true, status: 200, latencyMs: 4 },
    { t: 24_000, kind: "etcd-key", key: "/scheduler", value: null },
    { t: 27_000, kind: "etcd-key", key: "/scheduler", value: "10.0.0.12", node: "master-2", ttl: 30 },
    { t: 30_000, kind: "pod", namespace: "kube-system", name: "kube-scheduler-master-1", uid: "m1", phase: "Running", deleted: true },
    { t: 40_000, kind: "scheduler-health", node: "master-2", up: true },
    { t: 40_500, kind: "pod", namespace: "kube-system", name: "kube-scheduler-master-2", uid: "m2", phase: "Running" },
    {
      t: 41_000,
      kind: "framework",
      ...FW,
      active: true,
      pid: PID2,
      node: "master-2",
      registeredTime: (ORIGIN - 60_000) / 1000,
      reregisteredTime: (ORIGIN + 40_800) / 1000,
    },
    { t: 41_100, kind: "scheduler-metrics", node: "master-2", declinedCompat: 0 },
    { t: 43_000, kind: "api-request", ok: true, status: 200, latencyMs: 4 },
    { t: 45_000, kind: "pod", namespace: "default", name: "during-1", uid: "u3", phase: "Running", nodeName: "agent-1" },
    { t: 46_000, kind: "phase", name: "heal" },
    { t: 46_000, kind: "fault", name: "kill-leader", action: "heal", targets: ["master-1"] },
    { t: 50_000, kind: "api-request", ok: false, status: 502, latencyMs: 4 },
    { t: 60_000, kind: "phase", name: "converge" },
  ];
  return { originEpochMs: ORIGIN, entries: sorted([...steady(), ...after]) };
}

/** The clean failover with the new scheduler registering 2 s after the fault: faster than any lease allows. */
export function tooFastFailover(): SampleTrial {
  const base = cleanColdFailover().entries.filter((e) => !(e.kind === "framework" && e.active && e.t > FAULT_T));
  base.push({ t: 3_000, kind: "framework", ...FW, active: true, pid: PID2, node: "master-2" });
  return { originEpochMs: ORIGIN, entries: sorted(base) };
}

/**
 * etcd partition of master-1 (cold): its scheduler stays up and active. master-2 takes the key at
 * 27000, its scheduler is up at 30000 (dual starts), registers at 32000 (master-1 deposed), and
 * master-1's scheduler exits (Framework failed over) at 32500: dualSchedulerMs = 2500.
 */
export function dualSchedulerPartition(): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_200, kind: "workload", action: "create-pod", namespace: "default", name: "during-1" },
    { t: 1_300, kind: "pod", namespace: "default", name: "during-1", uid: "u3", phase: "Pending" },
    { t: 24_000, kind: "etcd-key", key: "/scheduler", value: null },
    { t: 27_000, kind: "etcd-key", key: "/scheduler", value: "10.0.0.12", node: "master-2" },
    { t: 30_000, kind: "scheduler-health", node: "master-2", up: true },
    { t: 32_000, kind: "framework", ...FW, active: true, pid: PID2, node: "master-2" },
    { t: 32_500, kind: "scheduler-health", node: "master-1", up: false },
    { t: 33_000, kind: "pod", namespace: "default", name: "during-1", uid: "u3", phase: "Running" },
    { t: 40_000, kind: "fault", name: "partition-etcd", action: "heal", targets: ["master-1"] },
  ];
  const entries = steady().map((e) => (e.kind === "fault" ? { ...e, name: "partition-etcd" } : e));
  return { originEpochMs: ORIGIN, entries: sorted([...entries, ...after]) };
}

/** The clean failover, but web-2 disappears at 5000 and the harness itself deletes web-1 at 6000. */
export function lostPodFailover(): SampleTrial {
  const extra: HistoryEntry[] = [
    { t: 5_000, kind: "pod", namespace: "default", name: "web-2", uid: "u2", phase: "Running", deleted: true },
    { t: 5_900, kind: "workload", action: "delete-pod", namespace: "default", name: "web-1" },
    { t: 6_000, kind: "pod", namespace: "default", name: "web-1", uid: "u1", phase: "Running", deleted: true },
  ];
  return { originEpochMs: ORIGIN, entries: sorted([...cleanColdFailover().entries, ...extra]) };
}

/** Only a fault and runner phases: no probe saw anything. */
export function emptyProbesTrial(): SampleTrial {
  return {
    originEpochMs: ORIGIN,
    entries: [
      { t: 0, kind: "phase", name: "steady" },
      { t: FAULT_T, kind: "fault", name: "kill-leader", action: "inject", targets: ["master-1"] },
      { t: 30_000, kind: "note", text: "probes down" },
    ],
  };
}

/**
 * incompatible-executor: after the failover master-2's scheduler declines offers: its metric goes
 * 0 → 3 and then its process restarts (counter reset) to 1 → 4 more declines via metrics; the log
 * probe matched 4 lines after the fault and 1 before.
 */
export function incompatibleDeclinesFailover(): SampleTrial {
  const extra: HistoryEntry[] = [
    { t: 500, kind: "log-match", container: "k8sm-x-master-1", pattern: "incompatible-offer", line: "I... Declining incompatible offer O1" },
    { t: 42_000, kind: "scheduler-metrics", node: "master-2", declinedCompat: 3 },
    { t: 43_000, kind: "scheduler-metrics", node: "master-2", declinedCompat: 1 },
    ...[42_000, 42_100, 42_200, 43_000].map(
      (t): HistoryEntry => ({ t, kind: "log-match", container: "k8sm-x-master-2", pattern: "incompatible-offer", line: `I... Declining incompatible offer O${t}` }),
    ),
  ];
  return { originEpochMs: ORIGIN, entries: sorted([...cleanColdFailover().entries, ...extra]) };
}

const PID3 = "scheduler(3)@10.0.0.11:40003";
const PID4 = "scheduler(4)@10.0.0.11:40004";

/**
 * pause-leader, cold: master-1 is frozen at 1000 (its /healthz stops answering; Mesos keeps the
 * framework active, the stream is open). master-2 takes over at 20000: master-1's scheduler is
 * fenced while frozen. The pause heals at 25000; master-1's scheduler answers at 25100, reads the
 * fence and is gone at 25400: fencedSchedulers 1 (counted at 25100), dualSchedulerMs 300.
 */
export function pausedLeaderFenced(): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_100, kind: "phase", name: "observe" },
    { t: 1_200, kind: "workload", action: "create-pod", namespace: "default", name: "during-1" },
    { t: 1_700, kind: "scheduler-health", node: "master-1", up: false },
    { t: 12_000, kind: "etcd-key", key: "/scheduler", value: null },
    { t: 12_500, kind: "etcd-key", key: "/scheduler", value: "10.0.0.12", node: "master-2" },
    { t: 19_000, kind: "scheduler-health", node: "master-2", up: true },
    { t: 20_000, kind: "framework", ...FW, active: true, pid: PID2, node: "master-2" },
    { t: 25_000, kind: "fault", name: "pause", action: "heal", targets: ["master-1"] },
    { t: 25_100, kind: "scheduler-health", node: "master-1", up: true },
    { t: 25_400, kind: "scheduler-health", node: "master-1", up: false },
    { t: 26_000, kind: "pod", namespace: "default", name: "during-1", uid: "u3", phase: "Running" },
    { t: 60_000, kind: "phase", name: "converge" },
  ];
  const entries = steady().map((e) => (e.kind === "fault" ? { ...e, name: "pause" } : e));
  return { originEpochMs: ORIGIN, entries: sorted([...entries, ...after]) };
}

/**
 * usr1-failover with the re-exec'd child surviving its container: master-1's scheduler (PID1)
 * stops its driver at 1050 (framework inactive); the child (PID3) registers at 1500; the kubelet's
 * restarted scheduler (PID4, same node, it cannot bind :10251 while the child holds it) registers
 * at 3000 and fences the child, which goes on running: /healthz never goes down. fencedSchedulers
 * 1, dualSchedulerMs from 3000 to the end (10000) = 7000.
 */
export function usr1ChildSurvives(): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_050, kind: "framework", ...FW, active: false, pid: PID1, node: "master-1" },
    { t: 1_100, kind: "phase", name: "observe" },
    { t: 1_500, kind: "framework", ...FW, active: true, pid: PID3, node: "master-1" },
    { t: 3_000, kind: "framework", ...FW, active: true, pid: PID4, node: "master-1" },
    { t: 10_000, kind: "phase", name: "converge" },
  ];
  const entries = steady().map((e) => (e.kind === "fault" ? { ...e, name: "signal-process" } : e));
  return { originEpochMs: ORIGIN, entries: sorted([...entries, ...after]) };
}

/**
 * usr1-failover on a correct system: the child dies with the container; the kubelet's restart
 * (PID3) registers at 2500. No fencing, no overlap.
 */
export function usr1Clean(): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_050, kind: "framework", ...FW, active: false, pid: PID1, node: "master-1" },
    { t: 1_100, kind: "phase", name: "observe" },
    { t: 1_200, kind: "scheduler-health", node: "master-1", up: false },
    { t: 2_300, kind: "scheduler-health", node: "master-1", up: true },
    { t: 2_500, kind: "framework", ...FW, active: true, pid: PID3, node: "master-1" },
    { t: 10_000, kind: "phase", name: "converge" },
  ];
  const entries = steady().map((e) => (e.kind === "fault" ? { ...e, name: "signal-process" } : e));
  return { originEpochMs: ORIGIN, entries: sorted([...entries, ...after]) };
}

/**
 * kill-scheduler where Mesos's short inactive spell fell between two polls: PID1 is seen active,
 * then PID3 (same node) active, but master-1's /healthz went down (1200) and up (2300) in between:
 * PID1 died, it was not fenced. fencedSchedulers 0.
 */
export function killSchedulerMissedDisconnect(): SampleTrial {
  const tr = usr1Clean();
  return { originEpochMs: ORIGIN, entries: tr.entries.filter((e) => !(e.kind === "framework" && !e.active)) };
}

/**
 * kill-apiserver: master-1's apiserver is killed at 1000 (the signal delivered by 1100, the
 * observe phase). A request in flight (sent at 990) fails at 1010: allowed. With `rerouted`, every
 * later request succeeds; without, the two sent at 1300 and 1400 fail (502) and 1500 succeeds:
 * apiOutageMs 200.
 */
export function apiserverKilled(rerouted: boolean): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_010, kind: "api-request", ok: false, status: 502, latencyMs: 20, error: "bad gateway" },
    { t: 1_100, kind: "phase", name: "observe" },
    { t: 1_205, kind: "api-request", ok: true, status: 200, latencyMs: 5 },
    { t: 1_305, kind: "api-request", ok: rerouted, status: rerouted ? 200 : 502, latencyMs: 5 },
    { t: 1_405, kind: "api-request", ok: rerouted, status: rerouted ? 200 : 502, latencyMs: 5 },
    { t: 1_505, kind: "api-request", ok: true, status: 200, latencyMs: 5 },
    { t: 30_000, kind: "api-request", ok: true, status: 200, latencyMs: 5 },
    { t: 30_100, kind: "phase", name: "converge" },
  ];
  const entries = steady().map((e) => (e.kind === "fault" ? { ...e, name: "signal-process" } : e));
  return { originEpochMs: ORIGIN, entries: sorted([...entries, ...after]) };
}

/**
 * A fault that must not cause a failover (baseline, kill-etcd-leader): nothing changes after it.
 * With `lapse`, the leader key expires at 8000 and master-1 takes it again at 8200 (same holder).
 */
export function noFailoverTrial(lapse = false): SampleTrial {
  const after: HistoryEntry[] = [
    { t: 1_100, kind: "phase", name: "observe" },
    { t: 5_000, kind: "etcd-key", key: "/scheduler", value: "10.0.0.11", node: "master-1", ttl: 30, modifiedIndex: 9 },
    ...(lapse
      ? ([
          { t: 8_000, kind: "etcd-key", key: "/scheduler", value: null },
          { t: 8_200, kind: "etcd-key", key: "/scheduler", value: "10.0.0.11", node: "master-1", ttl: 30 },
        ] as HistoryEntry[])
      : []),
    { t: 20_000, kind: "api-request", ok: true, status: 200, latencyMs: 3 },
    { t: 40_000, kind: "phase", name: "converge" },
  ];
  return { originEpochMs: ORIGIN, entries: sorted([...steady(), ...after]) };
}
