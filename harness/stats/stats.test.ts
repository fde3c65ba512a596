import { describe as suite, expect, it } from "vitest";
import { seededRandom } from "../runner/plan.js";
import { bootstrapInterval, bootstrapShift, describe, ecdf, linearModel, median, quantileStat, wilson } from "./index.js";

/** Seeded normal draws (Box–Muller on harness/runner/plan.ts `seededRandom`). */
function normal(n: number, mean: number, sd: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

suite("wilson", () => {
  // References: R `prop.test(x, n, correct = FALSE)$conf.int` (= binom::binom.wilson), and the same
  // formula in numpy/scipy (norm.ppf for z) for the cases R's docs do not list.
  it.each([
    [0, 20, 0.95, 0, 0.1611252],
    [3, 100, 0.95, 0.01025452, 0.08451936],
    [20, 20, 0.95, 0.8388748, 1],
    [7, 12, 0.9, 0.3559810, 0.7800221],
    [1, 1, 0.95, 0.2065493, 1],
  ])("%i of %i at %f", (events, n, level, lo, hi) => {
    const w = wilson(events, n, level);
    expect(w.lo).toBeCloseTo(lo, 6);
    expect(w.hi).toBeCloseTo(hi, 6);
    expect(w).toMatchObject({ rate: events / n, level, events, n });
  });

  it("n = 0: rate null, [0, 1]; default level 0.95", () => {
    expect(wilson(0, 0)).toEqual({ rate: null, lo: 0, hi: 1, level: 0.95, events: 0, n: 0 });
  });

  it("rejects impossible counts and levels", () => {
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(() => wilson(-1, 2)).toThrow(RangeError);
    expect(() => wilson(1.5, 2)).toThrow(RangeError);
    expect(() => wilson(1, 2, 1)).toThrow(RangeError);
  });
});

suite("describe, ecdf, quantiles", () => {
  // numpy.quantile (linear, R type 7) of XS at 0, 0.1, 0.5, 0.9, 0.99, 1: 1.25, 3, 7, 22, 38.2, 40.
  const XS = [12.5, 3, 7, 7, 40, 1.25, 9, 18, 22, 5.5, 6];

  it("describe matches numpy's quantiles", () => {
    const d = describe(XS);
    expect(d).toMatchObject({ n: 11, min: 1.25, p50: 7, max: 40 });
    expect(d.p90).toBeCloseTo(22, 10);
    expect(d.p99).toBeCloseTo(38.2, 10);
    expect(describe([])).toEqual({ n: 0, min: null, p50: null, p90: null, p99: null, max: null });
    expect(() => describe([1, Number.NaN])).toThrow(RangeError);
  });

  it("median and quantileStat are type 7 on a sorted sample", () => {
    const s = [...XS].sort((a, b) => a - b);
    expect(median(s)).toBe(7);
    expect(quantileStat(0.1)(s)).toBeCloseTo(3, 10);
    expect(quantileStat(0.99)(s)).toBeCloseTo(38.2, 10);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(() => quantileStat(1.5)).toThrow(RangeError);
  });

  it("ecdf: distinct values with P(X ≤ x)", () => {
    expect(ecdf([3, 1, 2, 2])).toEqual([
      { x: 1, p: 0.25 },
      { x: 2, p: 0.75 },
      { x: 3, p: 1 },
    ]);
    expect(ecdf([])).toEqual([]);
  });
});

suite("bootstrapInterval", () => {
  const xs = normal(60, 1000, 200, 7);

  it("same seed, same interval; another seed, a slightly different one", () => {
    const a = bootstrapInterval(xs, median, { seed: 1 });
    expect(bootstrapInterval(xs, median, { seed: 1 })).toEqual(a);
    const b = bootstrapInterval(xs, median, { seed: 2 });
    expect(b.estimate).toBe(a.estimate);
    expect([b.lo, b.hi]).not.toEqual([a.lo, a.hi]);
    // "Slightly": the bounds move by a small share of the interval's width.
    expect(Math.abs(b.lo - a.lo) + Math.abs(b.hi - a.hi)).toBeLessThan(0.5 * (a.hi - a.lo));
    expect(a.lo).toBeLessThan(a.estimate);
    expect(a.hi).toBeGreaterThan(a.estimate);
    expect(a.level).toBe(0.95);
  });

  it("a higher level gives a wider interval", () => {
    const i95 = bootstrapInterval(xs, median, { seed: 3 });
    const i80 = bootstrapInterval(xs, median, { seed: 3, level: 0.8 });
    expect(i80.hi - i80.lo).toBeLessThan(i95.hi - i95.lo);
    expect(i80.level).toBe(0.8);
  });

  it("the interval of a large normal sample holds the true median", () => {
    const big = normal(1000, 50, 10, 11);
    const i = bootstrapInterval(big, median, { seed: 5, resamples: 1000 });
    expect(i.lo).toBeLessThan(50);
    expect(i.hi).toBeGreaterThan(50);
    expect(i.hi - i.lo).toBeLessThan(3); // ≈ 2·1.96·1.25·10/√1000 ≈ 1.55
  });

  it("coverage: about 95% of intervals over independent samples hold the true p90", () => {
    // True p90 of N(0, 1) is 1.2815516. 60 samples of 40: expect ~57 covered; the percentile
    // bootstrap under-covers a little at small n, so accept 48..60 (P(below 48 | 95%) < 1e-3).
    const p90 = quantileStat(0.9);
    let covered = 0;
    for (let k = 0; k < 60; k++) {
      const i = bootstrapInterval(normal(40, 0, 1, 1000 + k), p90, { seed: k, resamples: 500 });
      if (i.lo <= 1.2815516 && 1.2815516 <= i.hi) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(48);
  });

  it("n = 1: lo = hi = estimate; empty or non-finite: RangeError", () => {
    expect(bootstrapInterval([42], median, { seed: 1 })).toEqual({ estimate: 42, lo: 42, hi: 42, level: 0.95 });
    expect(() => bootstrapInterval([], median, { seed: 1 })).toThrow(RangeError);
    expect(() => bootstrapInterval([1, Number.POSITIVE_INFINITY], median, { seed: 1 })).toThrow(RangeError);
    expect(() => bootstrapInterval([1, 2], median, { seed: 1, resamples: 0 })).toThrow(RangeError);
    expect(() => bootstrapInterval([1, 2], () => Number.NaN, { seed: 1 })).toThrow(RangeError);
  });

  it("hands the statistic a sorted sample", () => {
    const i = bootstrapInterval([5, 1, 4, 2, 3], (s) => s[0]!, { seed: 1, resamples: 200 });
    expect(i.estimate).toBe(1);
    expect(i.lo).toBe(1);
  });
});

suite("bootstrapShift", () => {
  it("excludes 0 for a clearly shifted pair", () => {
    const base = normal(30, 3000, 300, 21), now = normal(30, 3600, 300, 22);
    const s = bootstrapShift(base, now, median, { seed: 9 });
    expect(s.lo).toBeGreaterThan(0);
    expect(s.estimate).toBeCloseTo(s.now - s.base, 9);
    expect(s.relative).toBeCloseTo(s.estimate / s.base, 12);
    expect(s.relative!).toBeGreaterThan(0.1);
    expect(s.relativeLo!).toBeGreaterThan(0);
    expect(s.relativeLo!).toBeLessThan(s.relativeHi!);
  });

  it("includes 0 for two samples from the same distribution", () => {
    const base = normal(30, 3000, 300, 31), now = normal(30, 3000, 300, 32);
    const s = bootstrapShift(base, now, quantileStat(0.9), { seed: 9 });
    expect(s.lo).toBeLessThan(0);
    expect(s.hi).toBeGreaterThan(0);
    expect(s.relativeLo!).toBeLessThan(0);
    expect(s.relativeHi!).toBeGreaterThan(0);
  });

  it("is reproducible by seed; relative is null when stat(base) is 0", () => {
    const base = [0, 0, 0, 1], now = [1, 2, 3, 4];
    const a = bootstrapShift(base, now, median, { seed: 4, resamples: 300 });
    expect(bootstrapShift(base, now, median, { seed: 4, resamples: 300 })).toEqual(a);
    expect(a).toMatchObject({ base: 0, now: 2.5, estimate: 2.5, relative: null, relativeLo: null, relativeHi: null });
    expect(() => bootstrapShift([], now, median, { seed: 1 })).toThrow(RangeError);
  });
});

suite("linearModel", () => {
  it("a hand-solvable line", () => {
    // x = 0..3, y = 1, 3, 5, 8: x̄ = 1.5, Sxx = 5, Sxy = 11.5 → b1 = 2.3, b0 = 4.25 − 2.3·1.5 = 0.8;
    // residuals 0.2, −0.1, −0.4, 0.3 → SSE = 0.3, σ² = 0.15, se(b1) = √(0.15/5), se(b0) = √(0.15·(1/4 + 1.5²/5));
    // SST = 26.75 → R² = 1 − 0.3/26.75; t(0.975, 2) = 4.302652729749462.
    const m = linearModel([0, 1, 2, 3].map((x, i) => ({ y: [1, 3, 5, 8][i]!, x: { x } })), ["x"]);
    const [b0, b1] = m.coefficients;
    expect(m).toMatchObject({ n: 4, df: 2, dropped: [] });
    expect(b0!.name).toBe("intercept");
    expect(b0!.estimate).toBeCloseTo(0.8, 10);
    expect(b1!.estimate).toBeCloseTo(2.3, 10);
    expect(b1!.se).toBeCloseTo(Math.sqrt(0.03), 10);
    expect(b0!.se).toBeCloseTo(Math.sqrt(0.105), 10);
    expect(m.residualSe).toBeCloseTo(Math.sqrt(0.15), 10);
    expect(m.r2).toBeCloseTo(1 - 0.3 / 26.75, 10);
    expect(b1!.hi).toBeCloseTo(2.3 + 4.302652729749462 * Math.sqrt(0.03), 6);
    expect(m.predict({ x: 10 })).toBeCloseTo(23.8, 10);
  });

  // 12 rows, 3 factors. Reference figures (R `lm(y ~ electionMs + leaseMs + flag)`, computed with
  // numpy lstsq, σ²(XᵀX)⁻¹ and scipy t.ppf(0.975, 8)):
  //   r2 0.9969122276512513, sigma 127.55391017134686, df 8
  //   intercept  140               se 127.55391017134687  [-154.13984431658534, 434.13984431658787]  p 0.3043240606550174
  //   electionMs 1.6466666666666698 se 0.032934277989150884 [1.5707200854337244, 1.7226132478996152]  p 2.835059257801807e-11
  //   leaseMs    0.7019999999999934 se 0.09880283396745265  [0.474160256301157, 0.9298397436988298]   p 0.00010148474834896784
  //   flag       186               se 80.67217612039488    [-0.030371729549216298, 372.03037172954953] p 0.050029393833984505
  //   90%: electionMs [1.5854237946644474, 1.7079095386688923]; predict(2500, 800, 1) 5004.266666666671
  const DATA: [number, number, number, number][] = [
    [1000, 500, 0, 2310], [1000, 1500, 1, 2950], [2000, 500, 1, 3890], [2000, 1500, 0, 4420],
    [4000, 500, 0, 6980], [4000, 1500, 1, 8120], [1000, 1000, 1, 2700], [2000, 1000, 0, 3990],
    [4000, 1000, 1, 7510], [3000, 500, 0, 5530], [3000, 1500, 1, 6400], [3000, 1000, 0, 5820],
  ];
  const ROWS = DATA.map(([electionMs, leaseMs, flag, y]) => ({ y, x: { electionMs, leaseMs, flag, constant: 7, doubleLease: 2 * leaseMs } }));
  const REF = {
    intercept: [140, 127.55391017134687, -154.13984431658534, 434.13984431658787, 0.3043240606550174],
    electionMs: [1.6466666666666698, 0.032934277989150884, 1.5707200854337244, 1.7226132478996152, 2.835059257801807e-11],
    leaseMs: [0.7019999999999934, 0.09880283396745265, 0.474160256301157, 0.9298397436988298, 0.00010148474834896784],
    flag: [186, 80.67217612039488, -0.030371729549216298, 372.03037172954953, 0.050029393833984505],
  } as const;

  function expectReference(m: ReturnType<typeof linearModel>): void {
    expect(m.n).toBe(12);
    expect(m.df).toBe(8);
    expect(m.r2).toBeCloseTo(0.9969122276512513, 9);
    expect(m.residualSe).toBeCloseTo(127.55391017134686, 6);
    expect(m.coefficients.map((c) => c.name)).toEqual(["intercept", "electionMs", "leaseMs", "flag"]);
    for (const c of m.coefficients) {
      const [estimate, se, lo, hi, p] = REF[c.name as keyof typeof REF];
      // Relative tolerance: the figures span 1e-2..1e2; jstat's t quantile agrees with scipy to ~1e-8.
      for (const [got, want] of [[c.estimate, estimate], [c.se, se], [c.lo, lo], [c.hi, hi]] as const) {
        expect(Math.abs(got - want)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want)));
      }
      expect(c.p / p).toBeCloseTo(1, 4);
    }
    expect(m.predict({ electionMs: 2500, leaseMs: 800, flag: 1 })).toBeCloseTo(5004.266666666671, 6);
  }

  it("matches R's lm on a small data set", () => {
    expectReference(linearModel(ROWS, ["electionMs", "leaseMs", "flag"]));
    const m90 = linearModel(ROWS, ["electionMs", "leaseMs", "flag"], 0.9);
    expect(m90.coefficients[1]!.lo).toBeCloseTo(1.5854237946644474, 6);
    expect(m90.coefficients[1]!.hi).toBeCloseTo(1.7079095386688923, 6);
  });

  it("drops a constant factor and an exact linear combination instead of failing, with the same fit", () => {
    const m = linearModel(ROWS, ["constant", "electionMs", "leaseMs", "doubleLease", "flag"]);
    expect(m.dropped).toEqual(["constant", "doubleLease"]);
    expectReference(m);
  });

  it("keeps a factor that varies little next to its magnitude (a timestamp), and fits it", () => {
    // y = 2 + 3·(t − T0) + e with e = ±0.1 alternating: OLS gives 3 within ~0.02.
    const T0 = 1.7e12;
    const rows = Array.from({ length: 28 }, (_, i) => ({ y: 2 + 3 * (i % 7) + (i % 2 ? 0.1 : -0.1), x: { t: T0 + (i % 7) } }));
    const m = linearModel(rows, ["t"]);
    expect(m.dropped).toEqual([]);
    expect(m.coefficients[1]!.estimate).toBeCloseTo(3, 1);
    expect(m.predict({ t: T0 + 3 })).toBeCloseTo(11, 1);
  });

  it("throws RangeError when n ≤ coefficients, or on a missing or non-finite value", () => {
    expect(() => linearModel(ROWS.slice(0, 4), ["electionMs", "leaseMs", "flag"])).toThrow(RangeError);
    expect(() => linearModel([], ["a"])).toThrow(RangeError);
    expect(() => linearModel([{ y: 1, x: {} }, { y: 2, x: {} }], ["a"])).toThrow(RangeError);
    expect(() => linearModel([{ y: Number.NaN, x: {} }, { y: 2, x: {} }], [])).toThrow(RangeError);
    // Only the intercept is left (a never varies): 2 rows, 1 coefficient, a mean with its t interval.
    const m = linearModel([{ y: 1, x: { a: 3 } }, { y: 3, x: { a: 3 } }], ["a"]);
    expect(m.dropped).toEqual(["a"]);
    expect(m.coefficients).toHaveLength(1);
    expect(m.coefficients[0]!.estimate).toBe(2);
    expect(() => m.predict({})).not.toThrow();
    expect(() => linearModel(ROWS, ["electionMs"]).predict({})).toThrow(RangeError);
  });
});
