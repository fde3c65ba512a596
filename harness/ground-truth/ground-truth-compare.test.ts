import { describe, expect, it } from "vitest";
import { computeMeasures, type Measures } from "../measures/measures.js";
import { compareToGroundTruth, probeErrorStats, validateRun, type Comparison } from "./compare.js";
import { containerRole, parseEventLogs, type GroundTruthEvent } from "./events.js";
import { groundTruthPhases, VALIDATED_MEASURES } from "./ground-truth.js";

const ORIGIN = 1_764_000_000_000;
const FAULT_T = 10_000;
const FAULT = ORIGIN + FAULT_T;
const RUN = "k8sm-20251124-160000-ab12";

/** One event line as an emulation prints it; `at` is ms from the fault. */
const ev = (at: number, component: string, node: string, event: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ ts: FAULT + at, component, node, event, ...fields });
const glog = (text: string) => `I1124 16:00:01.123456       1 x.go:0] ${text}`;

const F1 = "20251124-160000-5050-0001-0000";
const OLD_PID = "scheduler(1)@10.0.0.3:41234";
const NEW_PID = "scheduler(1)@10.0.0.4:39001";

/** A cold-standby kill-leader trial: master-1 leads, is killed at the fault; master-2 takes over. */
function killLeaderLogs(): Record<string, string> {
  return {
    [`${RUN}-master-1`]: [
      glog("kubelet starting"),
      ev(-20_000, "podmaster", "master-1", "started", { key: "scheduler" }),
      ev(-19_000, "podmaster", "master-1", "elected", { key: "scheduler", whoami: "10.0.0.3", created: true }),
      ev(-18_900, "podmaster", "master-1", "elected", { key: "controller", whoami: "10.0.0.3", created: true }),
      ev(-18_000, "kubelet", "master-1", "container-started", { pod: "kube-scheduler", container: "kube-scheduler", pid: 40 }),
      ev(-17_900, "km-scheduler", "master-1", "started"),
      glog("Scheduler registered with the master"),
      ev(-17_000, "km-scheduler", "master-1", "registered", { frameworkId: F1 }),
      ev(-15_000, "km-scheduler", "master-1", "task-launched", { taskId: "pod.T1", pod: "default/steady-1" }),
      ev(-2_000, "podmaster", "master-1", "renewed", { key: "scheduler", whoami: "10.0.0.3" }),
      '{"ts": 17640000, "component": "half a li', // the container died mid-line
    ].join("\n"),
    [`${RUN}-master-2`]: [
      ev(-20_000, "podmaster", "master-2", "started", { key: "scheduler" }),
      glog("key already exists, we are not the master (10.0.0.3)"),
      ev(2_900, "podmaster", "master-2", "elected", { key: "controller", whoami: "10.0.0.4", created: true }),
      ev(3_000, "podmaster", "master-2", "elected", { key: "scheduler", whoami: "10.0.0.4", created: true }),
      ev(5_000, "kubelet", "master-2", "container-started", { pod: "kube-scheduler", container: "kube-scheduler", pid: 52 }),
      ev(5_100, "km-scheduler", "master-2", "started"),
      ev(5_600, "km-scheduler", "master-2", "registered", { frameworkId: F1 }),
      ev(6_000, "km-scheduler", "master-2", "task-launched", { taskId: "pod.T2", pod: "default/outage-1" }),
      ev(6_050, "km-scheduler", "master-2", "task-launched", { taskId: "pod.T3", pod: "kube-system/mirror" }),
    ].join("\n"),
    [`${RUN}-mesos-master`]: [
      ev(-17_050, "mesos-master", "mesos-master", "framework-registered", { frameworkId: F1, pid: OLD_PID, reregistration: false }),
      glog("Framework failed over"),
      ev(50, "mesos-master", "mesos-master", "framework-deactivated", { frameworkId: F1, pid: OLD_PID }),
      ev(5_550, "mesos-master", "mesos-master", "framework-failed-over", { frameworkId: F1, pid: NEW_PID }),
    ].join("\n"),
    [`${RUN}-agent-1`]: [
      ev(-14_900, "km executor", "agent-1", "pod-bound", { taskId: "pod.T1", pod: "default/steady-1", node: "agent-1" }),
      ev(-14_000, "km executor", "agent-1", "task-status", { taskId: "pod.T1", state: "TASK_RUNNING" }),
      // The new scheduler's reconciliation makes the old pod report again: not a new pod.
      `2025-11-24T16:00:15.123456789Z ${ev(5_800, "km executor", "agent-1", "task-status", { taskId: "pod.T1", state: "TASK_RUNNING" })}`,
      ev(6_100, "km executor", "agent-1", "pod-bound", { taskId: "pod.T2", pod: "default/outage-1", node: "agent-1" }),
      ev(6_200, "km executor", "agent-1", "task-status", { taskId: "pod.T2", state: "TASK_RUNNING" }),
      ev(6_210, "mesos-agent", "agent-1", "task-running", { taskId: "pod.T2" }),
    ].join("\n"),
    [`${RUN}-etcd-0`]: "2025-11-24 16:00:00.000000 I | etcdmain: etcd Version: 3.4.23\n{\"level\":\"info\"}\n",
  };
}

