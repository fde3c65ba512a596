/**
 * `executeRun(plan, { engine, signal, outDir })`: the one owner of a run (docs/RUN.md).
 *
 *   run id → reap → launch (engine) → probes → trials (harness/runner/trial.ts) → reports
 *
 * The cluster, the probes and the faults in force are held with `await using`, so they are released
 * on every path (a normal end, a harness error, Ctrl-C): faults healed first, then the probes
 * stopped, then the topology removed (unless `keep`). The reports are written in `finally`, after
 * the teardown, so they say whether it succeeded; `executeRun` itself never throws.
 *
 * Nothing here is module state: runs may execute at once in one process, each with its own signal,
 * run id (so network and container names) and report folder.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { LABELS } from "../docker/labels.js";
import { newRunId } from "../docker/run-id.js";
import { HarnessError } from "../errors.js";
import type { ActiveFault } from "../faults/inject.js";
import { collectRunMeta } from "../reporting/meta.js";
import { buildRunResult, type RunResult, type TrialResult } from "../reporting/result.js";
import { runDirFor, writeReports } from "../reporting/write.js";
import { systemClock, type Clock } from "./clock.js";
import type { OwnedCluster, RunEngine } from "./engine.js";
import { Observer } from "./observer.js";
import { resolvePlan, seededRandom, type RunPlan } from "./plan.js";
import { runTrial, TrialCutShort, type TrialContext } from "./trial.js";

export interface ExecuteOptions {
  readonly engine: RunEngine;
  /** Aborting it (Ctrl-C) ends the run: the current trial is cut short, everything is released. */
  readonly signal: AbortSignal;
  /** Reports root: the run writes `<outDir>/<scenario>/<run id>/`. */
  readonly outDir: string;
  /** @default a new run id */
  readonly runId?: string;
  /** Leave the topology running at the end (faults healed, probes stopped). @default false */
  readonly keep?: boolean;
  /** Progress lines. @default none */
  readonly progress?: (line: string) => void;
  /** @default the process's clock */
  readonly clock?: Clock;
  /**
   * Called with each trial as it ends (cut-short trials included, once the run is over), before the
   * next one starts: a study appends it to its trial log, so a killed study loses no finished trial.
   * An error it throws ends the run like any harness error. @default none
   */
  readonly onTrial?: (trial: TrialResult) => void | Promise<void>;
  /** The command line, for result.json's `invocation` (and its rerun command). */
  readonly invocation?: { readonly argv: readonly string[]; readonly command?: string; readonly rerun?: string };
}

export interface RunOutcome {
  readonly result: RunResult;
  /** `<outDir>/<scenario>/<run id>`. */
  readonly reportDir: string;
  /** Set when a report file could not be written (the others were). */
  readonly reportError?: HarnessError;
}

