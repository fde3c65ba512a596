import { describe, expect, it } from "vitest";
import {
  coldNodeDeathWindow,
  coldSchedulerRestartWindow,
  crashLoopBackoffMs,
  DEFAULT_ENV,
  electionDelayBoundMs,
  ETCD_V2_WRITE_STALL_MS,
  hotStandbyWindow,
  leaseSlackMs,
  overlapBounds,
  partitionEtcdWindow,
  pauseLeaderWindow,
  podRecoveryBoundMs,
  restartsWithin,
  settleAfterFaultMs,
} from "./windows.js";

/** Environment terms at zero: the windows reduce to the reference's protocol figures. */
const ZERO = {
  containerStart: { minMs: 0, expectedMs: 0, maxMs: 0 },
  bootstrap: { minMs: 0, expectedMs: 0, maxMs: 0 },
  probeIntervalMs: 0,
};

describe("§6 windows against the reference's worked figures", () => {
  it("cold standby node death: worst 55.5 s, best 10 s, expected ≈ 35 s (+ T_c + T_b)", () => {
    const w = coldNodeDeathWindow({}, ZERO);
    expect(w.maxMs).toBe(55_500);
    expect(w.minMs).toBe(10_000);
    expect(w.expectedMs).toBe(35_250); // 22.5 + 0.25 + 2.5 + 10
    expect(w.formula).toBe("R + g + D1 + D2 + T_c + T_b + probe");
    expect(w.terms.R).toMatchObject({ minMs: 10_000, expectedMs: 22_500, maxMs: 30_000 });
  });

  it("adds the environment terms exactly, and the detector repoll only when asked", () => {
    const w = coldNodeDeathWindow();
    const env = DEFAULT_ENV;
    expect(w.maxMs).toBe(55_500 + env.containerStart.maxMs + env.bootstrap.maxMs + env.probeIntervalMs);
    expect(w.minMs).toBe(10_000);
    expect(coldNodeDeathWindow({}, { detectorMayRepoll: true }).maxMs - w.maxMs).toBe(30_000);
  });

  it("follows the timers (fast profile)", () => {
    const w = coldNodeDeathWindow({ ttlSecs: 6, sleepSecs: 1, fileCheckSecs: 2 }, ZERO);
    expect(w.maxMs).toBe(6_000 + 500 + 1_000 + 2_000);
    expect(w.minMs).toBe(2_000);
    expect(() => coldNodeDeathWindow({ ttlSecs: 0 })).toThrow(/positive/);
  });

  it("scheduler-only death / USR1 in cold standby: [0, Y) + T_c + T_b, expected ≈ 5 s", () => {
    const w = coldSchedulerRestartWindow({}, ZERO);
    expect([w.minMs, w.expectedMs, w.maxMs]).toEqual([0, 5_000, 10_000]);
    expect(coldSchedulerRestartWindow({}, ZERO, 2).minMs).toBe(20_000);
  });

  it("repeated trials: the kubelet's backoff from earlier restarts moves the window (5, 15, 25, 45, 85 s on average, as seen in the seed profile)", () => {
    // Seed, Y = 10 s: trial k (k earlier restarts) restarts after b(k) + [0, Y); expected b(k) + 5 s.
    const expected = [0, 1, 2, 3, 4].map((k) => coldSchedulerRestartWindow({}, ZERO, k).expectedMs);
    expect(expected).toEqual([5_000, 15_000, 25_000, 45_000, 85_000]);
    // Fast profile, trial 6 (5 earlier restarts): 16 s + [0, 1 s), far outside the first trial's [0, 1 s) + T_c + T_b.
    const fast = coldSchedulerRestartWindow({ syncSecs: 1 }, undefined, 5);
    expect(fast.minMs).toBe(16_000);
    expect(fast.maxMs).toBeGreaterThan(16_900);
    expect(coldSchedulerRestartWindow({ syncSecs: 1 }).maxMs).toBeLessThan(16_000);
    // A range when the runner cannot tell whether the chain was reset or how many restarts it saw.
    const range = coldSchedulerRestartWindow({}, ZERO, { min: 1, max: 3 });
    expect(range.terms.backoff).toMatchObject({ minMs: 10_000, maxMs: 40_000 });
    expect(() => coldSchedulerRestartWindow({}, ZERO, { min: 2, max: 1 })).toThrow(/prior restarts/);
  });

  it("hot standby: worst 54.5 s, best 6 s, expected ≈ 30 s (+ T_b), no T_c", () => {
    const w = hotStandbyWindow({}, ZERO);
    expect([w.minMs, w.expectedMs, w.maxMs]).toEqual([6_000, 30_250, 54_500]);
    expect(w.terms.T_c).toBeUndefined();
  });

  it("pause-leader: the node-death window, stretched while the frozen apiserver fails the new scheduler's bootstrap", () => {
    const death = coldNodeDeathWindow();
    const seed = pauseLeaderWindow("cold-standby", 60_000);
    expect(seed.minMs).toBe(death.minMs);
    // Seed: the bootstrap can start 10 s in; 3 crashes of ≥ 10 s each (restarts 0, 10, 20 s) fit into
    // the 60 s pause; after it the pending restart is ≤ 20 + 10 s, then T_c + T_b + probe.
    expect(seed.maxMs).toBe(60_000 + 30_000 + 5_000 + 2_000 + 100);
    expect(seed.terms.stall!.maxMs).toBe(seed.maxMs - death.maxMs);
    // Fast (12 s pause, Y = 1 s): one crash fits; a 12.6 s takeover seen on a correct system lies inside.
    const fast = pauseLeaderWindow("cold-standby", 12_000, { cold: { ttlSecs: 6, sleepSecs: 1, fileCheckSecs: 1, syncSecs: 1 } });
    expect(fast.maxMs).toBe(12_000 + 1_000 + 5_000 + 2_000 + 100);
    expect(fast.maxMs).toBeGreaterThan(12_600);
    // Backoff carried over from earlier trials on the taking-over node lengthens it.
    const after = pauseLeaderWindow("cold-standby", 12_000, { cold: { ttlSecs: 6, sleepSecs: 1, fileCheckSecs: 1, syncSecs: 1 } }, undefined, { priorRestarts: { min: 0, max: 4 } });
    expect(after.maxMs - fast.maxMs).toBe(crashLoopBackoffMs(4, 1_000));
    expect(pauseLeaderWindow("cold-standby", 60_000).notes).toEqual([]);
    expect(pauseLeaderWindow("hot-standby", 10_000).notes.join()).toMatch(/not certain/);
    expect(pauseLeaderWindow("hot-standby", 60_000).maxMs).toBeGreaterThan(60_000 + 30_000 + 24_000);
  });

  it("partition-etcd: one fencing at the takeover, the old leader's restarts before its pod goes after the heal; 5 s of overlap fails", () => {
    const hot = partitionEtcdWindow("hot-standby", 60_000);
    expect(overlapBounds(hot)).toEqual({ maxFencings: 1, perFencingMs: 1_200 });
    const cold = partitionEtcdWindow("cold-standby", 90_000);
    // Settle after the heal: max(S, 2 s) + F + 2 s + 1 s = 28 s; restarts at 0 and 10 s fit → 1 + 2 × 2.
    expect(overlapBounds(cold)).toEqual({ maxFencings: 5, perFencingMs: 1_200, settleAfterFaultMs: 28_000 });
    const fast = partitionEtcdWindow("cold-standby", 18_000, { cold: { ttlSecs: 6, sleepSecs: 1, fileCheckSecs: 1, syncSecs: 1 } });
    expect(overlapBounds(fast).settleAfterFaultMs).toBe(6_000);
    // The bound on the overlap of one takeover (the usual case) is one fencing: a 5 s overlap fails it.
    for (const w of [cold, fast, hot]) expect(overlapBounds(w).perFencingMs).toBeLessThan(5_000);
    // The cut node's apiserver fails bootstraps fast: the doubling bound, fault + max(Y, b(prior)) + Y.
    expect(cold.maxMs).toBe(90_000 + 90_000 + 10_000 + 10_000 + 5_000 + 2_000 + 100);
    expect(cold.minMs).toBe(coldNodeDeathWindow().minMs);
  });

  it("election delay, lease slack and the etcd write stall", () => {
    expect(electionDelayBoundMs("cold-standby", {}, 50)).toBe(5_000 + 500 + 100);
    expect(electionDelayBoundMs("hot-standby", { hot: { electionTtlSecs: 6, electionPeriodSecs: 4.8 } }, 50)).toBe(4_800 + 600);
    expect(ETCD_V2_WRITE_STALL_MS).toBe(7_000);
    expect(leaseSlackMs("cold-standby")).toBe(10_000);
    expect(leaseSlackMs("cold-standby", { cold: { ttlSecs: 6, sleepSecs: 1 } })).toBe(2_000);
    expect(leaseSlackMs("cold-standby", { cold: { ttlSecs: 30, sleepSecs: 1 } })).toBe(14_000);
    expect(leaseSlackMs("hot-standby")).toBe(6_000);
    expect(settleAfterFaultMs()).toBe(28_000);
  });

  it("kubelet crash-loop backoff and restart counts", () => {
    expect([1, 2, 3, 6, 7].map((n) => crashLoopBackoffMs(n))).toEqual([10_000, 20_000, 40_000, 300_000, 300_000]);
    expect(restartsWithin(0)).toBe(1);
    expect(restartsWithin(9_999)).toBe(1);
    expect(restartsWithin(10_000)).toBe(2);
    // The initial backoff is the kubelet's --sync-frequency (§2.4): with Y = 1 s, 1 + 2 + 4 s fit in 7 s.
    expect(crashLoopBackoffMs(3, 1_000)).toBe(4_000);
    expect(restartsWithin(7_000, 1_000)).toBe(4);
  });

  it("pod recovery bound adds first offer and pod start", () => {
    const w = coldNodeDeathWindow();
    expect(podRecoveryBoundMs(w)).toBe(w.maxMs + 16_000);
  });
});
