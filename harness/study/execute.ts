/**
 * Runs a study's batches: each batch is one run (one topology, `repeat` trials) on one of the
 * engines' slots (`EngineSet`: this host's engine, and others with `--engine`), as many at once as
 * there are slots, through `runPool`; every trial is appended to `trials.ndjson` as it ends
 * (`onTrial`; a run on another engine: once its report is back), so a study killed at any moment
 * keeps every finished trial, and `runStudy` on the same folder (`--resume`) runs only what
 * remains. An engine that dies hands its batches back: their trials not yet logged run on the other
 * engines, and a batch record `engine-lost` says so. Once a batch's run is over (its containers
 * removed, their logs complete) its probes are validated against the emulations' ground truth, as
 * the bench does, and that too is appended.
 */
import { mkdir, readFile } from "node:fs/promises";
import { writeAtomic } from "../reporting/atomic.js";
import path from "node:path";
import { newRunId } from "../docker/run-id.js";
import { HarnessError } from "../errors.js";
import { parseEventLogs, readContainerLogs, validateRun } from "../ground-truth/index.js";
import type { TrialResult } from "../reporting/result.js";
import { childController } from "../async/timeout-signal.js";
import { formatClock } from "../cli/shell.js";
import { systemClock, type Clock } from "../runner/clock.js";
import type { RunOutcome } from "../runner/execute-run.js";
import { resolvePlan, type RunPlan } from "../runner/plan.js";
import { HandBack, runPool } from "../runner/pool.js";
import { EngineLost, type EngineSet } from "../remote/engine-set.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { applySetOverrides, profileSpec } from "../topology/spec.js";
import type { StudyDefinition } from "./definition.js";
import { armKey, cellSets, falseFailoverCells, freshBatch, planBatches, shardLabel, sliceQuota, studyCells, type Batch, type Cell, type Shard } from "./design.js";
import { readLog, TrialLog, type BatchRecord, type LogRecord, type TrialRecord } from "./log.js";

export const LOG_FILE = "trials.ndjson";
/** The study as it was started (definition, parallelism): `--resume` reads it back. */
export const PLAN_FILE = "study.plan.json";

export interface StudyPlanFile {
  readonly id: string;
  readonly createdAt: string;
  readonly definition: StudyDefinition;
  /** This folder's slice of the study (`--shard i/n`); absent: the whole study. */
  readonly shard?: Shard;
  /** A merged study (`npm run study -- merge`): the folders it was merged from. */
  readonly mergedFrom?: readonly { readonly dir: string; readonly shard: Shard | null }[];
}

export interface RunStudyOptions {
  readonly definition: StudyDefinition;
  readonly catalogue: readonly ScenarioDefinition[];
  /** Where batches run: one batch (topology) per slot at once. */
  readonly engines: EngineSet;
  /** Aborting it (Ctrl-C) starts no further batch; batches under way end as `executeRun` does. */
  readonly signal: AbortSignal;
  /** The study's folder (reports/studies/<name>/<id>/); the runs' reports go to its runs/. */
  readonly dir: string;
  /** @default the process's clock */
  readonly clock?: Clock;
  readonly progress?: (line: string) => void;
  /** Run ids (tests pin them). @default newRunId */
  readonly newRunId?: () => string;
  /** Run only this slice of the study (`--shard i/n`, design.ts `planBatches`); a resumed folder must give its own. @default the whole study */
  readonly shard?: Shard;
}

export interface StudyExecution {
  /** Every record of the log, earlier sessions' included. */
  readonly records: readonly LogRecord[];
  readonly interrupted: boolean;
  /** Batches whose run failed (a harness error), this session. */
  readonly failedBatches: number;
  /** Batches handed to another engine because theirs died, this session. */
  readonly handedBack: number;
  /** Trials run this session, and its wall time. */
  readonly sessionTrials: number;
  readonly sessionMs: number;
  /** A torn last line dropped from the log at the start. */
  readonly dropped: string | null;
}

