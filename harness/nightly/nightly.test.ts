/**
 * Whole nights without Docker: the fake engine and the virtual clock (harness/testing), two
 * scenarios at once. What a team relies on each morning: the verdict and its exit code, the budget
 * reported as not-run (never passed), flakes classified by a rerun, the gate against a baseline,
 * and the reports (nightly.json against its schema, junit.xml against Jenkins' XSD, links that
 * resolve, the trend).
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { PROJECT_ROOT } from "../paths.js";
import { EngineSet } from "../remote/engine-set.js";
import type { RunEngine } from "../runner/engine.js";
import { defineScenario } from "../runner/types.js";
import { fakeEngine, type FakeEngineOptions } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { readBaseline } from "./baseline.js";
import { nightly } from "./nightly.js";
import { parseNightlyPlan } from "./plan.js";
import { validateNightlyJson } from "./schema.js";
import { readTrend } from "./trend.js";
import type { NightlyResult } from "./types.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const pauseLeader = defineScenario({
  name: "pause-leader", description: "d", topology: [], fault: { kind: "pause", target: "scheduler-leader", durationMs: 8_000 },
  model: "pause-leader", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const catalogue = [killLeader, pauseLeader];
const PLAN = parseNightlyPlan(
  `profile: fast
defaults: { repeat: 3 }
thresholds:
  - { measure: timeToNewSchedulerMs, stat: p50, maxIncrease: 20% }
scenarios:
  kill-leader: { repeat: 3 }
  pause-leader: { repeat: 2 }
`,
  "test-plan.yaml",
  catalogue,
);
const XSD = readFileSync(path.join(PROJECT_ROOT, "docs", "junit-jenkins.xsd"), "utf8");

let root: string;
beforeAll(async () => { root = await mkdtemp(path.join(os.tmpdir(), "nightly-")); });
afterAll(async () => { if (!process.env.KEEP_NIGHTLY_TEST) await rm(root, { recursive: true, force: true }); });

let nights = 0;
interface Night {
  /** Engine options for each launch in turn (the last repeats). */
  launches?: FakeEngineOptions[];
  budgetMs?: number;
  baseline?: string;
  updateBaseline?: string;
  interruptAtMs?: number;
  parallel?: number;
}

/** An engine whose n-th launch behaves as `launches[n]` (the fake probes and workload work on any fake cluster). */
function engineOf(clock: VirtualClock, launches: FakeEngineOptions[]): RunEngine {
  const engines = launches.map((o) => fakeEngine(clock, o));
  let n = 0;
  return { ...engines[0]!, launch: (spec, req) => engines[Math.min(n++, engines.length - 1)]!.launch(spec, req) };
}

async function night(o: Night = {}): Promise<{ result: NightlyResult; dir: string; progress: string[]; trendFile: string }> {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const id = `20260101-0000${String(nights).padStart(2, "0")}-${(nights++).toString(16).padStart(4, "0")}`;
  const dir = path.join(root, id);
  const progress: string[] = [];
  const baseline = o.baseline ? await readBaseline(o.baseline, "fast") : null;
  if (o.interruptAtMs !== undefined) clock.at(o.interruptAtMs, () => controller.abort(new Error("Ctrl-C")));
  const trendFile = path.join(root, "trend.ndjson");
  const { result, writeErrors } = await clock.run(
    nightly(
      { plan: PLAN, profile: "fast", sets: [], budgetMs: o.budgetMs ?? 3_600_000, seed: 5, baseline, dir, id, harness: { version: "0.1.0", commit: "abcdef0" } },
      { trendFile, trendHtml: path.join(root, "trend.html"), updateBaseline: o.updateBaseline ?? null, previousBaseline: null },
      { engines: EngineSet.ofRunEngines([{ engine: engineOf(clock, o.launches ?? [{}]), parallel: o.parallel ?? 2 }]), signal: controller.signal, clock, progress: (l) => progress.push(l) },
    ),
  );
  expect(writeErrors).toEqual([]);
  return { result, dir, progress, trendFile };
}

async function junitErrors(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: [{ fileName: "junit.xml", contents: xml }], schema: [{ fileName: "junit-jenkins.xsd", contents: XSD }] });
  return r.valid ? [] : r.errors.map((e) => e.message);
}

