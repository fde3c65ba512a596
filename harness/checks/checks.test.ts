import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../history/types.js";
import { computeMeasures } from "../measures/measures.js";
import {
  apiserverKilled,
  cleanColdFailover,
  dualSchedulerPartition,
  emptyProbesTrial,
  FAULT_T,
  incompatibleDeclinesFailover,
  killSchedulerMissedDisconnect,
  lostPodFailover,
  noFailoverTrial,
  pausedLeaderFenced,
  tooFastFailover,
  usr1ChildSurvives,
  usr1Clean,
  type SampleTrial,
} from "../testing/sample-histories.js";
import { coldNodeDeathWindow, electionDelayBoundMs, overlapBounds, partitionEtcdWindow, podRecoveryBoundMs, SEED_NGINX } from "../timing-oracle/windows.js";
import {
  checkApiReroute,
  checkBaseline,
  checkElectionDelay,
  checkIncompatibleDeclines,
  checkNoFailover,
  checkNoPodLost,
  checkRecoveryWithin,
  checkSingleScheduler,
  checkTiming,
  combineVerdicts,
  evaluateTrial,
  runCheck,
  type CheckSpec,
} from "./checks.js";

const model = coldNodeDeathWindow();
const SPECS: CheckSpec[] = [
  { check: "timing-oracle" },
  { check: "election-delay", boundMs: electionDelayBoundMs("cold-standby") },
  { check: "single-active-scheduler" },
  { check: "no-pod-lost" },
  { check: "recovery-within-bound", boundMs: podRecoveryBoundMs(model) },
  { check: "incompatible-offer-declines", expected: false },
];
const measures = (tr: SampleTrial) => computeMeasures(tr.entries, { originEpochMs: tr.originEpochMs, model, logsWatched: true });
const verdicts = (tr: SampleTrial, specs = SPECS) => {
  const ev = evaluateTrial(tr, specs, { model, logsWatched: true });
  return { verdict: ev.verdict, by: Object.fromEntries(ev.checks.map((c) => [c.name, c.verdict])) };
};