/** The scenario and topology a cell runs. */
export function cellPlan(def: StudyDefinition, catalogue: readonly ScenarioDefinition[], cell: Cell): { scenario: ScenarioDefinition; sets: string[]; spec: RunPlan["spec"] } {
  const name = cell.arm === "failover" ? def.scenario : def.falseFailover.scenario;
  const scenario = catalogue.find((s) => s.name === name);
  if (!scenario) throw new HarnessError("E_INPUT", `the study names scenario ${name}, which the catalogue no longer has`);
  const sets = cellSets(def, cell);
  return { scenario, sets, spec: applySetOverrides(applySetOverrides(profileSpec(def.profile), scenario.topology), sets) };
}

/** What the log says is done: finished (complete) trials and the batch ordinals used, per arm and cell. */
export function progressOf(records: readonly LogRecord[]): { finished: Map<string, number>; ordinalsUsed: Map<string, Set<number>> } {
  const finished = new Map<string, number>();
  const ordinalsUsed = new Map<string, Set<number>>();
  for (const r of records) {
    if (r.kind === "validation") continue;
    const key = armKey({ arm: r.arm, key: r.cell });
    const ordinal = r.kind === "trial" ? r.batchOrdinal : r.ordinal;
    ordinalsUsed.set(key, (ordinalsUsed.get(key) ?? new Set<number>()).add(ordinal));
    if (r.kind === "trial" && r.complete) finished.set(key, (finished.get(key) ?? 0) + 1);
  }
  return { finished, ordinalsUsed };
}

export function isCutShort(trial: Pick<TrialResult, "history">): boolean {
  return trial.history.some((e) => e.kind === "note" && /^trial cut short/.test(String(e.text)));
}


