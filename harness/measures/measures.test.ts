import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../history/types.js";
import { coldNodeDeathWindow } from "../timing-oracle/windows.js";
import { computeMeasures, dualSchedulerMs, measureValue, MEASURE_NAMES } from "./measures.js";
import {
  cleanColdFailover,
  dualSchedulerPartition,
  emptyProbesTrial,
  FAULT_T,
  incompatibleDeclinesFailover,
  lostPodFailover,
  ORIGIN,
  tooFastFailover,
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
    expect(m.podsLost).toBe(0);
    expect(m.podRecoveryMs).toBe(44_000);
    expect(m.apiRequests).toEqual({ total: 3, failed: 1, fromT: 1_000, toT: 45_000, until: "recovery" });
    expect(m.apiErrorRate).toBeCloseTo(1 / 3);
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

  it("measures the overlap of two acting schedulers during an etcd partition", () => {
    const m = measure(dualSchedulerPartition());
    expect(m.dualSchedulerMs).toBe(2_500);
    expect(m.timeToNewSchedulerMs).toBe(31_000);
  });

  it("counts a deposed scheduler that comes back (paused node unpaused) as acting until it goes down", () => {
    const tr = cleanColdFailover();
    const extra: HistoryEntry[] = [
      { t: 50_000, kind: "scheduler-health", node: "master-1", up: true },
      { t: 50_400, kind: "scheduler-health", node: "master-1", up: false },
    ];
    expect(dualSchedulerMs([...tr.entries, ...extra].sort((a, b) => a.t - b.t))).toBe(400);
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
    expect(m.missing.dualSchedulerMs).toMatchObject({ code: "no-data", reason: expect.stringMatching(/no node/) });
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
