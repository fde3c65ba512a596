import { describe, expect, it } from "vitest";
import type { TrialResult } from "../reporting/result.js";
import { unknownReasons } from "./scenario.js";

const trial = (index: number, t: Partial<TrialResult>): TrialResult => ({ index, originEpochMs: 0, fault: null, measures: {} as TrialResult["measures"], checks: [], verdict: "pass", history: [], ...t });

describe("unknownReasons", () => {
  it("says for each unknown trial why: its note when it never injected or was cut, else its checks that could not tell", () => {
    const reasons = unknownReasons([
      trial(0, { verdict: "pass" }),
      trial(1, { verdict: "unknown", checks: [{ name: "recovery-within-bound", verdict: "unknown", message: "no pod was created after the fault", details: {} }, { name: "no-pod-lost", verdict: "pass", message: "", details: {} }] }),
      trial(2, { verdict: "unknown", history: [{ t: 5, kind: "note", text: "no steady state within 60000 ms: etcd down; fault not injected" }] }),
      trial(3, { verdict: "unknown", history: [{ t: 9, kind: "note", text: "fault delivered 6.0 s after it was fired (more than 5.0 s): verdict unknown" }] }),
    ]);
    expect(reasons).toEqual([
      "trial 2: recovery-within-bound: no pod was created after the fault",
      "trial 3: no steady state within 60000 ms: etcd down; fault not injected",
      "trial 4: fault delivered 6.0 s after it was fired (more than 5.0 s): verdict unknown",
    ]);
    // Never the baseline's words for a trial whose baseline was fine.
    expect(reasons.join("\n")).not.toMatch(/no healthy baseline/);
  });
});
