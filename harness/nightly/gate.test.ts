/**
 * The gate's statistics on synthetic samples: failover times drawn like the fast profile's
 * kill-leader (lease expiry, podmaster poll, kubelet file check, bootstrap) from a seeded source,
 * so every verdict here is the same on every run. A planted 50 % slowdown must be flagged, the
 * unchanged system must not be, and each half of the rule (growth beyond the threshold, the
 * interval excluding zero) must be able to hold a verdict back on its own.
 */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../runner/plan.js";
import { compare, judge } from "./gate.js";
import type { Threshold } from "./plan.js";

const T: Threshold = { measure: "timeToNewSchedulerMs", stat: "p50", maxIncrease: 0.2, level: 0.95, minShift: 500 };

/** n failover times, ms, as the fast profile's kill-leader spreads them (≈ 6-8.5 s). */
function draw(random: () => number, n: number, factor = 1): number[] {
  const u = (a: number, b: number) => a + (b - a) * random();
  return Array.from({ length: n }, () => (u(5_000, 6_000) + u(0, 1_000) + u(0, 1_000) + 500) * factor);
}

describe("gate", () => {
  it("flags a planted 50 % slowdown, with its effect and interval, and passes the unchanged system (5 trials a side)", () => {
    const random = seededRandom(11);
    const base = draw(random, 5);
    const slow = compare("kill-leader", T, base, draw(random, 5, 1.5), ["runs/kill-leader/x"]);
    expect(slow).toMatchObject({ verdict: "regression", baseline: { n: 5 }, tonight: { n: 5 }, runs: ["runs/kill-leader/x"] });
    expect(slow.shift!.relative).toBeGreaterThan(0.2);
    expect(slow.shift!.lo).toBeGreaterThan(0);
    expect(slow.message).toMatch(/^kill-leader timeToNewSchedulerMs p50: baseline \d+\.\d\d s \(n=5\) → tonight \d+\.\d\d s \(n=5\), shift \+\d+ % \(\+\d+\.\d\d s, 95 % interval .* to .*\): grew more than \+20 % and the interval excludes 0$/);
    expect(compare("kill-leader", T, base, draw(random, 5), []).verdict).toBe("ok");
  });

  it("over 100 seeded nights: the 50 % slowdown is flagged in nearly all, the unchanged system in almost none (3 and 5 trials)", () => {
    for (const n of [3, 5]) {
      const random = seededRandom(100 + n);
      let flagged = 0;
      let falseAlarms = 0;
      for (let night = 0; night < 100; night++) {
        const base = draw(random, n);
        if (compare("s", T, base, draw(random, n, 1.5), []).verdict === "regression") flagged++;
        if (compare("s", T, base, draw(random, n), []).verdict === "regression") falseAlarms++;
      }
      expect(flagged, `n=${n}`).toBeGreaterThanOrEqual(95);
      expect(falseAlarms, `n=${n}`).toBeLessThanOrEqual(2);
    }
  });

  it("a growth beyond the threshold whose interval includes 0 is not a regression (noise at this n)", () => {
    // The medians differ by +33 %, but the samples overlap: 1 of 3 tonight is below the baseline's top.
    const c = compare("s", T, [6_000, 6_100, 9_000], [5_900, 8_100, 9_500], []);
    expect(c.shift!.relative).toBeGreaterThan(0.2);
    expect(c.shift!.lo).toBeLessThanOrEqual(0);
    expect(c).toMatchObject({ verdict: "ok", message: expect.stringMatching(/the interval includes 0/) });
  });

  it("a shift whose interval excludes 0 but within +20 % is not a regression, nor one below minShift", () => {
    const c = compare("s", T, [6_000, 6_050, 6_100], [6_600, 6_650, 6_700], []);
    expect(c.shift!.lo).toBeGreaterThan(0);
    expect(c).toMatchObject({ verdict: "ok", message: expect.stringMatching(/within \+20 %/) });
    const small = compare("s", T, [1_000, 1_010, 1_020], [1_400, 1_410, 1_420], []);
    expect(small.shift!.relative).toBeGreaterThan(0.2);
    expect(small).toMatchObject({ verdict: "ok", message: expect.stringMatching(/below minShift/) });
    // The same with no floor is flagged: the floor is what held it back.
    expect(compare("s", { ...T, minShift: 0 }, [1_000, 1_010, 1_020], [1_400, 1_410, 1_420], []).verdict).toBe("regression");
  });

  it("p90 compares the 90th percentiles", () => {
    const c = compare("s", { ...T, stat: "p90" }, [6_000, 6_100, 6_200, 6_300, 6_400], [6_000, 6_100, 6_200, 6_300, 16_400], []);
    expect(c.baseline.value).toBeCloseTo(6_360);
    expect(c.tonight.value).toBeCloseTo(12_360);
  });

  it("no baseline or too few values: said, never a regression", () => {
    expect(compare("s", T, null, [7_000, 7_100], [])).toMatchObject({ verdict: "no-baseline", tonight: { n: 2 } });
    expect(compare("s", T, [7_000], [9_000, 9_100], [])).toMatchObject({ verdict: "insufficient-data" });
  });

  it("judge: every threshold of every scenario that completed, none for one that did not run", () => {
    const scenario = (name: string) => ({ scenario: { name } as never, repeat: 3, thresholds: [T, { ...T, measure: "podRecoveryMs" as const }] });
    const attempt = { runId: "r", reportDir: "runs/a/r", seed: 1, status: "completed" as const, verdict: "pass" as const, durationMs: 1, trials: 3, checks: [], problems: [] };
    const tonight = [
      { name: "a", repeat: 3, estimateMs: 1, estimateHow: "", status: "pass" as const, attempts: [attempt], measures: { timeToNewSchedulerMs: [7_000, 7_100, null] }, summary: {} },
      { name: "b", repeat: 3, estimateMs: 1, estimateHow: "", status: "not-run" as const, attempts: [], measures: {}, summary: {} },
    ];
    const out = judge([scenario("a"), scenario("b")], tonight, null);
    // podRecoveryMs: no value on either side, so no comparison.
    expect(out.map((c) => [c.scenario, c.measure, c.verdict, c.tonight.n])).toEqual([["a", "timeToNewSchedulerMs", "no-baseline", 2]]);
  });
});