const cold = { originEpochMs: ORIGIN, faultT: FAULT_T, mode: "cold-standby" as const };

/** Measures as the probes might have produced them (the rest as computeMeasures leaves an empty trial). */
function measuresWith(phases: Partial<Measures["phases"]>, timeToNewSchedulerMs: number | null): Measures {
  const m = computeMeasures([], { faultT: FAULT_T });
  return { ...m, timeToNewSchedulerMs, phases: { ...m.phases, ...phases } };
}

describe("parseEventLogs", () => {
  it("keeps only well-formed event lines, strips Docker timestamps, orders by ts and names the host", () => {
    const events = parseEventLogs(killLeaderLogs());
    expect(events).toHaveLength(25);
    expect(events.map((e) => e.ts)).toEqual([...events.map((e) => e.ts)].sort((a, b) => a - b));
    const stamped = events.find((e) => e.ts === FAULT + 5_800)!;
    expect(stamped).toMatchObject({ component: "km executor", event: "task-status", host: "agent-1", fields: { taskId: "pod.T1", state: "TASK_RUNNING" } });
    expect(events.find((e) => e.event === "framework-failed-over")).toMatchObject({ container: `${RUN}-mesos-master`, host: "mesos-master", node: "mesos-master" });
    expect(events.some((e) => e.container.endsWith("etcd-0"))).toBe(false);
  });

  it("rejects JSON that is not an event and tolerates CRLF and blank lines", () => {
    const text = ['{"ts":"1","component":"x","event":"y"}', '{"ts":1,"event":"y"}', "[1,2]", "null", "", `${ev(1, "kubelet", "n", "scan")}\r`].join("\n");
    const events = parseEventLogs({ c: text });
    expect(events).toEqual([{ ts: FAULT + 1, component: "kubelet", node: "n", event: "scan", container: "c", host: "c", fields: {} }]);
  });

  it("derives the topology node from the container name", () => {
    expect(containerRole(`${RUN}-master-2`)).toBe("master-2");
    expect(containerRole("some-other-container")).toBe("some-other-container");
  });
});

