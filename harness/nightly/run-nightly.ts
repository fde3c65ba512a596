/**
 * One night: every planned scenario (or this shard's, `--shard i/n`) as one run, several at once
 * (`runPool` over the slots of one or more engines, `EngineSet`), longest first within the budget;
 * a run that fails is rerun once (flaky or failing); then the gate against the baseline, and the
 * verdict. Never throws for a run's sake: a run's harness error is that scenario's `error`. A run
 * whose engine died is no attempt: the scenario goes to another engine's slot. Reports: report.ts;
 * the CLI: harness/cli/nightly.ts.
 */
import path from "node:path";
import { newRunId } from "../docker/run-id.js";
import { MEASURE_NAMES, measureValue, type MeasureName } from "../measures/measures.js";
import { summarizeValues, type HarnessInfo, type RunResult, type SummaryStats } from "../reporting/result.js";
import type { Clock } from "../runner/clock.js";
import type { RunOutcome } from "../runner/execute-run.js";
import type { RunPlan } from "../runner/plan.js";
import { HandBack, runPool } from "../runner/pool.js";
import { EngineLost, engineUseLines, type EngineSet } from "../remote/engine-set.js";
import { applySetOverrides, profileSpec, type Profile } from "../topology/spec.js";
import type { Baseline } from "./baseline.js";
import { judge } from "./gate.js";
import type { NightlyPlan, PlannedScenario } from "./plan.js";
import { dealShards, estimateRunMs, scheduleLongestFirst, type Shard } from "./schedule.js";
import { NIGHTLY_SCHEMA_VERSION, SAFETY_CHECKS, type LostRun, type NightlyAttempt, type NightlyResult, type NightlyScenario, type NightlyShard, type SafetyFailure, type ScenarioStatus } from "./types.js";

export interface NightlyOptions {
  readonly plan: NightlyPlan;
  /** The profile tonight (the plan's unless `--profile` says otherwise). */
  readonly profile: Profile;
  /** `--set` for every scenario, after the scenario's own. */
  readonly sets: readonly string[];
  /** Overrides every scenario's repeat (`--repeat`). */
  readonly repeat?: number;
  readonly budgetMs: number;
  readonly seed: number;
  /** Run only this shard's scenarios (`--shard i/n`, `shardOf`); absent or 1/1: the whole plan. */
  readonly shard?: Shard;
  readonly baseline: Baseline | null;
  /** The night's folder: runs go to `<dir>/runs/<scenario>/<run id>/`. */
  readonly dir: string;
  readonly id: string;
  readonly harness: HarnessInfo;
}

export interface NightlyDeps {
  /** Where runs go: one per slot at once, over every engine (`EngineSet.slots` is the night's parallelism). */
  readonly engines: EngineSet;
  /** Ctrl-C: runs under way are cut short, none is started; the result says `interrupted`. */
  readonly signal: AbortSignal;
  /** @default the process's clock */
  readonly clock: Clock;
  readonly progress: (line: string) => void;
  /** For each run's result.json. */
  readonly invocation?: (plan: RunPlan) => { argv: string[]; command?: string; rerun: string };
}

interface Job {
  readonly planned: PlannedScenario;
  readonly runPlan: RunPlan;
  readonly estimateMs: number;
  readonly estimateHow: string;
  /** A job handed back after its first attempt completed (the rerun's engine died): that attempt stands. */
  readonly first?: { readonly a: NightlyAttempt; readonly r: RunResult | undefined };
}

/** The run plans of the night, validated (a bad `--set` is an InputError before anything runs). */
export function nightlyJobs(o: Pick<NightlyOptions, "plan" | "profile" | "sets" | "repeat" | "seed" | "baseline">): Job[] {
  return o.plan.scenarios.map((planned, i) => {
    const spec = applySetOverrides(applySetOverrides(profileSpec(o.profile), planned.scenario.topology), o.sets);
    const repeat = o.repeat ?? planned.repeat;
    // A seed per scenario from the night's, unless the plan pins one; a rerun replays the same seed.
    const seed = planned.seed ?? ((o.seed + i * 7919) % 2 ** 31);
    const runPlan: RunPlan = { scenario: planned.scenario, spec, repeat, seed, options: { profile: o.profile, sets: [...o.sets], scenarioOverrides: planned.scenario.topology, nightly: true } };
    const measured = o.baseline?.kind === "baseline" && o.baseline.sets.join(" ") === o.sets.join(" ") ? o.baseline.scenarios[planned.scenario.name] : undefined;
    const est = estimateRunMs(runPlan, measured);
    return { planned: { ...planned, repeat }, runPlan, estimateMs: est.ms, estimateHow: est.how };
  });
}