export async function readPlanFile(dir: string): Promise<StudyPlanFile | null> {
  const text = await readFile(path.join(dir, PLAN_FILE), "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  return text === null ? null : (JSON.parse(text) as StudyPlanFile);
}

export async function runStudy(opts: RunStudyOptions): Promise<StudyExecution> {
  const { definition: def, signal, dir, engines } = opts;
  const parallel = engines.slots;
  const clock = opts.clock ?? systemClock;
  const progress = opts.progress ?? (() => {});
  await mkdir(path.join(dir, "runs"), { recursive: true });
  const existing = await readPlanFile(dir);
  if (!existing) {
    const plan: StudyPlanFile = { id: path.basename(dir), createdAt: new Date().toISOString(), definition: def, ...(opts.shard ? { shard: opts.shard } : {}) };
    await writeAtomic(path.join(dir, PLAN_FILE), `${JSON.stringify(plan, null, 2)}\n`);
  } else if ((existing.shard && shardLabel(existing.shard)) !== (opts.shard && shardLabel(opts.shard))) {
    throw new HarnessError("E_INPUT", `${dir} holds ${existing.shard ? `shard ${shardLabel(existing.shard)}` : "a whole study"}, not ${opts.shard ? `shard ${shardLabel(opts.shard)}` : "a whole study"}`, "resume a folder with the shard its study.plan.json names (npm run study -- --resume DIR reads it)");
  }
  const logFile = path.join(dir, LOG_FILE);
  const { records: earlier, dropped } = await readLog(logFile, { repair: true });
  if (dropped !== null) progress(`dropped a torn last line of ${LOG_FILE} (${dropped.length} bytes, written when the study was killed)`);
  const records: LogRecord[] = [...earlier];
  const log = new TrialLog(logFile);
  const { finished, ordinalsUsed } = progressOf(earlier);
  const batches = planBatches(def, { finished, ordinalsUsed }, opts.shard);
  // Ordinals used or planned, per cell: the rest of a batch cut by its engine's death takes a fresh one.
  const taken = new Map([...ordinalsUsed].map(([k, s]) => [k, new Set(s)]));
  for (const b of batches) taken.set(armKey(b.cell), (taken.get(armKey(b.cell)) ?? new Set()).add(b.ordinal));

  // A shard counts its slice only: the cells it has trials of, each the trials its slice holds.
  const quota = sliceQuota(def, opts.shard);
  const cells: Cell[] = [...studyCells(def), ...falseFailoverCells(def)].filter((c) => quota.has(armKey(c)));
  const wanted = (c: Cell): number => quota.get(armKey(c)) ?? 0;
  const totalTrials = cells.reduce((n, c) => n + wanted(c), 0);
  const doneTrials = (): number => cells.reduce((n, c) => n + Math.min(wanted(c), finished.get(armKey(c)) ?? 0), 0);
  const cellsDone = (): number => cells.filter((c) => (finished.get(armKey(c)) ?? 0) >= wanted(c)).length;
  const t0 = clock.now();
  let sessionTrials = 0;
  let failedBatches = 0;
  let handedBack = 0;
  let unmeasured = 0;
  const report = (): void => {
    const elapsedH = (clock.now() - t0) / 3_600_000;
    const rate = elapsedH > 0 ? sessionTrials / elapsedH : 0;
    const left = totalTrials - doneTrials();
    const eta = rate > 0 ? formatClock((left / rate) * 3_600_000) : "—";
    progress(`study${opts.shard ? ` shard ${shardLabel(opts.shard)}` : ""}: cells ${cellsDone()}/${cells.length} done, trials ${doneTrials()}/${totalTrials}, ${rate.toFixed(0)} trials/h, ETA ${eta}, failures ${failedBatches} run(s) + ${unmeasured} trial(s) without a measure`);
  };
  if (doneTrials() > 0) progress(`resuming: ${doneTrials()}/${totalTrials} trials already finished; ${batches.length} batch(es) to run`);

  const onHandBack = (h: HandBack<Batch>, _batch: Batch, slot: number): void => progress(`[slot ${slot + 1}] ${h.message}: this slot stops`);
  await runPool(batches, { parallel, signal, onHandBack }, async (batch: Batch, slot: number, poolSignal: AbortSignal) => {
    const engine = engines.urlOf(slot);
    if (!engines.alive(slot)) throw new HandBack(`engine ${engine} is gone`);
    const runId = (opts.newRunId ?? newRunId)();
    const { scenario, sets, spec } = cellPlan(def, opts.catalogue, batch.cell);
    const key = armKey(batch.cell);
    const startedAt = new Date().toISOString();
    const started = clock.now();
    const runPlan: RunPlan = { scenario, spec, repeat: batch.repeat, seed: batch.seed, options: { profile: def.profile, sets, scenarioOverrides: scenario.topology, study: { name: def.name, id: path.basename(dir), arm: batch.cell.arm, cell: batch.cell.key, batch: batch.ordinal } } };
    const reportRel = path.join("runs", scenario.name, runId, "report.html");
    progress(`[slot ${slot + 1}] ${batch.cell.arm} ${batch.cell.key}: batch ${batch.ordinal + 1}, ${batch.repeat} trial(s), seed ${batch.seed}, run ${runId}${engines.uses.length > 1 ? ` on ${engine}` : ""}`);
    const onTrial = async (trial: TrialResult): Promise<void> => {
      const complete = !isCutShort(trial);
      let replicate: number | null = null;
      if (complete) {
        replicate = (finished.get(key) ?? 0) + 1;
        finished.set(key, replicate);
        sessionTrials += 1;
      }
      const m = trial.measures;
      const rec: TrialRecord = {
        kind: "trial",
        arm: batch.cell.arm,
        cell: batch.cell.key,
        values: batch.cell.values,
        replicate,
        runId,
        batchOrdinal: batch.ordinal,
        seed: batch.seed,
        trialIndex: trial.index,
        offsetMs: trial.fault?.offsetMs ?? null,
        measures: m,
        verdict: trial.verdict,
        checks: Object.fromEntries(trial.checks.map((c) => [c.name, c.verdict])),
        complete,
        failover: m.faultT === null ? null : m.timeToNewSchedulerMs !== null || m.phases.newLeaderElectedMs !== null,
        report: reportRel,
        parallel,
        engine,
        finishedAt: new Date().toISOString(),
      };
      if (complete && batch.cell.arm === "failover" && m.timeToNewSchedulerMs === null) unmeasured += 1;
      records.push(rec);
      await log.append(rec);
      if (complete) report();
    };
    // Each run gets its own signal, tied to the study's for its lifetime only: listeners that runs
    // leave on their signal then go with it instead of piling up on the study's (a long study's many runs).
    const own = childController(poolSignal);
    const batchRecord = async (status: BatchRecord["status"], error?: { code: string; message: string }): Promise<void> => {
      const rec: BatchRecord = {
        kind: "batch", arm: batch.cell.arm, cell: batch.cell.key, runId, ordinal: batch.ordinal, seed: batch.seed, repeat: batch.repeat, status, ...(error ? { error } : {}),
        startedAt, finishedAt: new Date().toISOString(), wallMs: clock.now() - started, parallel, engine,
      };
      records.push(rec);
      await log.append(rec);
    };
    let outcome: RunOutcome;
    try {
      outcome = await engines.run(slot, runPlan, { runId, outDir: path.join(dir, "runs"), signal: own.signal, clock, onTrial, progress: (l) => progress(`[slot ${slot + 1}] ${l}`) });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (err instanceof EngineLost) {
        // The trials it logged stay; what is left runs elsewhere: the same batch when none was
        // logged (a run on another engine comes back whole or not at all), else the rest on a
        // fresh ordinal (the same seed would replay the logged trials' fault phases).
        await batchRecord("engine-lost", { code: err.code, message: err.message });
        const logged = err.trials.filter((t) => !isCutShort(t)).length;
        if (logged >= batch.repeat) return;
        handedBack += 1;
        const rest = logged === 0 ? batch : freshBatch(def, batch.cell, batch.repeat - logged, taken.get(key) ?? new Set(), opts.shard);
        taken.get(key)?.add(rest.ordinal);
        progress(`[slot ${slot + 1}] ${batch.cell.arm} ${batch.cell.key} batch ${batch.ordinal + 1}: ${logged} trial(s) logged; ${rest.repeat} go to another engine${rest === batch ? "" : ` as batch ${rest.ordinal + 1}`}`);
        throw new HandBack(err.message, rest, { cause: err });
      }
      // A run on another engine that brought no report back (its engine answers): a failed run.
      failedBatches += 1;
      await batchRecord("failed", { code: e.code ?? "E_INTERNAL", message: e.message });
      progress(`[slot ${slot + 1}] run ${runId} failed: ${e.message} (the rest of the cell runs on resume)`);
      return;
    } finally {
      own.release();
    }
    const { result } = outcome;
    if (result.status === "failed") failedBatches += 1;
    await batchRecord(result.status, result.error ? { code: result.error.code, message: result.error.message } : undefined);
    if (result.status === "failed") progress(`[slot ${slot + 1}] run ${runId} failed: ${result.error?.message ?? "?"} (its trials so far are kept; the rest of the cell runs on resume)`);
    // Ground truth: the containers are removed, their logs complete.
    const validation = await validateBatch(result, path.join(outcome.reportDir, "logs"));
    const vRec = { kind: "validation" as const, runId, parallel, ...validation };
    records.push(vRec);
    await log.append(vRec);
  });
  return { records, interrupted: signal.aborted, failedBatches, handedBack, sessionTrials, sessionMs: clock.now() - t0, dropped };
}

async function validateBatch(result: Parameters<typeof validateRun>[0], logDir: string): Promise<{ trials: { index: number; errorMs: Record<string, number | null> }[]; note?: string }> {
  try {
    const events = parseEventLogs(await readContainerLogs(logDir));
    if (!events.length) return { trials: [], note: `no emulation events in ${path.basename(logDir)}/` };
    const v = validateRun(result, events);
    return { trials: v.trials.map((t) => ({ index: t.index, errorMs: Object.fromEntries(Object.entries(t.comparison).map(([k, c]) => [k, c.errorMs])) })) };
  } catch (err) {
    return { trials: [], note: `validation failed: ${(err as Error).message}` };
  }
}

/** Estimated wall time of the batches, ms: a launch (30 s) plus each trial's expected length, over `parallel` slots. */
export function estimateMs(def: StudyDefinition, catalogue: readonly ScenarioDefinition[], batches: readonly Batch[], parallel: number): number {
  const LAUNCH_MS = 30_000;
  const STEADY_MS = 5_000;
  let total = 0;
  for (const b of batches) {
    const { scenario, spec } = cellPlan(def, catalogue, b.cell);
    const p = resolvePlan({ scenario, spec, repeat: b.repeat, seed: 0, options: {} });
    const observe = p.window ? p.window.expectedMs + 3_000 : p.minObserveMs;
    const trial = STEADY_MS + p.renewalMs / 2 + Math.max(observe, p.minObserveMs) + p.convergeBudgetMs / 2;
    total += LAUNCH_MS + b.repeat * trial;
  }
  return total / Math.max(1, Math.min(parallel, batches.length));
}
