import { describe, expect, it } from "vitest";
import {
  coldNodeDeathWindow,
  coldSchedulerRestartWindow,
  crashLoopBackoffMs,
  DEFAULT_ENV,
  hotStandbyWindow,
  partitionEtcdWindow,
  pauseLeaderWindow,
  podRecoveryBoundMs,
  restartsWithin,
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

  it("hot standby: worst 54.5 s, best 6 s, expected ≈ 30 s (+ T_b), no T_c", () => {
    const w = hotStandbyWindow({}, ZERO);
    expect([w.minMs, w.expectedMs, w.maxMs]).toEqual([6_000, 30_250, 54_500]);
    expect(w.terms.T_c).toBeUndefined();
  });

  it("pause-leader is the node-death window, noting when the pause may not outlast the lease", () => {
    expect(pauseLeaderWindow("cold-standby", 60_000).maxMs).toBe(coldNodeDeathWindow().maxMs);
    expect(pauseLeaderWindow("cold-standby", 60_000).notes).toEqual([]);
    expect(pauseLeaderWindow("hot-standby", 10_000).notes.join()).toMatch(/not certain/);
  });

  it("partition-etcd bounds the overlap by handovers × (T_b,max + 2 probe)", () => {
    const hot = partitionEtcdWindow("hot-standby", 60_000);
    expect(hot.overlap.maxMs).toBe(DEFAULT_ENV.bootstrap.maxMs + 2 * DEFAULT_ENV.probeIntervalMs);
    const cold = partitionEtcdWindow("cold-standby", 60_000);
    // span = 60 + 20 + 2 = 82 s: restarts at 0, 10, 30, 70 s → 4 per side → 9 handovers.
    expect(cold.overlap.terms.handovers!.maxMs).toBe(9);
    expect(cold.maxMs).toBe(coldNodeDeathWindow().maxMs);
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
