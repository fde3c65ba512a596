import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../history/types.js";
import { coldNodeDeathWindow } from "../timing-oracle/windows.js";
import { apiFailuresAfter, computeMeasures, dualSchedulerMs, measureValue, MEASURE_NAMES, schedulerProcesses } from "./measures.js";
import {
  apiserverKilled,
  cleanColdFailover,
  dualSchedulerPartition,
  emptyProbesTrial,
  FAULT_T,
  incompatibleDeclinesFailover,
  killSchedulerMissedDisconnect,
  lostPodFailover,
  ORIGIN,
  pausedLeaderFenced,
  tooFastFailover,
  usr1ChildSurvives,
  usr1Clean,
} from "../testing/sample-histories.js";

const measure = (tr: { originEpochMs: number; entries: HistoryEntry[] }, extra = {}) =>
  computeMeasures(tr.entries, { originEpochMs: tr.originEpochMs, model: coldNodeDeathWindow(), logsWatched: true, ...extra });

describe("computeMeasures", () => {
  it("derives every phase of a clean cold-standby failover", () => {
    const m = measure(cleanColdFailover());
    expect(m.faultT).toBe(FAULT_T);
    expect(m.timeToNewSchedulerMs).toBe(40_000);
    expect(m.phases).toEqual({
      leaseExpiredMs: 23_000,
      newLeaderElectedMs: 26_000,
      schedulerStartedMs: 39_000,
      frameworkReregisteredMs: 39_800,
      firstPodRunningMs: 44_000,
    });
    expect(m.dualSchedulerMs).toBe(0);
    expect(m.fencedSchedulers).toBe(0);
    expect(m.podsLost).toBe(0);
    expect(m.podRecoveryMs).toBe(44_000);
    expect(m.apiRequests).toEqual({ total: 3, failed: 1, fromT: 1_000, toT: 45_000, until: "recovery" });
    expect(m.apiErrorRate).toBeCloseTo(1 / 3);
    // Sent 1138 (failed) → next success sent 4996; the failure sent 49996 is the last: 4 ms.
    expect(m.apiOutageMs).toBe(4_996 - 1_138);
    expect(m.incompatibleOfferDeclines).toBe(0);
    expect(m.frameworkIdChanged).toBe(false);
    expect(m.model).toMatchObject({ inside: true, minMs: coldNodeDeathWindow().minMs });
    expect(Object.keys(m.missing)).toEqual([]);
  });

  it("falls back to the observation time when Mesos's reregistered_time cannot be placed", () => {
    const tr = cleanColdFailover();
    const m = computeMeasures(tr.entries, {});
    expect(m.phases.frameworkReregisteredMs).toBe(40_000);
    expect(m.notes.join()).toMatch(/observation time/);
    expect(m.missing.model?.code).toBe("not-applicable");
  });

  it("marks a too-fast sample as outside the model window", () => {
    const m = measure(tooFastFailover());
    expect(m.timeToNewSchedulerMs).toBe(2_000);
    expect(m.model?.inside).toBe(false);
  });

  it("measures the overlap of two acting schedulers during an etcd partition: the fenced one acts until it goes down", () => {
    const m = measure(dualSchedulerPartition());
    // master-2's registration at 32000 fences master-1's live scheduler, gone at 32500. Its
    // bootstrap (30000 →) is not acting: it had not registered.
    expect(m.dualSchedulerMs).toBe(500);
    expect(m.fencedSchedulers).toBe(1);
    expect(m.timeToNewSchedulerMs).toBe(31_000);
    expect(m.notes.join()).toMatch(/fenced schedulers: scheduler\(1\)@10.0.0.11:40001 on master-1 by scheduler\(1\)@10.0.0.12:40002/);
  });

  it("counts a scheduler fenced while frozen from when its node answers again (paused node unpaused) until it goes down", () => {
    const p = schedulerProcesses(pausedLeaderFenced().entries, FAULT_T);
    expect(p).toMatchObject({ dualMs: 300, fencings: [{ t: 25_100, node: "master-1", pid: "scheduler(1)@10.0.0.11:40001" }] });
    // Frozen for good (never answers again, e.g. a killed node Mesos missed): no fencing, no overlap.
    const never = pausedLeaderFenced().entries.filter((e) => !(e.kind === "scheduler-health" && e.node === "master-1" && e.t > 25_000));
    expect(schedulerProcesses(never, FAULT_T)).toEqual({ dualMs: 0, fencings: [] });
  });

  it("a fenced scheduler whose exit the /healthz probe saw just before Mesos's new pid: one fencing, no overlap, and the kubelet's restart is not it", () => {
    // As seen in a partition-etcd run: master-1 down at 31990, master-2's pid at 32000, master-1's
    // kubelet restarts its (crash-looping) scheduler at 33000.
    const entries = dualSchedulerPartition().entries.filter((e) => !(e.kind === "scheduler-health" && e.t === 32_500));
    entries.push({ t: 31_990, kind: "scheduler-health", node: "master-1", up: false }, { t: 33_000, kind: "scheduler-health", node: "master-1", up: true });
    const p = schedulerProcesses(entries.sort((a, b) => a.t - b.t), FAULT_T);
    expect(p).toMatchObject({ dualMs: 0, fencings: [{ t: 32_000, node: "master-1" }] });
  });

  it("counts processes, not nodes: a USR1 child that survives next to the kubelet's restart on the same node", () => {
    const bad = measure(usr1ChildSurvives());
    expect(bad.fencedSchedulers).toBe(1);
    // From the restart's registration (3000) to the end of the history (10000): the child never went away.
    expect(bad.dualSchedulerMs).toBe(7_000);
    const good = measure(usr1Clean());
    expect([good.fencedSchedulers, good.dualSchedulerMs]).toEqual([0, 0]);
  });

  it("does not take a scheduler that died between two Mesos polls for a fenced one", () => {
    const m = measure(killSchedulerMissedDisconnect());
    expect([m.fencedSchedulers, m.dualSchedulerMs]).toEqual([0, 0]);
  });

  it("counts only from the fault: a previous trial settling during steady state is not this trial's overlap", () => {
    const e = dualSchedulerPartition().entries;
    expect(schedulerProcesses(e, 40_000)).toEqual({ dualMs: 0, fencings: [] });
    expect(dualSchedulerMs(e)).toBe(500);
  });

  it("does not count a hot standby that is merely up", () => {
    const tr = cleanColdFailover();
    const entries = tr.entries.map((e) => (e.kind === "scheduler-health" && e.node === "master-2" && e.t < FAULT_T ? { ...e, up: true } : e));
    expect(dualSchedulerMs(entries)).toBe(0);
  });

  it("refuses to compute overlap when pids cannot be placed on nodes", () => {
    const tr = cleanColdFailover();
    const entries = tr.entries.map((e) => (e.kind === "framework" ? { ...e, node: undefined } : e));
    const m = computeMeasures(entries);
    expect(m.dualSchedulerMs).toBeNull();
    expect(m.fencedSchedulers).toBeNull();
    expect(m.missing.dualSchedulerMs).toMatchObject({ code: "no-data", reason: expect.stringMatching(/no node/) });
  });

  it("apiOutageMs: the longest run of failed requests sent after the fault; ones sent before it do not count", () => {
    expect(measure(apiserverKilled(true)).apiOutageMs).toBe(0);
    expect(measure(apiserverKilled(false)).apiOutageMs).toBe(200);
    const api = apiFailuresAfter(apiserverKilled(false).entries, FAULT_T);
    expect(api.failed.map((r) => r.t)).toEqual([1_305, 1_405]);
    // The request in flight at the kill (sent 990, before the fault) is left out.
    expect(apiFailuresAfter(apiserverKilled(true).entries, FAULT_T).failed).toEqual([]);
    expect(apiFailuresAfter(apiserverKilled(true).entries, 900).failed.map((r) => r.t)).toEqual([1_010]);
  });

  it("a pod the harness asked for during the outage is an outage pod even when first seen after the takeover", () => {
    // The create went to a frozen apiserver and landed late: first seen Running at 45000, after the new scheduler (41000).
    const late = cleanColdFailover().entries.filter((e) => !(e.kind === "pod" && e.uid === "u3" && e.phase === "Pending"));
    expect(computeMeasures(late).podRecoveryMs).toBe(44_000);
    const notAsked = late.filter((e) => e.kind !== "workload");
    expect(computeMeasures(notAsked).missing.podRecoveryMs?.code).toBe("no-data");
  });

  it("counts declines from logs only when the log probe saw scheduler output; else missing with the reason", () => {
    const blind = cleanColdFailover().entries.filter((e) => e.kind !== "log-match");
    const m = computeMeasures(blind, { logsWatched: true });
    expect(m.incompatibleOfferDeclinesBySource).toEqual({ metrics: 0, logs: null });
    expect(m.missing["incompatibleOfferDeclinesBySource.logs"]?.reason).toMatch(/saw no scheduler output.*sibling container/);
    expect(measure(cleanColdFailover()).incompatibleOfferDeclinesBySource).toEqual({ metrics: 0, logs: 0 });
  });

  it("counts pods lost, ignoring the ones the harness deleted and mirror pods", () => {
    const m = measure(lostPodFailover());
    expect(m.podsLost).toBe(1);
    expect(m.lostPods).toEqual(["default/web-2"]);
    expect(m.podRecoveryMs).toBe(44_000);
  });

  it("reports incompatible declines from both sources, handling counter resets", () => {
    const m = measure(incompatibleDeclinesFailover());
    expect(m.incompatibleOfferDeclinesBySource).toEqual({ metrics: 4, logs: 4 });
    expect(m.incompatibleOfferDeclines).toBe(4);
    const noLogs = computeMeasures(incompatibleDeclinesFailover().entries.filter((e) => e.kind !== "log-match"));
    expect(noLogs.incompatibleOfferDeclinesBySource).toEqual({ metrics: 4, logs: null });
    expect(noLogs.missing["incompatibleOfferDeclinesBySource.logs"]?.code).toBe("no-data");
  });

  it("returns null with a reason, never a number, when the probes saw nothing", () => {
    const m = measure(emptyProbesTrial(), { logsWatched: false });
    for (const name of MEASURE_NAMES) {
      expect(measureValue(m, name), name).toBeNull();
      expect(m.missing[name]?.reason, name).toBeTruthy();
    }
    expect(m.missing.timeToNewSchedulerMs?.code).toBe("no-data");
    expect(m.model?.inside).toBeNull();
  });

  it("says not-observed when the framework never moved, and detects a lost framework id", () => {
    const tr = cleanColdFailover();
    const stuck = tr.entries.filter((e) => !(e.kind === "framework" && e.active && e.t > FAULT_T));
    const m = computeMeasures(stuck);
    expect(m.timeToNewSchedulerMs).toBeNull();
    expect(m.missing.timeToNewSchedulerMs?.code).toBe("not-observed");
    expect(m.missing.podRecoveryMs).toBeUndefined();

    const newId: HistoryEntry[] = [...stuck, { t: 41_000, kind: "framework", id: "other-0001", name: "Kubernetes", active: true, pid: "x@1:1", node: "master-2" }];
    const m2 = computeMeasures(newId.sort((a, b) => a.t - b.t));
    expect(m2.frameworkIdChanged).toBe(true);
    expect(m2.missing.timeToNewSchedulerMs?.reason).toMatch(/new id other-0001/);
  });

  it("has no fault-relative measures in a trial without a fault", () => {
    const entries = cleanColdFailover().entries.filter((e) => e.kind !== "fault");
    const m = computeMeasures(entries);
    expect(m.faultT).toBeNull();
    expect(m.timeToNewSchedulerMs).toBeNull();
    expect(m.missing.timeToNewSchedulerMs?.code).toBe("not-applicable");
    expect(m.incompatibleOfferDeclines).toBe(0);
  });

  it("uses the --ha election key when it was held at the fault", () => {
    const key = "/mesos/k8sm/framework/Kubernetes/leader";
    const entries: HistoryEntry[] = [
      { t: 5, kind: "etcd-key", key, value: "abc_1" },
      { t: FAULT_T, kind: "fault", name: "kill-leader", action: "inject", targets: ["master-1"] },
      { t: 20_000, kind: "etcd-key", key, value: null },
      { t: 30_000, kind: "etcd-key", key, value: "abc_2" },
    ];
    const m = computeMeasures(entries);
    expect(m.phases.leaseExpiredMs).toBe(19_000);
    expect(m.phases.newLeaderElectedMs).toBe(29_000);
    expect(ORIGIN).toBeGreaterThan(0);
  });
});
