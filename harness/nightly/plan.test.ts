/**
 * The plan file and the schedule: every mistake in the plan is refused naming the file and the
 * field (exit 2, before any container); longest first over the slots; estimates. The checked-in
 * plan and the command line: scenarios/nightly.test.ts.
 */
import { describe, expect, it } from "vitest";
import { defineScenario } from "../runner/types.js";
import { parseNightlyPlan } from "./plan.js";
import { estimateRunMs, scheduleLongestFirst } from "./schedule.js";
import { FAST_SPEC } from "../topology/spec.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const baseline = defineScenario({
  name: "baseline", description: "d", topology: [], fault: { kind: "none" }, model: null,
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
const catalogue = [baseline, killLeader];
const parse = (text: string) => parseNightlyPlan(text, "p.yaml", catalogue);

describe("nightly plan", () => {
  it("reads profile, repeats and thresholds; runs exactly the scenarios listed, in catalogue order", () => {
    expect(parse("scenarios: { kill-leader: {} }").scenarios.map((s) => s.scenario.name)).toEqual(["kill-leader"]);
    const p = parse(`profile: fast
defaults: { repeat: 4 }
thresholds: [{ measure: timeToNewSchedulerMs, stat: p50, maxIncrease: 20% }]
scenarios:
  baseline: {}
  kill-leader: { repeat: 5, seed: 9, thresholds: [{ measure: podRecoveryMs, stat: p90, maxIncrease: 0.5, level: 0.9, minShift: 100 }] }
`);
    expect(p.profile).toBe("fast");
    expect(p.scenarios.map((s) => [s.scenario.name, s.repeat, s.seed])).toEqual([["baseline", 4, undefined], ["kill-leader", 5, 9]]);
    expect(p.scenarios[0]!.thresholds).toEqual([{ measure: "timeToNewSchedulerMs", stat: "p50", maxIncrease: 0.2, level: 0.95, minShift: 0 }]);
    expect(p.scenarios[1]!.thresholds).toEqual([{ measure: "podRecoveryMs", stat: "p90", maxIncrease: 0.5, level: 0.9, minShift: 100 }]);
  });

  it.each([
    ["profile: slow", /p\.yaml: profile: expected one of seed, fast, got "slow"/],
    ["scenarios: { kill-leadr: {} }", /scenarios\.kill-leadr: no such scenario; did you mean kill-leader\?/],
    ["scenarios: { kill-leader: { repeat: 0 } }", /scenarios\.kill-leader\.repeat: must be between 1 and 1000, got 0/],
    ["scenarios: { kill-leader: { repeat: two } }", /scenarios\.kill-leader\.repeat: expected an integer, got "two"/],
    ["scenarios: { kill-leader: { repeats: 3 } }", /scenarios\.kill-leader\.repeats: unknown field; did you mean repeat\?/],
    ["defaults: { repeat: 1.5 }\nscenarios: { baseline: {} }", /defaults\.repeat: expected an integer/],
    ["thresholds: [{ measure: timeToNewScheduler, maxIncrease: 20% }]", /thresholds\[0\]\.measure: unknown measure "timeToNewScheduler"; did you mean timeToNewSchedulerMs\?/],
    ["thresholds: [{ measure: podRecoveryMs, stat: p99, maxIncrease: 20% }]", /thresholds\[0\]\.stat: expected p50 or p90/],
    ["thresholds: [{ measure: podRecoveryMs }]", /thresholds\[0\]\.maxIncrease: missing/],
    ["thresholds: [{ measure: podRecoveryMs, maxIncrease: lots }]", /thresholds\[0\]\.maxIncrease: expected a percentage/],
    ["thresholds: [{ measure: podRecoveryMs, maxIncrease: 20%, level: 95 }]", /thresholds\[0\]\.level: expected a confidence level/],
    ["budget: 60m", /p\.yaml: budget: unknown field/],
    ["profile: fast", /p\.yaml: scenarios: lists no scenario/],
    ["profile: [", /p\.yaml: not valid YAML/],
  ])("refuses %j naming the field", (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });
});

describe("schedule", () => {
  it("hands the longest first to the slot that frees first, and a job that would end past the budget does not hold its slot", () => {
    const jobs = [{ job: "a", estimateMs: 10 }, { job: "b", estimateMs: 40 }, { job: "c", estimateMs: 30 }, { job: "d", estimateMs: 25 }, { job: "e", estimateMs: 5 }];
    const s = scheduleLongestFirst(jobs, 2, 50);
    expect(s.map((x) => [x.job, x.startMs, x.endMs, x.fits])).toEqual([
      ["b", 0, 40, true],
      ["c", 0, 30, true],
      ["d", 30, 55, false],
      ["a", 30, 40, true],
      ["e", 40, 45, true],
    ]);
  });

  it("estimates from the model, or from the baseline's measured run scaled to tonight's repeat", () => {
    const plan = { scenario: killLeader, spec: FAST_SPEC, repeat: 3, seed: 1, options: {} };
    const model = estimateRunMs(plan);
    expect(model.how).toMatch(/^model: launch \d+ s \+ 3 × \d+ s/);
    expect(estimateRunMs({ ...plan, repeat: 6 }).ms).toBeGreaterThan(model.ms);
    const measured = estimateRunMs(plan, { durationMs: 75_000, repeat: 5 });
    expect(measured).toMatchObject({ ms: 51_000, how: expect.stringMatching(/^measured: the baseline's run took 75 s for 5 trial/) });
  });
});