/** Every report a night writes, checked the same way whatever happened. */
async function checkReports(dir: string): Promise<NightlyResult> {
  const json = JSON.parse(await readFile(path.join(dir, "nightly.json"), "utf8")) as NightlyResult;
  expect(validateNightlyJson(json)).toEqual([]);
  expect(await junitErrors(await readFile(path.join(dir, "junit.xml"), "utf8"))).toEqual([]);
  const html = await readFile(path.join(dir, "index.html"), "utf8");
  expect(html).toContain(`data-verdict="${json.verdict}"`);
  // Every run's report the index links exists.
  for (const [, href] of html.matchAll(/href="(runs\/[^"]+)"/g)) expect(existsSync(path.join(dir, href!)), href).toBe(true);
  const md = await readFile(path.join(dir, "summary.md"), "utf8");
  expect(md.split("\n")[0]).toMatch(new RegExp(`^# Nightly ${json.id}: ${json.verdict.toUpperCase()} \\(exit ${json.exitCode}\\)`));
  return json;
}

describe("nightly", () => {
  it("runs both scenarios at once, passes, writes valid reports linking each run, and appends the trend", async () => {
    const { result, dir, trendFile } = await night();
    expect(result).toMatchObject({ status: "completed", verdict: "pass", exitCode: 0, baseline: null });
    expect(result.scenarios.map((s) => [s.name, s.status, s.attempts.length])).toEqual([["kill-leader", "pass", 1], ["pause-leader", "pass", 1]]);
    expect(result.scenarios[0]!.measures.timeToNewSchedulerMs).toHaveLength(3);
    expect(result.comparisons.every((c) => c.verdict === "no-baseline")).toBe(true);
    const json = await checkReports(dir);
    // The schema is no rubber stamp: a wrong verdict, a missing field, an unknown one are refused.
    expect(validateNightlyJson({ ...json, verdict: "green" }).join("\n")).toMatch(/\/verdict: must be equal to one of the allowed values/);
    const { exitCode: _, ...noExit } = json;
    expect(validateNightlyJson(noExit).join("\n")).toMatch(/must have required property 'exitCode'/);
    expect(validateNightlyJson({ ...json, scenarios: [{ ...json.scenarios[0], flaky: true }] }).join("\n")).toMatch(/\/scenarios\/0: must NOT have additional properties \("flaky"\)/);
    expect(json.scenarios[0]!.attempts[0]!.reportDir).toMatch(/^runs\/kill-leader\/[\d-]+[0-9a-f]{4}$/);
    const trend = await readTrend(trendFile);
    expect(trend.at(-1)).toMatchObject({ id: result.id, verdict: "pass", scenarios: { "kill-leader": { status: "pass" } } });
    expect(await readFile(path.join(root, "trend.html"), "utf8")).toMatch(/data-chart="trend-kill-leader-timeToNewSchedulerMs"/);
  });

  it("reports what does not fit the budget as not-run, never passed, and fails the night", async () => {
    // kill-leader's estimate (fast, 3 trials: about 2.6 min) is the longer and goes first; on one slot pause-leader's (1.8 min) would end past 3 min.
    const { result, dir } = await night({ parallel: 1, budgetMs: 3 * 60_000 });
    const byName = Object.fromEntries(result.scenarios.map((s) => [s.name, s]));
    expect(byName["pause-leader"]).toMatchObject({ status: "not-run", attempts: [], reason: expect.stringMatching(/would not fit the budget/) });
    expect(byName["kill-leader"]!.status).toBe("pass");
    expect(result).toMatchObject({ verdict: "fail", exitCode: 1 });
    const json = await checkReports(dir);
    expect(await readFile(path.join(dir, "junit.xml"), "utf8")).toMatch(/classname="nightly.pause-leader" name="run"[^>]*>\s*<skipped\/>/);
    expect(json.reasons.join("\n")).toMatch(/not-run: pause-leader/);
  });

  it("cuts the runs under way at the budget's end and reports them not-run", async () => {
    // Both fit by their estimates, but no pod ever runs: each trial waits out its steady-state budget (76 s), and kill-leader's third is cut at 3 min.
    const { result, dir, progress } = await night({ budgetMs: 3 * 60_000, launches: [{ podStartMs: 3_600_000 }] });
    expect(result.scenarios.find((s) => s.name === "kill-leader")).toMatchObject({ status: "not-run", reason: expect.stringMatching(/^cut at the budget after 3 trial\(s\)/) });
    expect(result.scenarios.map((s) => s.status)).not.toContain("pass");
    expect(progress).toContain("budget of 3m00s reached: cutting the runs under way");
    expect(result.exitCode).toBe(1);
    await checkReports(dir);
  });

  it("reruns a failing scenario once: fail then pass is flaky (exit 0, said in the summary and junit), fail twice is failing (exit 1)", async () => {
    // Launch order: the two first runs (kill-leader never recovers, pause-leader passes), then kill-leader's rerun.
    const flaky = await night({ parallel: 2, launches: [{ failoverMs: null }, {}, {}] });
    const fl = flaky.result.scenarios.find((s) => s.status !== "pass")!;
    expect(fl).toMatchObject({ status: "flaky" });
    expect(fl.attempts.map((a) => a.verdict)).toEqual(["fail", "pass"]);
    expect(fl.reason).toMatch(/timing-oracle failed .*passed on rerun/);
    expect(flaky.result).toMatchObject({ verdict: "pass", exitCode: 0 });
    await checkReports(flaky.dir);
    expect(await readFile(path.join(flaky.dir, "summary.md"), "utf8")).toMatch(/\*\*\S+\*\*: FLAKY: attempt 1/);
    const junit = await readFile(path.join(flaky.dir, "junit.xml"), "utf8");
    expect(junit).toMatch(/name="run"[^>]*status="flaky">\s*<system-out>FLAKY: attempt 1/);
    expect(junit).toMatch(/<property name="flaky" value="true"\/>/);

    const failing = await night({ parallel: 2, launches: [{ failoverMs: null }, {}, { failoverMs: null }] });
    const fa = failing.result.scenarios.find((s) => s.status !== "pass")!;
    expect(fa).toMatchObject({ status: "failing" });
    expect(fa.attempts).toHaveLength(2);
    expect(failing.result).toMatchObject({ verdict: "fail", exitCode: 1 });
    await checkReports(failing.dir);
    expect(await readFile(path.join(failing.dir, "junit.xml"), "utf8")).toMatch(/name="timing-oracle"[^>]*>\s*<failure message="failed in trial 1/);
  });

  it("gates against a baseline: a planted 50 % slower failover is a regression naming the measure (exit 1); the unchanged system is not", async () => {
    const baselineFile = path.join(root, "baselines", "nightly-fast.json");
    const made = await night({ updateBaseline: baselineFile });
    expect(made.result.baselineWritten).toBe(baselineFile);
    const b = JSON.parse(await readFile(baselineFile, "utf8"));
    expect(b).toMatchObject({ kind: "nightly-baseline", profile: "fast", scenarios: { "kill-leader": { repeat: 3 } } });
    expect(b.scenarios["kill-leader"].measures.timeToNewSchedulerMs).toHaveLength(3);

    const same = await night({ baseline: baselineFile });
    expect(same.result).toMatchObject({ verdict: "pass", exitCode: 0 });
    expect(same.result.comparisons.map((c) => c.verdict)).toEqual(["ok", "ok"]);

    const slow = await night({ baseline: baselineFile, launches: [{ failoverMs: 4_500 }] });
    expect(slow.result).toMatchObject({ verdict: "fail", exitCode: 1 });
    const regressions = slow.result.comparisons.filter((c) => c.verdict === "regression");
    expect(regressions.map((c) => [c.scenario, c.measure])).toEqual([["kill-leader", "timeToNewSchedulerMs"], ["pause-leader", "timeToNewSchedulerMs"]]);
    expect(regressions[0]!.shift!.relative).toBeGreaterThan(0.2);
    expect(regressions[0]!.runs[0]).toMatch(/^runs\/kill-leader\//);
    const json = await checkReports(slow.dir);
    expect(json.reasons[0]).toMatch(/^regression: kill-leader timeToNewSchedulerMs p50: baseline .* → tonight .*, shift \+\d+ %/);
    expect(await readFile(path.join(slow.dir, "summary.md"), "utf8")).toMatch(/## Regressions[\s\S]*\| kill-leader \| timeToNewSchedulerMs p50 \|/);
    expect(await readFile(path.join(slow.dir, "junit.xml"), "utf8")).toMatch(/name="gate timeToNewSchedulerMs p50"[^>]*>\s*<failure message="regression: kill-leader/);

    // A previous night's nightly.json serves as the baseline too.
    const vsNight = await night({ baseline: path.join(same.dir, "nightly.json") });
    expect(vsNight.result).toMatchObject({ verdict: "pass", baseline: { kind: "nightly", id: same.result.id } });
  });

  it("Ctrl-C: the night is interrupted (exit 130) with a partial report", async () => {
    const { result, dir } = await night({ interruptAtMs: 20_000 });
    expect(result).toMatchObject({ status: "interrupted", verdict: "interrupted", exitCode: 130 });
    expect(result.scenarios.every((s) => s.status === "interrupted")).toBe(true);
    expect(result.scenarios.flatMap((s) => s.attempts).every((a) => a.status === "interrupted")).toBe(true);
    await checkReports(dir);
  });
});