describe("checks", () => {
  it("pass every check on a clean failover", () => {
    expect(verdicts(cleanColdFailover())).toEqual({
      verdict: "pass",
      by: {
        "healthy-baseline": "pass",
        "timing-oracle": "pass",
        "election-delay": "pass",
        "single-active-scheduler": "pass",
        "no-pod-lost": "pass",
        "recovery-within-bound": "pass",
        "incompatible-offer-declines": "pass",
      },
    });
  });

  it("fail the timing oracle when the failover is too fast, and when too slow", () => {
    const fast = checkTiming(measures(tooFastFailover()));
    expect(fast.verdict).toBe("fail");
    expect(fast.message).toMatch(/too fast/);
    const slow = checkTiming(computeMeasures(cleanColdFailover().entries, { model: { minMs: 0, expectedMs: 1, maxMs: 39_999 } }));
    expect(slow).toMatchObject({ verdict: "fail", details: { sampleMs: 40_000 } });
    expect(slow.message).toMatch(/too slow/);
    expect(verdicts(tooFastFailover()).verdict).toBe("fail");
  });

  it("timing is unknown without a model, fails when no new scheduler came, unknown when nothing was seen", () => {
    expect(checkTiming(computeMeasures(cleanColdFailover().entries)).verdict).toBe("unknown");
    const stuck = cleanColdFailover().entries.filter((e) => !(e.kind === "framework" && e.active && e.t > FAULT_T));
    expect(checkTiming(computeMeasures(stuck, { model })).verdict).toBe("fail");
    expect(checkTiming(measures(emptyProbesTrial())).verdict).toBe("unknown");
  });

  it("single scheduler: a fencing fails where none is expected; within the partition bound it passes; 5 s of overlap fails", () => {
    const m = measures(dualSchedulerPartition());
    expect(checkSingleScheduler(m, { maxFencings: 0 })).toMatchObject({ verdict: "fail", details: { fencedSchedulers: 1 } });
    const bounds = overlapBounds(partitionEtcdWindow("cold-standby", 40_000));
    expect(checkSingleScheduler(m, bounds).verdict).toBe("pass");
    expect(checkSingleScheduler(m, { ...bounds, perFencingMs: 400 }).verdict).toBe("fail");
    // The fenced scheduler goes on for 5 s (Mesos did not fence it): fails the seed's and the fast profile's bounds.
    const unfenced = dualSchedulerPartition().entries.map((e) => (e.kind === "scheduler-health" && e.t === 32_500 ? { ...e, t: 37_000 } : e)).sort((a, b) => a.t - b.t);
    const mu = computeMeasures(unfenced, { model });
    expect(mu.dualSchedulerMs).toBe(5_000);
    for (const w of [partitionEtcdWindow("cold-standby", 90_000), partitionEtcdWindow("cold-standby", 18_000, { cold: { ttlSecs: 6, sleepSecs: 1, fileCheckSecs: 1, syncSecs: 1 } })]) {
      expect(checkSingleScheduler(mu, overlapBounds(w)).message).toMatch(/acted at once for 5.00 s/);
    }
  });

  it("single scheduler counts processes: a USR1 child surviving next to the kubelet's restart fails; a clean restart passes", () => {
    const none = { maxFencings: 0, perFencingMs: 0 };
    expect(checkSingleScheduler(measures(usr1ChildSurvives()), none)).toMatchObject({ verdict: "fail", message: expect.stringMatching(/fenced 1 connected/) });
    expect(checkSingleScheduler(measures(usr1Clean()), none).verdict).toBe("pass");
    expect(checkSingleScheduler(measures(killSchedulerMissedDisconnect()), none).verdict).toBe("pass");
  });

  it("single scheduler after a pause: the old leader must be gone by heal + settle, only the key holder runs a scheduler", () => {
    const tr = pausedLeaderFenced();
    const opts = { maxFencings: 1, perFencingMs: 1_200, settleAfterHealMs: 10_000 };
    expect(checkSingleScheduler(measures(tr), opts, tr.entries)).toMatchObject({ verdict: "pass", details: { settle: { verdict: "pass" } } });
    // Its podmaster kept the manifest: the kubelet runs it again at 40000, long after heal (25000) + 10 s.
    const kept = [...tr.entries, { t: 40_000, kind: "scheduler-health" as const, node: "master-1", up: true }].sort((a, b) => a.t - b.t);
    expect(checkSingleScheduler(computeMeasures(kept, { model }), { ...opts, perFencingMs: 100_000 }, kept)).toMatchObject({ verdict: "fail", message: expect.stringMatching(/still ran on master-1/) });
    // Or it was back before the bound and still up at it (later gone: fenced again by the new leader).
    const across = [...tr.entries, { t: 34_000, kind: "scheduler-health" as const, node: "master-1", up: true }, { t: 36_000, kind: "scheduler-health" as const, node: "master-1", up: false }].sort((a, b) => a.t - b.t);
    expect(checkSingleScheduler(computeMeasures(across, { model }), { ...opts, perFencingMs: 100_000 }, across).verdict).toBe("fail");
    // Observation that ends before the old leader had to be gone cannot tell.
    const short = tr.entries.filter((e) => e.t < 30_000);
    expect(checkSingleScheduler(computeMeasures(short, { model }), opts, short).verdict).toBe("unknown");
  });

  it("no failover: passes when pid and key holder stay, fails on a new pid, a disconnect, or a lease lapse", () => {
    const ok = noFailoverTrial();
    expect(checkNoFailover(measures(ok), ok.entries)).toMatchObject({ verdict: "pass" });
    const lapse = noFailoverTrial(true);
    expect(checkNoFailover(measures(lapse), lapse.entries)).toMatchObject({ verdict: "fail", message: expect.stringMatching(/leader key lost its holder at \+7000 ms/) });
    const failover = cleanColdFailover();
    const c = checkNoFailover(measures(failover), failover.entries);
    expect(c.verdict).toBe("fail");
    expect(c.message).toMatch(/registered at \+40000 ms/);
    expect(c.message).toMatch(/inactive/);
    expect(checkNoFailover(measures(ok), ok.entries, { unjudgeable: "timers" })).toMatchObject({ verdict: "unknown", message: "timers" });
    expect(checkNoFailover(measures(emptyProbesTrial()), emptyProbesTrial().entries).verdict).toBe("unknown");
    expect(runCheck({ check: "no-failover" }, measures(lapse), lapse.entries).verdict).toBe("fail");
  });

  it("election delay: the expired key taken within the standby's poll passes, later fails", () => {
    const m = measures(cleanColdFailover()); // expired +23000, elected +26000
    expect(checkElectionDelay(m, { boundMs: 5_600 })).toMatchObject({ verdict: "pass", details: { delayMs: 3_000 } });
    expect(checkElectionDelay(m, { boundMs: 2_000 }).verdict).toBe("fail");
    const noNewHolder = cleanColdFailover().entries.filter((e) => !(e.kind === "etcd-key" && e.value === "10.0.0.12"));
    expect(checkElectionDelay(computeMeasures(noNewHolder), { boundMs: 5_600 }).verdict).toBe("fail");
  });

  it("api reroute: no request sent after the fault may fail; one sent before it may; unknown without proxy_next_upstream error", () => {
    const nginx = { nextUpstream: SEED_NGINX.nextUpstream, connectTimeoutMs: SEED_NGINX.connectTimeoutMs };
    const good = apiserverKilled(true);
    expect(checkApiReroute(good.entries, FAULT_T, nginx)).toMatchObject({ verdict: "pass", details: { failed: 0 } });
    const bad = apiserverKilled(false);
    expect(checkApiReroute(bad.entries, FAULT_T, nginx)).toMatchObject({ verdict: "fail", details: { failed: 2, apiOutageMs: 200 } });
    // nginx without proxy_next_upstream fails only the first request it routes to the dead apiserver
    // (then rests it for fail_timeout), possibly while the kill is still being delivered: one is enough.
    const one = [...good.entries, { t: 1_150, kind: "api-request" as const, ok: false, status: 502, latencyMs: 100 }].sort((a, b) => a.t - b.t);
    expect(checkApiReroute(one, FAULT_T, nginx)).toMatchObject({ verdict: "fail", details: { failed: 1 } });
    expect(checkApiReroute(bad.entries, FAULT_T, { ...nginx, nextUpstream: [] }).verdict).toBe("unknown");
    expect(checkApiReroute(emptyProbesTrial().entries, FAULT_T, nginx).verdict).toBe("unknown");
  });

  it("api reroute: a POST in flight to the apiserver when it died may fail (nginx does not resend a non-idempotent request); a GET, or a POST sent after it was seen down, may not", () => {
    const nginx = { nextUpstream: SEED_NGINX.nextUpstream, connectTimeoutMs: SEED_NGINX.connectTimeoutMs };
    const with_ = (...extra: HistoryEntry[]) => [...apiserverKilled(true).entries, { t: 1_120, kind: "apiserver-health" as const, node: "master-1", up: false }, ...extra].sort((a, b) => a.t - b.t);
    const failing = (sentT: number, op: string): HistoryEntry => ({ t: sentT + 50, kind: "api-request", ok: false, status: 502, latencyMs: 50, op });
    expect(checkApiReroute(with_(failing(1_050, "POST /api/v1/namespaces/default/pods")), FAULT_T, nginx)).toMatchObject({
      verdict: "pass", message: expect.stringMatching(/1 non-idempotent request\(s\) in flight/), details: { failed: 0, inFlightNonIdempotent: 1 },
    });
    expect(checkApiReroute(with_(failing(1_050, "GET /api/v1/pods")), FAULT_T, nginx)).toMatchObject({ verdict: "fail", details: { failed: 1 } });
    expect(checkApiReroute(with_(failing(1_150, "POST /api/v1/namespaces/default/pods")), FAULT_T, nginx)).toMatchObject({ verdict: "fail", details: { failed: 1, inFlightNonIdempotent: 0 } });
    // Without seeing the apiserver go down, nothing is excused.
    const unseen = [...apiserverKilled(true).entries, failing(1_050, "POST /api/v1/namespaces/default/pods")].sort((a, b) => a.t - b.t);
    expect(checkApiReroute(unseen, FAULT_T, nginx).verdict).toBe("fail");
  });

  it("fail on a lost pod, naming it", () => {
    const c = checkNoPodLost(measures(lostPodFailover()));
    expect(c.verdict).toBe("fail");
    expect(c.message).toMatch(/default\/web-2/);
  });

  it("recovery: fail past the bound or when pods never run, unknown when no pod was created", () => {
    expect(checkRecoveryWithin(measures(cleanColdFailover()), { boundMs: 10_000 }).verdict).toBe("fail");
    const neverRuns = cleanColdFailover().entries.filter((e) => !(e.kind === "pod" && e.uid === "u3" && e.phase === "Running"));
    expect(checkRecoveryWithin(computeMeasures(neverRuns), { boundMs: 1e9 }).verdict).toBe("fail");
    const noNewPod = cleanColdFailover().entries.filter((e) => !(e.kind === "pod" && e.uid === "u3"));
    expect(checkRecoveryWithin(computeMeasures(noNewPod), { boundMs: 1e9 }).verdict).toBe("unknown");
  });

  it("incompatible declines: fail when present unexpectedly, pass when expected, fail when expected but absent", () => {
    const m = measures(incompatibleDeclinesFailover());
    expect(checkIncompatibleDeclines(m, { expected: false }).verdict).toBe("fail");
    expect(checkIncompatibleDeclines(m, { expected: true })).toMatchObject({ verdict: "pass", details: { metrics: 4, logs: 4 } });
    expect(checkIncompatibleDeclines(measures(cleanColdFailover()), { expected: true }).verdict).toBe("fail");
    expect(checkIncompatibleDeclines(computeMeasures(emptyProbesTrial().entries), { expected: false }).verdict).toBe("unknown");
  });

  it("incompatible declines expected only while an agent runs an executor another master prepared than the new leader (master-2)", () => {
    const preparedBy = (tr: SampleTrial, node: string): HistoryEntry[] =>
      tr.entries.map((e) => (e.kind === "framework" && e.t <= FAULT_T ? { ...e, executors: [{ id: "e1_k8sm-executor", agent: "agent-1", artifactNode: node }] } : e));
    const declined = incompatibleDeclinesFailover();
    const clean = cleanColdFailover();
    const judge = (entries: HistoryEntry[], tr: SampleTrial) => checkIncompatibleDeclines(measures({ ...tr, entries }), { expected: true }, entries);
    // Executors of master-1 at the fault, master-2 leads after it: declines required.
    expect(judge(preparedBy(declined, "master-1"), declined)).toMatchObject({ verdict: "pass", details: { expected: true, foreignExecutorsAtFault: 1, newLeader: "master-2" } });
    expect(judge(preparedBy(clean, "master-1"), clean).verdict).toBe("fail");
    // The agents run the new leader's own executors: none may be declined.
    expect(judge(preparedBy(clean, "master-2"), clean)).toMatchObject({ verdict: "pass", message: expect.stringMatching(/none expected: every executor at the fault was prepared by the new leader master-2/) });
    expect(judge(preparedBy(declined, "master-2"), declined).verdict).toBe("fail");
    // Which master prepared an executor unknown (its URI names no master): required, as before.
    const unknown = declined.entries.map((e) => (e.kind === "framework" && e.t <= FAULT_T ? { ...e, executors: [{ id: "e1", agent: "agent-1" }] } : e));
    // No executor at the fault: the new leader launches its own, nothing to decline.
    expect(checkIncompatibleDeclines(measures(declined), { expected: true }, declined.entries)).toMatchObject({ verdict: "fail", message: expect.stringMatching(/none expected: no executor ran at the fault/), details: { expected: false, foreignExecutorsAtFault: 0 } });
    expect(judge(unknown, declined).details).toMatchObject({ expected: true });
  });

  it("missing data gives unknown, not pass", () => {
    const ev = evaluateTrial(emptyProbesTrial(), SPECS, { model });
    expect(ev.verdict).toBe("unknown");
    expect(ev.checks.map((c) => c.verdict)).toEqual(SPECS.map(() => "unknown").concat("unknown"));
  });

  it("without a healthy baseline the trial is unknown, even when a check fails", () => {
    const entries: HistoryEntry[] = tooFastFailover().entries.map((e) =>
      e.kind === "scheduler-health" && e.node === "master-1" && e.t < FAULT_T ? { ...e, up: false } : e,
    );
    const b = checkBaseline(entries, FAULT_T);
    expect(b.verdict).toBe("unknown");
    expect(b.message).toMatch(/no scheduler answering/);
    expect(evaluateTrial({ originEpochMs: 0, entries }, SPECS, { model }).verdict).toBe("unknown");
  });

  it("baseline: a scheduler that missed one /healthz poll just before the fault still answers; one down for longer does not", () => {
    // master-1's scheduler (the only one up) is seen down at 1050.
    const e = cleanColdFailover().entries;
    expect(checkBaseline(e, 1_080).verdict).toBe("pass");
    expect(checkBaseline(e, 3_000)).toMatchObject({ verdict: "unknown", message: expect.stringMatching(/no scheduler answering/) });
  });

  it("combine: fail > unknown > pass", () => {
    expect(combineVerdicts(["pass", "unknown", "fail"])).toBe("fail");
    expect(combineVerdicts(["pass", "unknown"])).toBe("unknown");
    expect(combineVerdicts(["pass"])).toBe("pass");
    expect(combineVerdicts([])).toBe("pass");
  });
});