/** This shard's jobs (`dealShards` over every job's estimate), longest first; the whole night's for none or 1/1. */
export function shardOf(jobs: readonly Job[], shard: Shard | undefined): { jobs: Job[]; shard?: NightlyShard } {
  if (!shard || shard.count === 1) return { jobs: [...jobs] };
  const mine = dealShards(jobs.map((job) => ({ job, name: job.planned.scenario.name, estimateMs: job.estimateMs })), shard.count)[shard.index - 1]!;
  return { jobs: mine, shard: { index: shard.index, count: shard.count, scenarios: mine.map((j) => j.planned.scenario.name) } };
}

type Outcome = "pass" | "fail" | "safety" | "unknown" | "error" | "interrupted";

function attemptOf(o: RunOutcome, dir: string, seed: number, durationMs: number, engine: string): NightlyAttempt {
  const r = o.result;
  const problems = new Map<string, { check: string; verdict: "fail" | "unknown"; trials: number[]; message: string }>();
  for (const t of r.trials) {
    for (const c of t.checks) {
      if (c.verdict === "pass") continue;
      const key = `${c.name}/${c.verdict}`;
      const p = problems.get(key) ?? { check: c.name, verdict: c.verdict, trials: [], message: c.message };
      p.trials.push(t.index);
      problems.set(key, p);
    }
  }
  return {
    runId: r.runId,
    reportDir: path.relative(dir, o.reportDir).split(path.sep).join("/"),
    seed,
    status: r.status,
    verdict: r.verdict,
    durationMs: Math.round(durationMs),
    trials: r.trials.length,
    checks: [...new Set(r.trials.flatMap((t) => t.checks.map((c) => c.name)))],
    problems: [...problems.values()],
    ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : o.reportError ? { error: `${o.reportError.code}: ${o.reportError.message}` } : {}),
    engine,
  };
}

function outcomeOf(a: NightlyAttempt): Outcome {
  if (a.status === "interrupted") return "interrupted";
  if (a.status === "failed") return "error";
  if (a.problems.some((p) => p.verdict === "fail" && SAFETY_CHECKS.includes(p.check))) return "safety";
  return a.verdict === "pass" ? "pass" : a.verdict === "fail" ? "fail" : "unknown";
}

const describeProblems = (a: NightlyAttempt): string =>
  a.problems.map((p) => `${p.check} ${p.verdict === "fail" ? "failed" : "unknown"} in trial ${p.trials.map((t) => t + 1).join(", ")}: ${p.message}`).join("; ") || (a.error ?? `verdict ${a.verdict}`);

