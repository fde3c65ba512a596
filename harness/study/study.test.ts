/**
 * The study without Docker: its definition's validation, its design, the trial log's torn-line
 * recovery, and whole small studies on the fake engine and the virtual clock (harness/testing),
 * including a kill mid-study (the log truncated mid-line) and `--resume`, a Ctrl-C, and the
 * analysis on synthetic trials.
 */
import { appendFile, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import type { RunEngine } from "../runner/engine.js";
import { defineScenario, type ScenarioDefinition } from "../runner/types.js";
import { EngineSet } from "../remote/engine-set.js";
import { FakeCluster, fakeEngine } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { analyzeStudy, recommend, trialsForTarget, type CellAnalysis } from "./analyze.js";
import { numericValue, parseStudyText, validateStudy, type StudyDefinition } from "./definition.js";
import { falseFailoverCells, planBatches, studyCells } from "./design.js";
import { LOG_FILE, progressOf, runStudy } from "./execute.js";
import { readLog, type LogRecord, type TrialRecord } from "./log.js";
import { buildStudyReport, renderStudyHtml, renderStudyMarkdown, type StudyReport } from "./report.js";

/** study.json as written, checked against docs/study.schema.json: `<path>: <problem>` per error. */
async function schemaErrors(report: StudyReport): Promise<string[]> {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  (createRequire(import.meta.url)("ajv-formats") as typeof import("ajv-formats").default)(ajv);
  const validate = ajv.compile(JSON.parse(await readFile(new URL("../../docs/study.schema.json", import.meta.url), "utf8")) as object);
  return validate(JSON.parse(JSON.stringify(report))) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`);
}

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const killEtcdLeader = defineScenario({
  name: "kill-etcd-leader", description: "d", topology: ["etcd-members=3", "ttl-secs=30"], fault: { kind: "kill-container", target: "etcd-leader" },
  model: null, expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
const baseline = defineScenario({ name: "baseline", description: "d", topology: [], fault: { kind: "none" }, model: null, expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false } });
const catalogue: ScenarioDefinition[] = [baseline, killLeader, killEtcdLeader];

const study = (over: Record<string, unknown> = {}): StudyDefinition =>
  validateStudy({ name: "t", scenario: "kill-leader", profile: "fast", factors: { "ttl-secs": [6, 10], sleep: ["1s", "2s"] }, replicates: 3, seed: 11, batchSize: 2, ...over }, "test", catalogue);

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), "study-")); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe("study definition", () => {
  it("fills the defaults and takes YAML", () => {
    const d = parseStudyText("name: x\nscenario: kill-leader\nfactors:\n  ttl-secs: [10, 20]\nreplicates: 4\n", "x.yaml", catalogue, { seed: 3 });
    expect(d).toMatchObject({ name: "x", profile: "seed", seed: 3, batchSize: 5, target: 0.01, factors: { "ttl-secs": ["10", "20"] }, falseFailover: { scenario: "kill-etcd-leader", replicates: 10, factors: ["ttl-secs"] } });
  });

  it.each([
    [{ replicates: 0 }, /replicates: expected an integer in 1\.\.10000, got 0/],
    [{ factors: { "ttl-secs": [6, "x"] } }, /factors\.ttl-secs\[1\]: --set ttl-secs/],
    [{ factors: { nope: [1] } }, /factors\.nope\[0\]: .*unknown/i],
    [{ factors: { "ttl-secs": [6, 6] } }, /factors\.ttl-secs: the value 6 is listed twice/],
    [{ scenario: "kill-lead" }, /scenario: unknown scenario "kill-lead"/],
    [{ scenario: "kill-etcd-leader" }, /scenario: kill-etcd-leader has no failover to time/],
    [{ falseFailover: { scenario: "baseline" } }, /falseFailover\.scenario: baseline has no fault/],
    [{ falseFailover: { scenario: "kill-leader" } }, /falseFailover\.scenario: kill-leader expects a failover/],
    [{ falseFailover: { factors: ["file-check-frequency"] } }, /falseFailover\.factors\[0\]: "file-check-frequency" is not one of the study's factors/],
    [{ target: 5 }, /target: expected a fraction in \(0, 1\)/],
    [{ colour: "red" }, /colour: unknown field/],
    [{ name: "Bad Name" }, /name: "Bad Name" is not kebab-case/],
    [{ sets: ["ttl-secs=6"] }, /sets: ttl-secs=6 sets a factor/],
  ])("refuses %j naming the field", (over, message) => {
    expect(() => study(over)).toThrow(InputError);
    expect(() => study(over)).toThrow(message);
  });

  it("reads factor values as numbers for the model: seconds for durations", () => {
    expect([numericValue("10"), numericValue("5s"), numericValue("500ms"), numericValue("1m30s"), numericValue("A")]).toEqual([10, 5, 0.5, 90, null]);
  });
});

describe("study design", () => {
  it("runs the full grid, cuts each cell into batches, and orders all batches by the seed", () => {
    const d = study({ falseFailover: { replicates: 3 } });
    expect(studyCells(d).map((c) => c.key)).toEqual(["ttl-secs=6,sleep=1s", "ttl-secs=6,sleep=2s", "ttl-secs=10,sleep=1s", "ttl-secs=10,sleep=2s"]);
    // The arm varies the lease factors only: both here.
    expect(falseFailoverCells(d)).toHaveLength(4);
    const batches = planBatches(d);
    expect(batches.reduce((n, b) => n + b.repeat, 0)).toBe(4 * 3 + 4 * 3);
    expect(batches.map((b) => b.repeat).sort()).toEqual([...Array(8).fill(1), ...Array(8).fill(2)]);
    expect(planBatches(d)).toEqual(batches);
    const other = planBatches(study({ seed: 12, falseFailover: { replicates: 3 } }));
    expect(other.map((b) => `${b.cell.arm}${b.cell.key}${b.ordinal}`)).not.toEqual(batches.map((b) => `${b.cell.arm}${b.cell.key}${b.ordinal}`));
    // Every batch its own seed.
    expect(new Set(batches.map((b) => b.seed)).size).toBe(batches.length);
  });

  it("plans only what the log has not finished: initial batches never started as they are, the rest with new ordinals (so new seeds)", () => {
    const d = study({ falseFailover: { replicates: 0 } });
    const finished = new Map([["failover:ttl-secs=6,sleep=1s", 3], ["failover:ttl-secs=10,sleep=2s", 1]]);
    const ordinalsUsed = new Map([["failover:ttl-secs=6,sleep=1s", new Set([0, 1])], ["failover:ttl-secs=10,sleep=2s", new Set([0])]]);
    const batches = planBatches(d, { finished, ordinalsUsed });
    expect(batches.filter((b) => b.cell.key === "ttl-secs=6,sleep=1s")).toEqual([]);
    // 3 replicates = batches 0 (2 trials) and 1 (1 trial); batch 0 ran and finished 1 of its 2: batch 1 runs
    // as planned, the trial batch 0 lost gets ordinal 2, the first beyond the cell's initial batches.
    expect(batches.filter((b) => b.cell.key === "ttl-secs=10,sleep=2s").map((b) => [b.repeat, b.ordinal]).sort()).toEqual([[1, 1], [1, 2]]);
    expect(batches.reduce((n, b) => n + b.repeat, 0)).toBe(12 - 4);
  });
});

describe("trial log", () => {
  it("drops a torn last line and truncates it away; a bad line before the last is an error", async () => {
    const file = path.join(tmp, "log.ndjson");
    await writeFile(file, `${JSON.stringify({ kind: "batch", n: 1 })}\n${JSON.stringify({ kind: "batch", n: 2 })}\n{"kind":"tri`);
    const { records, dropped } = await readLog(file, { repair: true });
    expect(records).toHaveLength(2);
    expect(dropped).toBe('{"kind":"tri');
    expect((await readFile(file, "utf8")).endsWith("}\n")).toBe(true);
    // A line that is whole but not JSON, last: torn too (a kill between two writes of a line cannot happen, but a disk can).
    await appendFile(file, "{oops\n");
    expect((await readLog(file)).dropped).toBe("{oops");
    await appendFile(file, `${JSON.stringify({ kind: "batch" })}\n`);
    await expect(readLog(file)).rejects.toThrow(/line 3 is not JSON \(and is not the last/);
  });
});

