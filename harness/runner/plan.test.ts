import { describe, expect, it } from "vitest";
import { FAST_SPEC, SEED_SPEC, applySetOverrides } from "../topology/spec.js";
import type { HistoryEntry } from "../history/types.js";
import {
  PROBE_INTERVAL_MS,
  checksFor,
  minObserveMs,
  modelFor,
  observeBudgetMs,
  planForTrial,
  priorSchedulerRestarts,
  renewalPeriodMs,
  resolvePlan,
  seededRandom,
  type EarlierTrial,
} from "./plan.js";
import { defineScenario } from "./types.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const apiKill = defineScenario({
  name: "kill-apiserver", description: "d", topology: [], fault: { kind: "signal-process", target: "scheduler-leader", process: "apiserver", signal: "SIGKILL" },
  model: null, expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false, apiRerouted: true },
});
const etcdKill = defineScenario({
  name: "kill-etcd-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "etcd-leader" },
  model: null, expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
const killScheduler = defineScenario({
  name: "kill-scheduler", description: "d", topology: [], fault: { kind: "signal-process", target: "scheduler-leader", process: "scheduler", signal: "SIGKILL" },
  model: "cold-scheduler-restart", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
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

  it("allows fencings only where the scenario expects an overlap, bounded by the model", () => {
    const none = checksFor(killLeader, FAST_SPEC, modelFor(killLeader, FAST_SPEC));
    expect(none).toContainEqual({ check: "single-active-scheduler", maxFencings: 0, perFencingMs: 0 });
    const bounded = checksFor(partition, FAST_SPEC, modelFor(partition, FAST_SPEC));
    const single = bounded.find((c) => c.check === "single-active-scheduler") as { maxFencings: number; perFencingMs: number; settleAfterHealMs: number };
    expect(single.maxFencings).toBeGreaterThanOrEqual(1);
    expect(single.perFencingMs).toBeLessThan(5_000);
    expect(single.settleAfterHealMs).toBe(6_000);
    const hot = applySetOverrides(FAST_SPEC, ["mode=hot-standby"]);
    const hotSingle = checksFor(partition, hot, modelFor(partition, hot)).find((c) => c.check === "single-active-scheduler");
    expect(hotSingle).toEqual({ check: "single-active-scheduler", maxFencings: 1, perFencingMs: 1_100 });
  });

  it("checks that a fault which must not fail over did not, and that nginx reroutes where the scenario says so", () => {
    const checks = checksFor(apiKill, FAST_SPEC, null);
    expect(checks.map((c) => c.check)).toEqual(["single-active-scheduler", "no-failover", "no-pod-lost", "api-reroute", "incompatible-offer-declines"]);
    expect(checks).toContainEqual({ check: "api-reroute", nextUpstream: ["error", "timeout", "invalid_header", "http_500"], connectTimeoutMs: 2_000 });
    expect(checksFor(killLeader, FAST_SPEC, modelFor(killLeader, FAST_SPEC)).map((c) => c.check)).toEqual([
      "timing-oracle", "election-delay", "single-active-scheduler", "no-pod-lost", "recovery-within-bound", "incompatible-offer-declines",
    ]);
  });

  it("kill-etcd-leader: no-failover is judged when T/2 − S exceeds the etcd write stall, unknown (saying why) when not", () => {
    const noFailover = (spec: typeof FAST_SPEC) => checksFor(etcdKill, spec, null).find((c) => c.check === "no-failover");
    expect(noFailover(SEED_SPEC)).toEqual({ check: "no-failover" });
    expect(noFailover(applySetOverrides(FAST_SPEC, ["ttl-secs=30"]))).toEqual({ check: "no-failover" });
    expect(noFailover(FAST_SPEC)).toMatchObject({ unjudgeable: expect.stringMatching(/T\/2 − S = 2 s ≤ the etcd v2 write stall/) });
    // km's own --ha timers leave 6 s: a real hot standby may fail over when the etcd leader dies.
    expect(noFailover(applySetOverrides(SEED_SPEC, ["mode=hot-standby"]))).toMatchObject({ unjudgeable: expect.stringMatching(/TTL_e − P = 6 s/) });
  });

  it("observes a bounded-overlap fault past its heal until the old leader must be gone", () => {
    expect(minObserveMs(partition, FAST_SPEC)).toBe(18_000 + 6_000 + 1_000 + 7_000);
    expect(minObserveMs(killLeader, FAST_SPEC)).toBe(0);
    expect(minObserveMs(etcdKill, FAST_SPEC)).toBe(12_000);
    // A restart in place: until the kubelet's restart must have registered, so a surviving USR1 child is seen fenced.
    const restart = modelFor(killScheduler, FAST_SPEC)!;
    expect(minObserveMs(killScheduler, FAST_SPEC, restart)).toBe(restart.maxMs + 1_000);
  });

  it("draws the fault phase within the renewal period and budgets the observe phase past the fault", () => {
    expect(renewalPeriodMs(killLeader, SEED_SPEC)).toBe(15_000);
    expect(observeBudgetMs(partition, FAST_SPEC, modelFor(partition, FAST_SPEC))).toBeGreaterThan(2 * 18_000);
    expect(observeBudgetMs(partition, FAST_SPEC, modelFor(partition, FAST_SPEC))).toBeGreaterThan(minObserveMs(partition, FAST_SPEC));
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
  it("reads the emulation's election knobs from the fast profile, else km's constants, and marks such a window emulation-only", async () => {
    const { hotTimers } = await import("./plan.js");
    expect(hotTimers(FAST_SPEC)).toEqual({ electionTtlSecs: 6, electionPeriodSecs: 4.8 });
    expect(hotTimers(SEED_SPEC)).toEqual({ electionTtlSecs: 30, electionPeriodSecs: 24 });
    const hotFast = applySetOverrides(FAST_SPEC, ["mode=hot-standby"]);
    expect(modelFor(killLeader, hotFast)!.notes.join()).toMatch(/^emulation-only: .*K8SM_HA_TTL_SECS/);
    expect(modelFor(killLeader, applySetOverrides(SEED_SPEC, ["mode=hot-standby"]))!.notes).toEqual([]);
    expect(modelFor(killLeader, FAST_SPEC)!.notes).toEqual([]);
  });
});

/** An earlier trial of a run: its fault fired at `atS` s of the epoch on `node`, its history `downs` × down. */
function earlierTrial(atS: number, node: string | null, downs = 0): EarlierTrial {
  const history: HistoryEntry[] = [{ t: 0, kind: "scheduler-health", node: node ?? "master-1", up: true }];
  for (let i = 0; i < downs; i++) {
    history.push({ t: 1_000 + i * 100, kind: "scheduler-health", node: node ?? "master-1", up: false }, { t: 1_050 + i * 100, kind: "scheduler-health", node: node ?? "master-1", up: true });
  }
  return { originEpochMs: atS * 1000 - 500, fault: node ? { targets: [{ node }], injectedAtMs: 500 } : null, history };
}

describe("the kubelet's crash-loop backoff across trials", () => {
  const plan = { scenario: killScheduler, spec: FAST_SPEC };

  it("counts the earlier restarts of the target's scheduler: certain ones from the faults, possible ones from what the probes saw", () => {
    const earlier = [earlierTrial(100, "master-1", 1), earlierTrial(130, "master-1", 1), earlierTrial(160, "master-1", 3)];
    expect(priorSchedulerRestarts("master-1", plan, earlier, 190_000)).toEqual({ min: 3, max: 5 });
    expect(priorSchedulerRestarts("master-2", plan, earlier, 190_000)).toEqual({ min: 0, max: 0 });
    // 600 s without a crash resets the chain (for certain only past 600 s + 300 s + Y).
    expect(priorSchedulerRestarts("master-1", plan, earlier, 800_000)).toEqual({ min: 0, max: 5 });
    expect(priorSchedulerRestarts("master-1", plan, earlier, 1_200_000)).toEqual({ min: 0, max: 0 });
    // A fault that kills the node's container reboots it: a new kubelet, no backoff memory.
    const reboot = { scenario: killLeader, spec: FAST_SPEC };
    expect(priorSchedulerRestarts("master-1", reboot, earlier, 190_000)).toEqual({ min: 0, max: 0 });
  });

  it("moves trial k's window by the backoff its earlier trials left, and the observe budget with it", () => {
    const run = resolvePlan({ scenario: killScheduler, spec: SEED_SPEC, repeat: 6, seed: 1, options: {} });
    const earlier = [100, 150, 200, 250, 300].map((s) => earlierTrial(s, "master-1", 1));
    const t6 = planForTrial(run, { targets: [{ node: "master-1" }], injectedAtMs: 500 }, earlier, 349_500);
    // Five earlier restarts: b(5) = 160 s at Y = 10 s; the observed 85 s delay of trial 5 lies inside trial 5's window.
    expect(t6.window!.minMs).toBe(160_000);
    expect(t6.observeBudgetMs).toBeGreaterThan(t6.window!.maxMs);
    expect(t6.minObserveMs).toBe(t6.window!.maxMs + 1_000);
    expect(t6.checks.find((c) => c.check === "timing-oracle")).toMatchObject({ note: expect.stringMatching(/master-1's scheduler restarted 5 time/) });
    const t5 = planForTrial(run, { targets: [{ node: "master-1" }], injectedAtMs: 500 }, earlier.slice(0, 4), 299_500);
    expect(85_000).toBeGreaterThanOrEqual(t5.window!.minMs);
    expect(85_000).toBeLessThanOrEqual(t5.window!.maxMs);
    expect(planForTrial(run, { targets: [{ node: "master-1" }], injectedAtMs: 500 }, [], 99_500)).toBe(run);
  });
});

describe("checks for the incompatible-executor trap", () => {
  it("requires declines and does not require pod recovery", () => {
    const trap = defineScenario({
      name: "incompatible-executor", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
      model: "cold-node-death", expect: { incompatibleDeclines: "required", dualScheduler: "none", failover: true },
    });
    const checks = checksFor(trap, FAST_SPEC, modelFor(trap, FAST_SPEC));
    expect(checks).toContainEqual({ check: "incompatible-offer-declines", expected: true });
    expect(checks.some((c) => c.check === "recovery-within-bound")).toBe(false);
    expect(checks.some((c) => c.check === "timing-oracle")).toBe(true);
  });
});