/** The status from the attempts (1 or 2) and, when a rerun was wanted but not made, why. */
function classify(attempts: readonly NightlyAttempt[], cut: "budget" | "interrupt" | null, rerunSkipped?: string): { status: ScenarioStatus; reason?: string } {
  const [first, second] = attempts.map(outcomeOf);
  const a1 = attempts[0]!;
  if (first === "pass") return { status: "pass" };
  if (first === "interrupted") return cut === "budget" ? { status: "not-run", reason: `cut at the budget after ${a1.trials} trial(s) (run ${a1.runId})` } : { status: "interrupted", reason: "interrupted" };
  if (first === "safety") return { status: "failing", reason: `safety (not rerun: absolute): ${describeProblems(a1)}` };
  const firstText = `attempt 1 (run ${a1.runId}): ${describeProblems(a1)}`;
  const fromFirst = (why: string): { status: ScenarioStatus; reason: string } => ({
    status: first === "fail" ? "failing" : first === "unknown" ? "inconclusive" : "error",
    reason: `${firstText}; ${why}`,
  });
  if (second === undefined) return fromFirst(rerunSkipped ?? "not rerun");
  const a2 = attempts[1]!;
  if (second === "pass") return { status: "flaky", reason: `${firstText}; passed on rerun (run ${a2.runId})` };
  if (second === "interrupted") return fromFirst(cut === "budget" ? "the rerun was cut at the budget" : "the rerun was interrupted");
  const secondText = `rerun (run ${a2.runId}): ${describeProblems(a2)}`;
  if (second === "safety" || second === "fail" || first === "fail") return { status: "failing", reason: `${firstText}; ${secondText}` };
  if (second === "unknown" && first === "unknown") return { status: "inconclusive", reason: `${firstText}; ${secondText}` };
  if (second === "error" && first === "error") return { status: "error", reason: `${firstText}; ${secondText}` };
  // unknown then error, or error then unknown: nothing proven either way.
  return { status: "inconclusive", reason: `${firstText}; ${secondText}` };
}

/** Per-trial values of every measure, and their summary, from the run that counts. */
function measuresOf(r: RunResult | undefined): Pick<NightlyScenario, "measures" | "summary"> {
  if (!r) return { measures: {}, summary: {} };
  const measures: Partial<Record<MeasureName, (number | null)[]>> = {};
  const summary: Partial<Record<MeasureName, SummaryStats>> = {};
  for (const n of MEASURE_NAMES) {
    const xs = r.trials.filter((t) => t.fault !== null).map((t) => measureValue(t.measures, n));
    if (xs.every((x) => x === null)) continue;
    measures[n] = xs;
    summary[n] = summarizeValues(xs);
  }
  return { measures, summary };
}