/** A fake engine whose failover takes 0.75 s per s of ttl plus 0.5 s per s of sleep (the §6 slopes), so the fit has something to find. */
function slopedEngine(clock: VirtualClock): RunEngine & { launched: FakeCluster[] } {
  const base = fakeEngine(clock);
  const launched: FakeCluster[] = [];
  return {
    ...base,
    launched,
    launch: async (spec, req) => {
      req.signal.throwIfAborted();
      const c = new FakeCluster(clock, { failoverMs: 750 * spec.podmaster.ttlSecs + 0.5 * spec.podmaster.sleepMs }, req.runId, spec);
      launched.push(c);
      return c;
    },
  };
}

let ids = 0;
const runIds = (): string => `20260101-000000-${(ids++).toString(16).padStart(4, "0")}`;

async function run(def: StudyDefinition, dir: string, opts: { parallel?: number; abortOn?: RegExp } = {}) {
  const clock = new VirtualClock();
  const engine = slopedEngine(clock);
  const controller = new AbortController();
  const lines: string[] = [];
  const exec = await clock.run(
    runStudy({
      definition: def, catalogue, engines: EngineSet.ofRunEngines([{ engine, parallel: opts.parallel ?? 2 }]), signal: controller.signal, dir, clock, newRunId: runIds,
      progress: (l) => {
        lines.push(l);
        if (opts.abortOn?.test(l) && !controller.signal.aborted) controller.abort(new Error("Ctrl-C"));
      },
    }),
  );
  return { exec, engine, lines };
}

