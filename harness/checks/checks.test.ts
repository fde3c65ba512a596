import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../history/types.js";
import { computeMeasures } from "../measures/measures.js";
import {
  cleanColdFailover,
  dualSchedulerPartition,
  emptyProbesTrial,
  FAULT_T,
  incompatibleDeclinesFailover,
  lostPodFailover,
  tooFastFailover,
  type SampleTrial,
} from "../testing/sample-histories.js";
import { coldNodeDeathWindow, partitionEtcdWindow, podRecoveryBoundMs } from "../timing-oracle/windows.js";
import {
  checkBaseline,
  checkIncompatibleDeclines,
  checkNoPodLost,
  checkRecoveryWithin,
  checkSingleScheduler,
  checkTiming,
  combineVerdicts,
  evaluateTrial,
  type CheckSpec,
} from "./checks.js";

const model = coldNodeDeathWindow();
const SPECS: CheckSpec[] = [
  { check: "timing-oracle" },
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

  it("fail on a dual-scheduler overlap beyond the bound, pass within the predicted partition bound", () => {
    const m = measures(dualSchedulerPartition());
    expect(checkSingleScheduler(m)).toMatchObject({ verdict: "fail", details: { dualSchedulerMs: 2_500 } });
    const bound = partitionEtcdWindow("cold-standby", 40_000).overlap.maxMs;
    expect(checkSingleScheduler(m, { maxOverlapMs: bound }).verdict).toBe("pass");
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

  it("combine: fail > unknown > pass", () => {
    expect(combineVerdicts(["pass", "unknown", "fail"])).toBe("fail");
    expect(combineVerdicts(["pass", "unknown"])).toBe("unknown");
    expect(combineVerdicts(["pass"])).toBe("pass");
    expect(combineVerdicts([])).toBe("pass");
  });
});
