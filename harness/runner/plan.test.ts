import { describe, expect, it } from "vitest";
import { FAST_SPEC, SEED_SPEC, applySetOverrides } from "../topology/spec.js";
import { PROBE_INTERVAL_MS, checksFor, modelFor, observeBudgetMs, renewalPeriodMs, seededRandom } from "./plan.js";
import { defineScenario } from "./types.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const partition = defineScenario({
  name: "partition-etcd", description: "d", topology: [], fault: { kind: "partition-etcd", target: "scheduler-leader", durationTtl: 3 },
  model: "partition-etcd", expect: { incompatibleDeclines: "none", dualScheduler: "bounded", failover: true },
});

describe("scenario plan", () => {
  it("derives the cold-standby window from the spec's timers (seed: worst 55.5 s + T_c + T_b + probe)", () => {
    const w = modelFor(killLeader, SEED_SPEC)!;
    expect(w.maxMs).toBe(30_000 + 500 + 5_000 + 20_000 + 5_000 + 2_000 + PROBE_INTERVAL_MS);
    const fast = modelFor(killLeader, FAST_SPEC)!;
    expect(fast.maxMs).toBeLessThan(w.maxMs);
  });

  it("uses the hot-standby window when the mode is hot standby", () => {
    const hot = applySetOverrides(FAST_SPEC, ["mode=hot-standby"]);
    expect(modelFor(killLeader, hot)!.case).toBe("hot-standby");
  });

  it("allows an overlap only where the scenario expects one, bounded by the model", () => {
    const none = checksFor(killLeader, modelFor(killLeader, FAST_SPEC));
    expect(none).toContainEqual({ check: "single-active-scheduler", maxOverlapMs: 0 });
    const bounded = checksFor(partition, modelFor(partition, FAST_SPEC));
    const single = bounded.find((c) => c.check === "single-active-scheduler") as { maxOverlapMs: number };
    expect(single.maxOverlapMs).toBeGreaterThan(0);
  });

  it("draws the fault phase within the renewal period and budgets the observe phase past the fault", () => {
    expect(renewalPeriodMs(killLeader, SEED_SPEC)).toBe(15_000);
    expect(observeBudgetMs(partition, FAST_SPEC, modelFor(partition, FAST_SPEC))).toBeGreaterThan(2 * 18_000);
  });

  it("seeded random is reproducible and in [0, 1)", () => {
    const a = seededRandom(42), b = seededRandom(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
  });
});

describe("hot-standby timers", () => {
  it("reads the emulation's election knobs from the fast profile, else km's constants", async () => {
    const { hotTimers } = await import("./plan.js");
    expect(hotTimers(FAST_SPEC)).toEqual({ electionTtlSecs: 6, electionPeriodSecs: 4.8 });
    expect(hotTimers(SEED_SPEC)).toEqual({ electionTtlSecs: 30, electionPeriodSecs: 24 });
  });
});

describe("checks for the incompatible-executor trap", () => {
  it("requires declines and does not require pod recovery", () => {
    const trap = defineScenario({
      name: "incompatible-executor", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
      model: "cold-node-death", expect: { incompatibleDeclines: "required", dualScheduler: "none", failover: true },
    });
    const checks = checksFor(trap, modelFor(trap, FAST_SPEC));
    expect(checks).toContainEqual({ check: "incompatible-offer-declines", expected: true });
    expect(checks.some((c) => c.check === "recovery-within-bound")).toBe(false);
    expect(checks.some((c) => c.check === "timing-oracle")).toBe(true);
  });
});