export async function executeRun(runPlan: RunPlan, opts: ExecuteOptions): Promise<RunOutcome> {
  const plan = resolvePlan(runPlan);
  const { engine, signal: interrupt } = opts;
  const clock = opts.clock ?? systemClock;
  const progress = opts.progress ?? (() => {});
  const runId = opts.runId ?? newRunId();
  const reportDir = runDirFor(opts.outDir, { scenario: plan.scenario.name, runId });
  const startedAt = new Date().toISOString();
  const trials: TrialResult[] = [];
  let images: Record<string, string> = {};
  let failure: unknown;

  try {
    await mkdir(path.join(reportDir, "logs"), { recursive: true }).catch((err: unknown) => {
      throw new HarnessError("E_REPORT", `cannot create the report directory ${reportDir}: ${(err as Error).message}`, "check --out and free disk space");
    });
    const reaped = await engine.reap();
    if (reaped) progress(`reaped ${reaped} resource(s) left by earlier runs`);
    const { spec } = plan;
    progress(`launching the ${spec.mode} topology (${spec.masters} masters, ${spec.agents} agents, ${spec.etcdMembers} etcd) on ${engine.endpoint}`);
    interrupt.throwIfAborted();
    await using cluster = held(await engine.launch(spec, { runId, signal: interrupt, logDir: path.join(reportDir, "logs"), keep: opts.keep ?? false, progress }), opts.keep ?? false);
    images = { ...cluster.images };

    const observer = new Observer(engine.probes(cluster, plan.intervalMs), clock, cluster.masters);
    await using _probes = releasing(async () => {
      if (!(await observer.stop())) progress("warning: a probe did not stop within 5 s of the end of the run; continuing without it");
    });
    observer.start();

    const faults = new Set<ActiveFault>();
    await using _faults = releasing(async () => {
      const failed = await Promise.allSettled([...faults].map((f) => f.heal()));
      const errors = failed.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      if (errors.length) throw new AggregateError(errors, `could not heal ${errors.length} fault(s): ${errors.map((e) => (e as Error).message).join("; ")}`);
    });

    const ctx: TrialContext = {
      plan,
      cluster,
      workload: engine.workload(cluster, (p) => observer.record(p)),
      observer,
      clock,
      signal: AbortSignal.any([interrupt, observer.failed, ...(cluster.failed ? [cluster.failed] : [])]),
      random: seededRandom(plan.seed),
      progress,
      faults,
      earlier: trials,
    };
    for (let k = 0; k < plan.repeat; k++) {
      const trial = await runTrial(ctx, k);
      trials.push(trial);
      await opts.onTrial?.(trial);
    }
  } catch (err) {
    failure = err;
  }

  // A trial cut short is reported with what it saw; the run's error is what cut it.
  const cutShort: TrialResult[] = [];
  const causes = unwrap(failure).flatMap((e) => {
    if (e instanceof TrialCutShort) {
      cutShort.push(e.trial);
      return [e.reason];
    }
    return [e];
  });
  for (const trial of cutShort) {
    trials.push(trial);
    await Promise.resolve()
      .then(() => opts.onTrial?.(trial))
      .catch((err: unknown) => causes.push(err));
  }
  const interrupted = interrupt.aborted;
  const error = interrupted ? { code: "E_INTERRUPTED", message: "interrupted" } : causes.length ? errorOf(causes, runId) : undefined;
  const meta = await collectRunMeta(opts.invocation ? { argv: [...opts.invocation.argv], command: opts.invocation.command, rerun: opts.invocation.rerun } : {});
  const docker = await engine.version().catch(() => null);
  const result = buildRunResult({
    ...meta,
    environment: { ...meta.environment, docker: docker && { ...docker, endpoint: engine.endpoint } },
    images,
    scenario: plan.scenario.name,
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    status: interrupted ? "interrupted" : error ? "failed" : "completed",
    ...(error ? { error } : {}),
    topology: { spec: plan.spec, ...plan.options, seed: plan.seed, repeat: plan.repeat },
    model: plan.window,
    trials,
  });
  try {
    await writeReports(opts.outDir, result);
    return { result, reportDir };
  } catch (err) {
    return { result, reportDir, reportError: err instanceof HarnessError ? err : new HarnessError("E_REPORT", String(err)) };
  }
}

/** The cluster as the run holds it: disposing removes it, unless it is kept. */
function held(cluster: OwnedCluster, keep: boolean): OwnedCluster {
  return keep ? Object.assign(Object.create(cluster) as OwnedCluster, { [Symbol.asyncDispose]: async () => {} }) : cluster;
}

function releasing(fn: () => Promise<void>): AsyncDisposable {
  return { [Symbol.asyncDispose]: fn };
}

/** `await using` wraps an error thrown while releasing after another in a SuppressedError: every error, first the original. */
function unwrap(err: unknown): unknown[] {
  if (err === undefined) return [];
  // By name: the native SuppressedError and the transpiler's stand-in for it (Node 20 has none).
  const e = err as { name?: string; error?: unknown; suppressed?: unknown };
  if (e?.name === "SuppressedError" && "suppressed" in e) return [...unwrap(e.suppressed), ...unwrap(e.error)];
  return [err];
}

/**
 * The run's error: the first cause; what failed while releasing after it (a fault not healed, a
 * container not removed) is appended as `cleanup:` with a hint to reap what is left.
 */
function errorOf(causes: readonly unknown[], runId: string): { code: string; message: string; hint?: string } {
  const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  const [first, ...rest] = causes;
  const cleanup = rest.length ? `; cleanup: ${rest.map(text).join("; ")}` : "";
  const reap = `what is left is labelled ${LABELS.runId}=${runId}; \`npm run reap\` removes it once the Docker engine answers`;
  if (first instanceof HarnessError) return { code: first.code, message: first.message + cleanup, hint: rest.length ? reap : first.hint };
  if (first instanceof AggregateError) return { code: "E_CLEANUP", message: `cleanup: ${first.message}${cleanup}`, hint: reap };
  return { code: "E_INTERNAL", message: String((first as Error)?.stack ?? first) + cleanup, ...(rest.length ? { hint: reap } : {}) };
}
