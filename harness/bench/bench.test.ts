import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryEntry } from "../history/types.js";
import { computeMeasures } from "../measures/measures.js";
import { cleanColdFailover, FAULT_T, ORIGIN } from "../testing/sample-histories.js";
import { summarizeValues } from "../reporting/result.js";
import { VALIDATED_MEASURES, type ErrorStats, type ValidatedMeasure } from "../ground-truth/index.js";
import { containerMemory, summarizeMemory, type MemorySample } from "./memory.js";
import { parseBenchArgs } from "./options.js";
import { evaluateGoals, fmtMs, renderBenchTables, type BenchReport } from "./report.js";
import { stepDurations, summarizeSteps, summarizeTimings, trialTiming, trialTimings } from "./timing.js";

describe("parseBenchArgs", () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), "bench-opts-")); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });
  const parse = (...argv: string[]) => parseBenchArgs(argv, path.join(dir, "default"), () => {});

  it("defaults to 10 trials, 3 launches, the given out dir", async () => {
    expect(await parse()).toEqual({ trials: 10, upSamples: 3, outDir: path.join(dir, "default") });
  });

  it("takes --trials, --up-samples and --out", async () => {
    expect(await parse("--trials", "12", "--up-samples=1", "--out", path.join(dir, "x"))).toEqual({ trials: 12, upSamples: 1, outDir: path.join(dir, "x") });
  });

  it.each([
    [["--trials", "0"], /--trials must be between 1 and 200, got 0/],
    [["--trials=-3"], /--trials must be between 1 and 200, got -3/],
    [["--trials", "-3"], /--trials/],
    [["--trials", "ten"], /--trials must be an integer/],
    [["--trials", "1.5"], /--trials must be an integer/],
    [["--trials", "100000"], /between 1 and 200/],
    [["--up-samples", "21"], /--up-samples must be between 1 and 20/],
    [["--bogus"], /^unknown option --bogus$/],
    [["--trails", "3"], /unknown option --trails; did you mean --trials\?/],
    [["kill-leader"], /unexpected argument/],
    [["--out", ""], /--out must not be empty/],
  ])("rejects %j with exit-2 input errors", async (argv, message) => {
    await expect(parse(...argv)).rejects.toMatchObject({ code: "E_INPUT", message: expect.stringMatching(message) });
  });

  it("rejects an --out that cannot be written", async () => {
    const file = path.join(dir, "a-file");
    await writeFile(file, "");
    await expect(parse("--out", path.join(file, "sub"))).rejects.toMatchObject({ code: "E_INPUT", message: expect.stringMatching(/is not a writable directory/) });
    if (process.getuid?.() !== 0) {
      const ro = path.join(dir, "ro");
      await parse("--out", ro);
      await chmod(ro, 0o500);
      await expect(parse("--out", ro)).rejects.toMatchObject({ message: expect.stringMatching(/EACCES/) });
    }
  });

  it("prints the usage for --help and returns null", async () => {
    let printed = "";
    expect(await parseBenchArgs(["--help"], dir, (s) => { printed += s; })).toBeNull();
    expect(printed).toMatch(/--trials N/);
  });
});

/**
 * cleanColdFailover with the runner's offset on the fault (400 ms) and its later phase entries:
 * steady 0, fault 1000, new scheduler 41000, pods 45000, converge 45200, evaluate/done as given.
 */
function trial(index: number, phases: { converge?: number; evaluate?: number; done?: number } = { converge: 45_200, evaluate: 47_700, done: 47_710 }, originEpochMs = ORIGIN) {
  const { entries } = cleanColdFailover();
  const history: HistoryEntry[] = entries
    .filter((e) => !(e.kind === "phase" && e.name === "converge"))
    .map((e) => (e.kind === "fault" && e.action === "inject" ? { ...e, detail: { offsetMs: 400 } } : e));
  for (const [name, t] of Object.entries(phases)) history.push({ t, kind: "phase", name: name as "converge" | "evaluate" | "done" });
  return { index, originEpochMs, history, measures: computeMeasures(history.filter((e) => e.t < (phases.converge ?? Infinity)), { originEpochMs }) };
}