const trialsOf = (records: readonly LogRecord[]): TrialRecord[] => records.filter((r): r is TrialRecord => r.kind === "trial");

describe("a whole study on the fake engine", () => {
  const def = study({ falseFailover: { replicates: 0 } });

  it("runs every cell's replicates in batches, logs each trial, and analyses the log", async () => {
    const dir = path.join(tmp, "full");
    const { exec, engine, lines } = await run(def, dir);
    expect(exec.interrupted).toBe(false);
    expect(engine.launched).toHaveLength(planBatches(def).length);
    expect(engine.launched.every((c) => c.disposed)).toBe(true);
    const { records } = await readLog(path.join(dir, LOG_FILE));
    const trials = trialsOf(records);
    expect(trials).toHaveLength(12);
    expect(trials.every((t) => t.complete && t.offsetMs !== null && t.measures.timeToNewSchedulerMs !== null)).toBe(true);
    for (const c of studyCells(def)) expect(trials.filter((t) => t.cell === c.key).map((t) => t.replicate).sort()).toEqual([1, 2, 3]);
    expect(lines.some((l) => /study: cells 4\/4 done, trials 12\/12/.test(l))).toBe(true);

    const a = analyzeStudy(def, catalogue, records);
    expect(a.counts).toMatchObject({ trials: 12, planned: 12, cutShort: 0 });
    const ttl = a.fit.coefficients.find((c) => c.name === "ttl-secs")!;
    // The fake's own slope (0.75 s/s), within the probes' polling noise; the §6 model says the same.
    expect(ttl.estimate).toBeCloseTo(0.75, 1);
    expect(ttl.model).toBeCloseTo(0.75, 5);
    expect(a.fit.coefficients.find((c) => c.name === "sleep")!.model).toBeCloseTo(0.5, 5);
    expect(a.recommendation.cell).toBe("ttl-secs=6,sleep=1s");
    expect(a.recommendation.meetsTarget).toBe(false);
    expect(a.throughput).toEqual([expect.objectContaining({ parallel: 2, trials: 12, batches: 8 })]);

    const report = buildStudyReport({ id: "full", definition: def, analysis: a, records, createdAt: "2026-01-01T00:00:00Z", interrupted: false, engine: "fake://", parallel: 2 });
    expect(report.status).toBe("completed");
    expect(await schemaErrors(report)).toEqual([]);
    expect(renderStudyMarkdown(report)).toMatch(/recommended: ttl-secs=6,sleep=1s \(provisional\)/);
    const html = await renderStudyHtml(report);
    for (const id of ["heatmap-p50", "heatmap-p99", "intervals", "fitted", "ecdf"]) expect(html).toContain(`data-chart="${id}"`);
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect((html.match(/href="runs\/kill-leader\/[^"]+\/report\.html"/g) ?? []).length).toBe(12);
  });

  it("resumes after a kill that tore the log mid-line: runs only the missing trials, never a finished one", async () => {
    const dir = path.join(tmp, "killed");
    await run(def, dir);
    const file = path.join(dir, LOG_FILE);
    const text = await readFile(file, "utf8");
    // Keep the first 5 trial lines whole (with whatever batch lines came between) and half of the next line.
    const lines = text.split("\n");
    let kept = 0;
    let cut = 0;
    for (const [i, l] of lines.entries()) {
      if (l.includes('"kind":"trial"') && ++kept === 6) {
        cut = lines.slice(0, i).join("\n").length + 1 + Math.floor(l.length / 2);
        break;
      }
    }
    await truncate(file, cut);
    const before = trialsOf((await readLog(file)).records);
    expect(before).toHaveLength(5);

    const { exec, engine, lines: progress } = await run(def, dir);
    expect(exec.dropped).not.toBeNull();
    expect(progress[0]).toMatch(/dropped a torn last line/);
    const after = trialsOf(exec.records);
    expect(after).toHaveLength(12);
    // The kept trials are still there, once, and no later trial repeats a cell beyond its replicates.
    expect(after.slice(0, 5)).toEqual(before);
    expect(new Set(after.map((t) => `${t.runId}#${t.trialIndex}`)).size).toBe(12);
    expect(engine.launched.every((c) => c.disposed)).toBe(true);
    const { finished } = progressOf(exec.records);
    for (const c of studyCells(def)) expect(finished.get(`failover:${c.key}`)).toBe(3);
    expect(exec.sessionTrials).toBe(7);
  });

  it("on Ctrl-C starts nothing new, keeps the cut-short trial uncounted, releases everything; resume completes it", async () => {
    const dir = path.join(tmp, "ctrl-c");
    // Aborted as the second trial of a two-trial batch starts: that trial is cut short.
    const { exec, engine } = await run(def, dir, { parallel: 1, abortOn: /\] trial 2\/2/ });
    expect(exec.interrupted).toBe(true);
    expect(engine.launched.every((c) => c.disposed)).toBe(true);
    const trials = trialsOf(exec.records);
    const done = trials.filter((t) => t.complete).length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(12);
    expect(trials.filter((t) => !t.complete).length).toBeGreaterThan(0);
    expect(trials.filter((t) => !t.complete).every((t) => t.replicate === null && t.verdict === "unknown")).toBe(true);
    const a = analyzeStudy(def, catalogue, exec.records);
    expect(buildStudyReport({ id: "c", definition: def, analysis: a, records: exec.records, createdAt: "", interrupted: true, engine: "fake://", parallel: 1 }).status).toBe("partial");
    const resumed = await run(def, dir);
    expect(trialsOf(resumed.exec.records).filter((t) => t.complete)).toHaveLength(12);
    expect(resumed.exec.sessionTrials).toBe(12 - done);
  });
});

describe("study analysis on synthetic trials", () => {
  const def = study({ factors: { "ttl-secs": [6, 10] }, replicates: 40, falseFailover: { replicates: 20 } });
  const measures = (ms: number | null, inside: boolean | null = true) =>
    ({ faultT: 1000, timeToNewSchedulerMs: ms, podRecoveryMs: ms === null ? null : ms + 1000, phases: { newLeaderElectedMs: ms === null ? null : ms - 500 }, model: inside === null ? null : { minMs: 0, expectedMs: 0, maxMs: 0, inside } }) as unknown as TrialRecord["measures"];
  const trial = (arm: TrialRecord["arm"], cell: string, i: number, ms: number | null, failover: boolean | null = null): TrialRecord => ({
    kind: "trial", arm, cell, values: { "ttl-secs": cell.split("=")[1]! }, replicate: i + 1, runId: `r-${cell}-${Math.floor(i / 5)}`, batchOrdinal: Math.floor(i / 5), seed: 1, trialIndex: i % 5, offsetMs: 100,
    measures: measures(ms, i % 4 !== 0), verdict: "pass", checks: {}, complete: true, failover, report: "x", parallel: 2, finishedAt: "2026-01-01T00:00:00Z",
  });
  const records: LogRecord[] = [
    // ttl 6: 4.5 s ± 1 s; ttl 10: 7.5 s ± 1 s (0.75 s per s).
    ...Array.from({ length: 40 }, (_, i) => trial("failover", "ttl-secs=6", i, 4500 + ((i * 37) % 21) * 100 - 1000)),
    ...Array.from({ length: 40 }, (_, i) => trial("failover", "ttl-secs=10", i, 7500 + ((i * 53) % 21) * 100 - 1000)),
    // False failovers: 5 of 20 at ttl 6, none at ttl 10.
    ...Array.from({ length: 20 }, (_, i) => trial("false-failover", "ttl-secs=6", i, null, i < 5)),
    ...Array.from({ length: 20 }, (_, i) => trial("false-failover", "ttl-secs=10", i, null, false)),
  ];

  it("gives per-cell quantiles with bootstrap intervals, the share inside the window, Wilson rates, the fit beside the model", async () => {
    const a = analyzeStudy(def, catalogue, records);
    const c6 = a.cells.find((c) => c.key === "ttl-secs=6")!;
    expect(c6.measures.timeToNewSchedulerMs.n).toBe(40);
    expect(c6.measures.timeToNewSchedulerMs.medianCi!.lo).toBeLessThanOrEqual(c6.measures.timeToNewSchedulerMs.p50!);
    expect(c6.measures.timeToNewSchedulerMs.medianCi!.hi).toBeGreaterThanOrEqual(c6.measures.timeToNewSchedulerMs.p50!);
    expect(c6.insideModel).toEqual({ inside: 30, judged: 40, share: 0.75 });
    expect(c6.ecdf.at(-1)!.p).toBe(1);
    expect(c6.falseFailover).toMatchObject({ events: 5, n: 20, rate: 0.25 });
    expect(a.falseFailover.find((f) => f.key === "ttl-secs=10")!.rate).toMatchObject({ events: 0, n: 20 });
    const slope = a.fit.coefficients.find((c) => c.name === "ttl-secs")!;
    expect(slope.estimate).toBeCloseTo(0.75, 1);
    expect(slope.lo!).toBeLessThan(0.75);
    expect(slope.hi!).toBeGreaterThan(0.75);
    expect(slope.model).toBeCloseTo(0.75, 5);
    // Neither setting shows an upper bound under 1 % with 20 trials: provisional, the lower bound (ttl 10) wins.
    expect(a.recommendation).toMatchObject({ cell: "ttl-secs=10", meetsTarget: false, runnerUp: { cell: "ttl-secs=6" } });
    expect(a.recommendation.why).toMatch(new RegExp(`only from n = ${trialsForTarget(0.01)}`));
    const report = buildStudyReport({ id: "s", definition: def, analysis: a, records, createdAt: "", interrupted: false, engine: "fake://", parallel: 2 });
    expect(await schemaErrors(report)).toEqual([]);
    // The schema is strict: a field it does not describe is an error.
    expect(await schemaErrors({ ...report, extra: 1 } as StudyReport)).toEqual([": must NOT have additional properties"]);
  });

  it("recommends the lowest p99 among the settings under the target, with the runner-up", () => {
    const cell = (key: string, p99: number, hi: number): CellAnalysis =>
      ({ key, values: {}, measures: { timeToNewSchedulerMs: { n: 50, p50: p99 / 2, p99 } }, falseFailover: { events: 0, n: 500, hi } }) as unknown as CellAnalysis;
    const r = recommend(study({ target: 0.01 }), [cell("a", 5000, 0.02), cell("b", 8000, 0.005), cell("c", 7000, 0.008), cell("d", 9000, 0.001)]);
    expect(r).toMatchObject({ cell: "c", meetsTarget: true, runnerUp: { cell: "b" } });
    expect(trialsForTarget(0.01)).toBeGreaterThan(370);
    expect(trialsForTarget(0.01)).toBeLessThan(390);
  });
});