describe("groundTruthPhases", () => {
  const events = parseEventLogs(killLeaderLogs());

  it("derives every phase of a cold-standby failover from the events", () => {
    const truth = groundTruthPhases(events, cold);
    expect(truth.preFaultLeaderNode).toBe("master-1");
    const ms = Object.fromEntries(VALIDATED_MEASURES.map((n) => [n, truth.byMeasure[n].ms]));
    expect(ms).toEqual({
      timeToNewSchedulerMs: 5_550,
      "phases.leaseExpiredMs": null,
      "phases.newLeaderElectedMs": 3_000,
      "phases.schedulerStartedMs": 5_100,
      "phases.frameworkReregisteredMs": 5_550,
      "phases.firstPodRunningMs": 6_200,
    });
    expect(truth.byMeasure["phases.leaseExpiredMs"].reason).toMatch(/etcd is the real etcd/);
    expect(truth.byMeasure["phases.newLeaderElectedMs"].event).toMatchObject({ host: "master-2", fields: { key: "scheduler" } });
    expect(truth.byMeasure["phases.firstPodRunningMs"].event).toMatchObject({ component: "km executor", fields: { taskId: "pod.T2" } });
  });

  it("uses a given pre-fault leader over the one the events name", () => {
    const truth = groundTruthPhases(events, { ...cold, preFaultLeaderNode: "master-2" });
    expect(truth.preFaultLeaderNode).toBe("master-2");
    expect(truth.byMeasure["phases.newLeaderElectedMs"]).toMatchObject({ ms: null, reason: expect.stringMatching(/other than master-2/) });
  });

  it("a leader that lost the key before the fault is not the pre-fault leader", () => {
    const logs = killLeaderLogs();
    logs[`${RUN}-master-1`] += `\n${ev(-1_000, "podmaster", "master-1", "lost", { key: "scheduler" })}`;
    const truth = groundTruthPhases(parseEventLogs(logs), cold);
    expect(truth.preFaultLeaderNode).toBeNull();
    expect(truth.byMeasure["phases.newLeaderElectedMs"]).toMatchObject({ ms: null, reason: expect.stringMatching(/pre-fault leader is unknown/) });
  });

  it("prefers the start on the node where the new scheduler registered", () => {
    const logs = killLeaderLogs();
    // A scheduler that started on master-3 first, but never registered.
    logs[`${RUN}-master-3`] = ev(4_000, "km-scheduler", "master-3", "started");
    expect(groundTruthPhases(parseEventLogs(logs), cold).byMeasure["phases.schedulerStartedMs"].ms).toBe(5_100);
  });

  it("falls back to the kubelet's container-started when the scheduler emits no started events", () => {
    const logs = killLeaderLogs();
    for (const c of [`${RUN}-master-1`, `${RUN}-master-2`]) logs[c] = logs[c]!.split("\n").filter((l) => !/"km-scheduler".*"event":"started"/.test(l)).join("\n");
    const t = groundTruthPhases(parseEventLogs(logs), cold).byMeasure["phases.schedulerStartedMs"];
    expect(t).toMatchObject({ ms: 5_000, reason: expect.stringMatching(/fallback: kubelet/) });
  });

  it("usr1-style restart on the same node: no new leader, the restart and the re-registration are found", () => {
    const logs = killLeaderLogs();
    delete logs[`${RUN}-master-2`];
    logs[`${RUN}-master-1`] += `\n${[
      ev(1_500, "km-scheduler", "master-1", "started"),
      ev(2_000, "km-scheduler", "master-1", "registered", { frameworkId: F1 }),
    ].join("\n")}`;
    logs[`${RUN}-mesos-master`] = logs[`${RUN}-mesos-master`]!.replace(`"ts":${FAULT + 5_550}`, `"ts":${FAULT + 1_990}`);
    const truth = groundTruthPhases(parseEventLogs(logs), cold).byMeasure;
    expect(truth["phases.newLeaderElectedMs"]).toMatchObject({ ms: null, reason: expect.stringMatching(/no podmaster `elected` for key scheduler on a node other than master-1/) });
    expect(truth["phases.schedulerStartedMs"].ms).toBe(1_500);
    expect(truth.timeToNewSchedulerMs.ms).toBe(1_990);
  });

  it("hot standby: the --ha scheduler's elected event on another node", () => {
    const ha = {
      [`${RUN}-master-1`]: [ev(-9_000, "km scheduler", "master-1", "started"), ev(-8_000, "km scheduler", "master-1", "elected")].join("\n"),
      [`${RUN}-master-2`]: [ev(-9_000, "km-scheduler", "master-2", "started"), ev(-8_500, "km-scheduler", "master-2", "standby"), ev(27_000, "km-scheduler", "master-2", "elected")].join("\n"),
    };
    const truth = groundTruthPhases(parseEventLogs(ha), { ...cold, mode: "hot-standby" });
    expect(truth.preFaultLeaderNode).toBe("master-1");
    expect(truth.byMeasure["phases.newLeaderElectedMs"].ms).toBe(27_000);
    expect(truth.byMeasure["phases.schedulerStartedMs"]).toMatchObject({ ms: null, reason: "no km-scheduler `started` after the fault" });
  });

  it("missing events give null with a reason", () => {
    const truth = groundTruthPhases(parseEventLogs({ [`${RUN}-master-1`]: glog("nothing here") }), cold).byMeasure;
    for (const name of VALIDATED_MEASURES) expect(truth[name]).toMatchObject({ ms: null, reason: expect.any(String) });
    expect(truth.timeToNewSchedulerMs.reason).toBe("no mesos-master framework registration before the fault");
    expect(truth["phases.firstPodRunningMs"].reason).toBe("no pod first appeared in the events after the fault");
  });

  it("a re-registration under a new framework id is not the failover", () => {
    const logs = killLeaderLogs();
    logs[`${RUN}-mesos-master`] = logs[`${RUN}-mesos-master`]!.replace(/framework-failed-over","frameworkId":"[^"]+"/, 'framework-registered","frameworkId":"F2"');
    expect(groundTruthPhases(parseEventLogs(logs), cold).byMeasure.timeToNewSchedulerMs).toMatchObject({ ms: null, reason: expect.stringMatching(/new id F2 \(was 20251124/) });
  });

  it("new pods that never run, and events after the trial's end, give null", () => {
    const truth = groundTruthPhases(events, { ...cold, endT: FAULT_T + 6_150 }).byMeasure;
    expect(truth["phases.firstPodRunningMs"]).toMatchObject({ ms: null, reason: expect.stringMatching(/1 pod\(s\) first appeared after the fault \(default\/outage-1\), none reached TASK_RUNNING/) });
    expect(truth.timeToNewSchedulerMs.ms).toBe(5_550);
  });
});

describe("compareToGroundTruth and probeErrorStats", () => {
  const truth = groundTruthPhases(parseEventLogs(killLeaderLogs()), cold);

  it("sets each probe value beside its truth; error = probe − truth", () => {
    const m = measuresWith({ leaseExpiredMs: 2_100, newLeaderElectedMs: 3_004, schedulerStartedMs: 5_180, frameworkReregisteredMs: 5_550, firstPodRunningMs: null }, 5_620);
    m.missing["phases.firstPodRunningMs"] = { code: "no-data", reason: "no pod was created after the fault" };
    const c = compareToGroundTruth(m, truth);
    expect(c.timeToNewSchedulerMs).toEqual({ probeMs: 5_620, truthMs: 5_550, errorMs: 70 });
    expect(c["phases.newLeaderElectedMs"]).toEqual({ probeMs: 3_004, truthMs: 3_000, errorMs: 4 });
    expect(c["phases.schedulerStartedMs"].errorMs).toBe(80);
    expect(c["phases.frameworkReregisteredMs"].errorMs).toBe(0);
    expect(c["phases.leaseExpiredMs"]).toMatchObject({ probeMs: 2_100, truthMs: null, errorMs: null, reason: expect.stringMatching(/^truth: none: etcd/) });
    expect(c["phases.firstPodRunningMs"]).toMatchObject({ probeMs: null, truthMs: 6_200, errorMs: null, reason: "probe: no pod was created after the fault" });
  });

  it("quantiles of |error| per measure over trials, only where both exist", () => {
    const errors = [10, -20, 30, 40, -50];
    const comparisons: Comparison[] = errors.map((e) =>
      compareToGroundTruth(measuresWith({ newLeaderElectedMs: 3_000 + e, frameworkReregisteredMs: null }, 5_550 + e), truth),
    );
    const stats = probeErrorStats(comparisons);
    expect(stats.timeToNewSchedulerMs).toEqual({ n: 5, p50: 30, p95: 48, max: 50 });
    expect(stats["phases.newLeaderElectedMs"]).toEqual({ n: 5, p50: 30, p95: 48, max: 50 });
    expect(stats["phases.frameworkReregisteredMs"]).toEqual({ n: 0, p50: null, p95: null, max: null });
    expect(stats["phases.leaseExpiredMs"].n).toBe(0);
    expect(probeErrorStats([]).timeToNewSchedulerMs.n).toBe(0);
  });

  it("validateRun bounds each trial by the next one and skips trials without a fault", () => {
    const events: GroundTruthEvent[] = parseEventLogs(killLeaderLogs());
    const noFault = computeMeasures([]);
    const run = validateRun(
      {
        topology: { spec: { mode: "cold-standby" } },
        trials: [
          { index: 0, originEpochMs: ORIGIN - 60_000, measures: noFault },
          { index: 1, originEpochMs: ORIGIN, measures: measuresWith({ newLeaderElectedMs: 3_050 }, 5_600) },
          // The next trial starts before outage-1 runs: trial 1 must not see it.
          { index: 2, originEpochMs: FAULT + 6_150, measures: noFault },
        ],
      },
      events,
    );
    expect(run.trials.map((t) => t.index)).toEqual([1]);
    expect(run.trials[0]!.comparison["phases.newLeaderElectedMs"].errorMs).toBe(50);
    expect(run.trials[0]!.truth.byMeasure["phases.firstPodRunningMs"].ms).toBeNull();
    expect(run.stats.timeToNewSchedulerMs).toEqual({ n: 1, p50: 50, p95: 50, max: 50 });
  });
});