describe("trial timing", () => {
  it("splits a trial's wall time, from its history alone, into parts that add up", () => {
    const t = trialTiming(trial(0), true);
    // measures of cleanColdFailover: time to new scheduler 40 s, pod recovery 44 s.
    expect(t).toMatchObject({ wallMs: 47_710, fullCycle: true, timeToNewSchedulerMs: 40_000, overheadMs: 47_710 - 40_000 - 400 });
    expect(t.breakdown).toEqual({ steadyWaitMs: FAULT_T - 400, offsetMs: 400, toNewSchedulerMs: 40_000, podTailMs: 4_000, observeRestMs: 200, convergeMs: 2_500, evaluateMs: 10 });
    const sum = Object.values(t.breakdown).reduce((a, b) => a! + b!, 0);
    expect(sum).toBe(t.wallMs);
  });

  it("leaves the overhead null when no new scheduler was seen, and the wall time null when cut short", () => {
    const noFailover = trial(0);
    noFailover.measures = { ...noFailover.measures, timeToNewSchedulerMs: null };
    expect(trialTiming(noFailover, false).overheadMs).toBeNull();
    expect(trialTiming(trial(0, { converge: 45_200 }), false)).toMatchObject({ wallMs: null, overheadMs: null });
    const noSteady = trial(0);
    noSteady.history = noSteady.history.filter((e) => !(e.kind === "phase" && e.name === "steady"));
    expect(trialTiming(noSteady, false)).toMatchObject({ wallMs: null, overheadMs: null });
  });

  it("summarizes over full cycles when there are any, and derives trials per hour from the mean wall time", () => {
    const trials = [trial(0, { converge: 45_200, evaluate: 47_700, done: 47_700 }), trial(1, { converge: 45_200, evaluate: 49_700, done: 49_700 }), trial(2, { converge: 45_200, evaluate: 45_200, done: 45_200 })];
    const timings = trialTimings(trials);
    expect(timings.map((t) => t.fullCycle)).toEqual([true, true, false]);
    const s = summarizeTimings(timings);
    expect(s.basis).toBe("full-cycle");
    expect(s.wallMs).toMatchObject({ n: 2, min: 47_700, max: 49_700, p50: 48_700 });
    expect(s.overheadMs).toMatchObject({ n: 2, p50: 48_700 - 40_400 });
    expect(s.breakdown.convergeMs).toMatchObject({ min: 2_500, max: 4_500 });
    expect(s.trialsPerHour).toBeCloseTo(3_600_000 / 48_700, 6);
    const single = summarizeTimings(trialTimings([trial(2, { converge: 45_200, evaluate: 45_200, done: 45_200 })]));
    expect(single).toMatchObject({ basis: "all", wallMs: { n: 1, p50: 45_200 } });
    expect(summarizeTimings([]).trialsPerHour).toBeNull();
  });

  it("names launch steps after the health phase that ended, and aggregates them over launches", () => {
    const a = [
      { atMs: 900, line: "network k8sm-x 10.1.0.0/24" },
      { atMs: 2_000, line: "etcd healthy" },
      { atMs: 9_000, line: "framework 123-0000 active (scheduler(1)@10.1.0.5:4000)" },
      { atMs: 9_500, line: "something new happened here" },
    ];
    expect(stepDurations(a)).toEqual([
      { step: "images + component probe + network", ms: 900 },
      { step: "etcd", ms: 1_100 },
      { step: "framework registered", ms: 7_000 },
      { step: "something new happened", ms: 500 },
    ]);
    const b = [{ atMs: 1_100, line: "network k8sm-y 10.2.0.0/24" }, { atMs: 2_400, line: "etcd healthy" }];
    const s = summarizeSteps([a, b]);
    expect(s.map((x) => x.step)).toEqual(["images + component probe + network", "etcd", "framework registered", "something new happened"]);
    expect(s[1]!.ms).toMatchObject({ n: 2, min: 1_100, max: 1_300, p50: 1_200 });
  });
});

describe("memory figures", () => {
  it("takes docker stats' MEM USAGE (usage − inactive file) on cgroup v1 and v2, and the anonymous memory", () => {
    expect(containerMemory({ usage: 100, stats: { total_inactive_file: 30, total_rss: 50, rss: 40 } })).toEqual({ usage: 70, anon: 50 });
    expect(containerMemory({ usage: 100, stats: { inactive_file: 20, anon: 60 } })).toEqual({ usage: 80, anon: 60 });
    // inactive file larger than usage (stale counters): docker CLI keeps the usage.
    expect(containerMemory({ usage: 10, stats: { total_inactive_file: 30 } })).toEqual({ usage: 10, anon: 0 });
    expect(containerMemory({})).toBeNull();
    expect(containerMemory(undefined)).toBeNull();
  });

  it("keeps the peak of the per-sample sums and the achieved interval", () => {
    const s = (atMs: number, usageMiB: number, anonMiB: number): MemorySample => ({ atMs, usageMiB, anonMiB, byContainer: { "master-1": usageMiB } });
    const m = summarizeMemory([s(0, 500, 400), s(1_000, 800, 600), s(2_100, 700, 650)], 1);
    expect(m).toMatchObject({ samples: 3, intervalMsP50: 1_000, peakMiB: 800, peakAnonMiB: 650, partialSamples: 1 });
    expect(m.atPeak?.atMs).toBe(1_000);
    expect(summarizeMemory([])).toMatchObject({ samples: 0, peakMiB: null, atPeak: null });
  });
});