/** Runs the night and judges it; the caller writes the reports (report.ts). */
export async function runNightly(o: NightlyOptions, deps: NightlyDeps): Promise<NightlyResult> {
  const { clock, progress, engines } = deps;
  const parallel = engines.slots;
  const startedAt = new Date().toISOString();
  const t0 = clock.now();
  // Every job of the plan first (a scenario's seed comes from its place in the plan), then this shard's.
  const { jobs, shard } = shardOf(nightlyJobs(o), o.shard);
  const slotted = scheduleLongestFirst(jobs.map((job) => ({ job, estimateMs: job.estimateMs })), parallel, o.budgetMs);
  const runsDir = path.join(o.dir, "runs");
  const results = new Map<string, NightlyScenario>();
  const safety: SafetyFailure[] = [];
  const lostRuns = new Map<string, LostRun[]>();
  const several = engines.uses.length > 1;

  for (const s of slotted) {
    if (s.fits) continue;
    const j = s.job;
    results.set(j.planned.scenario.name, {
      name: j.planned.scenario.name, repeat: j.runPlan.repeat, estimateMs: j.estimateMs, estimateHow: j.estimateHow, status: "not-run",
      reason: `would not fit the budget: estimated ${min(j.estimateMs)} from ${min(s.startMs)} on its slot, budget ${min(o.budgetMs)}`, attempts: [], measures: {}, summary: {},
    });
    progress(`${j.planned.scenario.name}: not run (estimated ${min(j.estimateMs)}, would end at ${min(s.endMs)} of ${min(o.budgetMs)})`);
  }
  const planned = slotted.filter((s) => s.fits);
  const shardText = shard ? ` shard ${shard.index}/${shard.count}` : "";
  const slotsText = several ? `${parallel} slot(s) over ${engines.uses.length} engines` : `${parallel} at once`;
  progress(`nightly ${o.id}${shardText}: ${planned.length} of ${jobs.length} scenario(s)${shard ? ` (of the plan's ${o.plan.scenarios.length})` : ""}, ${o.profile} profile, ${slotsText}, budget ${min(o.budgetMs)}; predicted ${min(Math.max(0, ...planned.map((s) => s.endMs)))}`);
  if (shard && !jobs.length) progress(`shard ${shard.index}/${shard.count} has no scenario: the plan's ${o.plan.scenarios.length} went to the other shards`);

  // The budget: at its end, runs under way are cut (their scenarios not-run) and none is started.
  // Enforced through the clock the runs sleep on (they never wait otherwise): a sleep past the
  // deadline wakes at it and aborts the night's runs. No timer on that clock, so a virtual clock
  // (tests) is not advanced by one. Runs on other engines do not sleep on it: for them a real
  // timer, which a virtual clock's night never waits for.
  const budget = new AbortController();
  const deadline = clock.now() + o.budgetMs;
  const endBudget = (): void => {
    if (budget.signal.aborted) return;
    progress(`budget of ${min(o.budgetMs)} reached: cutting the runs under way`);
    budget.abort(new Error("budget reached"));
  };
  const runClock: Clock = {
    now: () => clock.now(),
    epochAt: (mono) => clock.epochAt(mono),
    async sleep(ms, signal) {
      const left = deadline - clock.now();
      if (ms < left) return clock.sleep(ms, signal);
      await clock.sleep(Math.max(0, left), signal);
      endBudget();
      return clock.sleep(Math.max(0, ms - left), signal);
    },
  };
  const budgetTimer = setTimeout(endBudget, o.budgetMs);
  budgetTimer.unref();
  const stop = AbortSignal.any([deps.signal, budget.signal]);
  const cutBy = (): "budget" | "interrupt" | null => (deps.signal.aborted ? "interrupt" : budget.signal.aborted ? "budget" : null);
  const elapsed = (): number => clock.now() - t0;

  /** One run of `j` on `slot`'s engine. Its engine lost: `EngineLost` (recorded in `lostRuns`), never an attempt. */
  const attempt = async (j: Job, k: number, slot: number): Promise<{ a: NightlyAttempt; r: RunResult | undefined }> => {
    const runId = newRunId();
    const name = j.planned.scenario.name;
    const engine = engines.urlOf(slot);
    progress(`${name}: ${k ? "rerun" : "run"} ${runId}${several ? ` on ${engine}` : ""} (${j.runPlan.repeat} trial(s), seed ${j.runPlan.seed}, estimated ${min(j.estimateMs)})`);
    const start = clock.now();
    let out: RunOutcome;
    try {
      out = await engines.run(slot, j.runPlan, {
        signal: stop, outDir: runsDir, runId, clock: runClock,
        progress: (line) => progress(`${name}: ${line}`),
        ...(deps.invocation ? { invocation: deps.invocation(j.runPlan) } : {}),
      });
    } catch (err) {
      if (err instanceof EngineLost) {
        lostRuns.set(name, [...(lostRuns.get(name) ?? []), { runId, engine, reason: err.message }]);
        throw err;
      }
      // A run on another engine that brought no report back while its engine answers: the harness broke.
      const e = err as Error & { code?: string };
      const a: NightlyAttempt = {
        runId, reportDir: path.posix.join("runs", name, runId), seed: j.runPlan.seed, status: "failed", verdict: "unknown",
        durationMs: Math.round(clock.now() - start), trials: 0, checks: [], problems: [], error: `${e.code ?? "E_INTERNAL"}: ${e.message}`, engine,
      };
      progress(`${name}: ${k ? "rerun" : "run"} ${runId} failed: ${e.message}`);
      return { a, r: undefined };
    }
    const a = attemptOf(out, o.dir, j.runPlan.seed, clock.now() - start, engine);
    for (const p of a.problems) {
      if (p.verdict !== "fail" || !SAFETY_CHECKS.includes(p.check)) continue;
      for (const trial of p.trials) {
        const t = out.result.trials.find((x) => x.index === trial);
        safety.push({ scenario: name, check: p.check, runId: a.runId, reportDir: a.reportDir, trial, message: t?.checks.find((c) => c.name === p.check)?.message ?? p.message });
      }
    }
    progress(`${name}: ${k ? "rerun" : "run"} ${runId} ${a.status === "completed" ? `verdict ${a.verdict}` : a.status} in ${min(a.durationMs)}`);
    return { a, r: out.result };
  };

  const onHandBack = (h: HandBack<Job>, j: Job, slot: number): void => {
    // Without a job: a slot of an engine already lost, retiring before it ran anything.
    if (!h.job) progress(`slot ${slot + 1} (${engines.urlOf(slot)}) stops: ${h.message}`);
    else progress(`${j.planned.scenario.name}: ${h.message}: ${h.job.first ? "its rerun" : "its run"} goes to another engine whole; slot ${slot + 1} (${engines.urlOf(slot)}) stops`);
  };
  const entries = await runPool(planned.map((s) => s.job), { parallel, signal: stop, onHandBack }, async (j, slot) => {
    if (!engines.alive(slot)) throw new HandBack(`engine ${engines.urlOf(slot)} is gone`);
    const name = j.planned.scenario.name;
    const base = { name, repeat: j.runPlan.repeat, estimateMs: j.estimateMs, estimateHow: j.estimateHow };
    // A run whose engine dies is handed back whole, to start again on another engine's slot: a
    // nightly run's trials are not kept one by one (its verdict is the whole run's), and the lost
    // run is no attempt, so it neither makes the scenario flaky nor uses up its rerun.
    const handBack = (err: unknown, job: Job): never => {
      if (err instanceof EngineLost) throw new HandBack(err.message, job, { cause: err });
      throw err;
    };
    let first = j.first;
    if (!first) {
      if (elapsed() + j.estimateMs > o.budgetMs) {
        results.set(name, { ...base, status: "not-run", reason: `not reached in time: ${min(elapsed())} gone, estimated ${min(j.estimateMs)}, budget ${min(o.budgetMs)}`, attempts: [], measures: {}, summary: {}, ...lostOf(name) });
        progress(`${name}: not run (not reached in time)`);
        return;
      }
      first = await attempt(j, 0, slot).catch((err: unknown) => handBack(err, j));
    }
    const attempts = [first.a];
    let counted = first.r;
    let skipped: string | undefined;
    const o1 = outcomeOf(first.a);
    if (o1 !== "pass" && o1 !== "safety" && o1 !== "interrupted" && !stop.aborted) {
      if (elapsed() + j.estimateMs > o.budgetMs) skipped = `the rerun did not fit the budget (${min(elapsed())} gone, estimated ${min(j.estimateMs)})`;
      else {
        const second = await attempt(j, 1, slot).catch((err: unknown) => handBack(err, { ...j, first }));
        attempts.push(second.a);
        if (second.a.status === "completed") counted = second.r;
      }
    }
    const { status, reason } = classify(attempts, cutBy(), skipped);
    results.set(name, { ...base, status, ...(reason ? { reason } : {}), attempts, ...measuresOf(counted?.status === "completed" ? counted : undefined), ...lostOf(name) });
    progress(`${name}: ${status.toUpperCase()}${reason ? `: ${reason}` : ""}`);
  }).finally(() => clearTimeout(budgetTimer));
  function lostOf(name: string): Pick<NightlyScenario, "lostRuns"> {
    const lost = lostRuns.get(name);
    return lost?.length ? { lostRuns: lost } : {};
  }

  // A job that threw (a bug here, not a run's failure) is that scenario's error.
  for (const e of entries) {
    if (e.state !== "error" || results.has(e.job.planned.scenario.name)) continue;
    const j = e.job;
    results.set(j.planned.scenario.name, {
      name: j.planned.scenario.name, repeat: j.runPlan.repeat, estimateMs: j.estimateMs, estimateHow: j.estimateHow, status: "error",
      reason: `the nightly job failed: ${(e.error as Error)?.stack ?? String(e.error)}`, attempts: [], measures: {}, summary: {}, ...lostOf(j.planned.scenario.name),
    });
  }
  // A scenario the pool never ran to its end (Ctrl-C, the budget's end, or every engine lost) is not run.
  const allLost = engines.uses.every((u) => u.lost !== null);
  for (const e of entries) {
    const j = e.job;
    const name = j.planned.scenario.name;
    if (results.has(name)) continue;
    const interrupted = deps.signal.aborted;
    const reason = interrupted ? "interrupted before it started" : allLost && !budget.signal.aborted ? `every engine was lost (${engines.uses.map((u) => u.url).join(", ")}) before it ran` : "not reached before the budget's end";
    const base = { name, repeat: j.runPlan.repeat, estimateMs: j.estimateMs, estimateHow: j.estimateHow, ...lostOf(name) };
    const { first } = j;
    if (first && !interrupted) {
      // Its first attempt stands; the rerun was lost with its engine and not made again: the status follows the first run.
      const { status, reason: why } = classify([first.a], cutBy(), `the rerun was not made: ${reason}`);
      results.set(name, { ...base, status, ...(why ? { reason: why } : {}), attempts: [first.a], ...measuresOf(first.r?.status === "completed" ? first.r : undefined) });
      continue;
    }
    results.set(name, { ...base, status: interrupted ? "interrupted" : "not-run", reason, attempts: first ? [first.a] : [], measures: {}, summary: {} });
  }
  for (const line of engineUseLines(engines.uses)) if (several || engines.uses.some((u) => u.lost)) progress(line);
  const scenarios = jobs.map((j) => results.get(j.planned.scenario.name)!);
  const comparisons = judge(jobs.map((j) => j.planned), scenarios, o.baseline);
  const interrupted = deps.signal.aborted;
  const { verdict, exitCode, reasons } = verdictOf(scenarios, safety, comparisons, interrupted);
  return {
    schemaVersion: NIGHTLY_SCHEMA_VERSION,
    id: o.id,
    harness: o.harness,
    startedAt,
    finishedAt: new Date().toISOString(),
    status: interrupted ? "interrupted" : "completed",
    profile: o.profile,
    plan: o.plan.file,
    sets: [...o.sets],
    budgetMs: o.budgetMs,
    parallel,
    engines: engines.uses.map((u) => ({ url: u.url, parallel: u.parallel, runs: u.runs, trials: u.trials, lost: u.lost ? { at: u.lost.at, reason: u.lost.reason, runIds: [...u.lost.runIds] } : null })),
    ...(shard ? { shard } : {}),
    seed: o.seed,
    baseline: o.baseline ? { file: o.baseline.file, kind: o.baseline.kind, id: o.baseline.id, createdAt: o.baseline.createdAt, sets: [...o.baseline.sets] } : null,
    verdict,
    exitCode,
    reasons,
    scenarios,
    safety,
    comparisons,
    baselineWritten: null,
  };
}

/**
 * 130 when interrupted; else 1 when anything says the system is worse or unproven (a regression,
 * a safety failure, a failing, inconclusive or not-run scenario); else 2 when a run's harness
 * broke; else 0. A known failure outranks a harness error: it is the news of the night.
 */
export function verdictOf(scenarios: readonly NightlyScenario[], safety: readonly SafetyFailure[], comparisons: readonly NightlyResult["comparisons"][number][], interrupted: boolean): Pick<NightlyResult, "verdict" | "exitCode" | "reasons"> {
  const reasons: string[] = [];
  for (const c of comparisons) if (c.verdict === "regression") reasons.push(`regression: ${c.message}`);
  for (const f of safety) reasons.push(`safety: ${f.scenario} ${f.check} failed in trial ${f.trial + 1} of run ${f.runId}: ${f.message}`);
  for (const s of scenarios) if (s.status === "failing" || s.status === "inconclusive" || s.status === "not-run") reasons.push(`${s.status}: ${s.name}: ${s.reason ?? ""}`);
  const errors = scenarios.filter((s) => s.status === "error").map((s) => `error: ${s.name}: ${s.reason ?? ""}`);
  if (interrupted) return { verdict: "interrupted", exitCode: 130, reasons: ["interrupted (Ctrl-C): the report holds what finished before", ...reasons, ...errors] };
  if (reasons.length) return { verdict: "fail", exitCode: 1, reasons: [...reasons, ...errors] };
  if (errors.length) return { verdict: "error", exitCode: 2, reasons: errors };
  return { verdict: "pass", exitCode: 0, reasons: [] };
}

const min = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s` : `${Math.round(ms / 1000)}s`);