describe("bench report", () => {
  const errors = (p95: number): Record<ValidatedMeasure, ErrorStats> =>
    Object.fromEntries(VALIDATED_MEASURES.map((m) => [m, m === "phases.leaseExpiredMs" ? { n: 0, p50: null, p95: null, max: null } : { n: 10, p50: 20, p95, max: p95 + 5 }])) as Record<ValidatedMeasure, ErrorStats>;

  function report(over: { upMs?: number[]; overheadMs?: number[]; p95?: number; peakMiB?: number | null } = {}): BenchReport {
    const timings = summarizeTimings(trialTimings([trial(0), trial(1)]));
    const figures = {
      topologyUpMs: { ...summarizeValues(over.upMs ?? [12_000, 13_000]), samples: [], steps: summarizeSteps([[{ atMs: 2_000, line: "etcd healthy" }]]), downMs: summarizeValues([1_500]) },
      trialOverheadMs: { ...summarizeValues(over.overheadMs ?? [1_500]), basis: timings.basis, wallMs: timings.wallMs, breakdown: timings.breakdown, trials: [] },
      probeErrorMs: errors(over.p95 ?? 60),
      probeErrorTrials: [],
      topologyRssMiB: over.peakMiB === null ? summarizeMemory([]) : summarizeMemory([{ atMs: 0, usageMiB: over.peakMiB ?? 900, anonMiB: 700, byContainer: {} }]),
    };
    return {
      runId: "20260101-000000-abcd",
      startedAt: "",
      finishedAt: "",
      status: "completed",
      git: { commit: "0123abc", dirty: false },
      machine: null,
      options: { scenario: "kill-leader", profile: "fast", trials: 2, upSamples: 2, seed: 1 },
      ...figures,
      trialsPerHour: timings.trialsPerHour,
      scenarioRun: null,
      goals: evaluateGoals(figures),
    };
  }

  it("judges each goal on its figure and skips measures without ground truth", () => {
    const g = evaluateGoals(report());
    expect(g.map((x) => x.figure)).toEqual([
      "topologyUpMs",
      "trialOverheadMs",
      ...VALIDATED_MEASURES.filter((m) => m !== "phases.leaseExpiredMs").map((m) => `probeErrorMs.${m}`),
      "topologyRssMiB",
    ]);
    expect(g.every((x) => x.met === true)).toBe(true);
    const missed = evaluateGoals(report({ upMs: [16_000], overheadMs: [2_000], p95: 100, peakMiB: 1_600 }));
    expect(missed.every((x) => x.met === false)).toBe(true);
    expect(evaluateGoals(report({ upMs: [], peakMiB: null })).filter((x) => x.met === null).map((x) => x.figure)).toEqual(["topologyUpMs", "topologyRssMiB"]);
  });

  it("renders the figures beside their goals, the wall-time parts, the launch steps and the verdict", () => {
    const text = renderBenchTables(report({ overheadMs: [2_500, 3_100] }));
    expect(text).toMatch(/topologyUpMs \(launch → healthy\).*p50 12\.50 s, max 13\.00 s \(n=2\).*p50 < 15 s.*met/);
    expect(text).toMatch(/trialOverheadMs .*p50 2\.80 s, max 3\.10 s \(n=2\).*MISSED/);
    expect(text).toMatch(/probeErrorMs phases\.leaseExpiredMs.*no ground truth/);
    expect(text).toMatch(/probeErrorMs timeToNewSchedulerMs.*p95 60 ms.*p95 < 100 ms.*met/);
    expect(text).toMatch(/topologyRssMiB.*900 MiB \(anon 700 MiB/);
    expect(text).toMatch(/trialsPerHour.*75 \(mean wall 47\.71 s\)/);
    expect(text).toMatch(/convergeMs.*2\.50 s/);
    expect(text).toMatch(/etcd.*2\.00 s/);
    expect(text).toMatch(/commit: 0123abc/);
    expect(text).toMatch(/goals missed: trialOverheadMs$/);
  });

  it("says when the figures are partial", () => {
    const r = { ...report(), status: "interrupted" as const, error: { code: "E_INTERRUPTED", message: "interrupted" } };
    expect(renderBenchTables(r)).toMatch(/bench interrupted: interrupted — figures are partial/);
  });

  it("formats ms below a second as ms, above as seconds", () => {
    expect([fmtMs(null), fmtMs(99.6), fmtMs(1_234)]).toEqual(["—", "100 ms", "1.23 s"]);
  });
});
