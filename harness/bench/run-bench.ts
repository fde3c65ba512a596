/**
 * The bench: the harness measured on itself, on `kill-leader` with the fast profile.
 *
 *   1. `upSamples − 1` standalone launches of the default cold-standby topology, each timed
 *      (launch → healthy, per health step) and removed (timed too);
 *   2. one kill-leader run of `trials` trials on one topology (`executeRun`, as `npm run scenario
 *      -- kill-leader --profile fast --repeat N`), its launch timed from its progress lines as the
 *      last sample, with the topology's containers' memory sampled from Docker stats meanwhile;
 *   3. from that run: per-trial wall time and its parts (harness/bench/timing.ts, from each trial's
 *      history), and the probes' error against the emulations' ground-truth events in the saved
 *      container logs (harness/ground-truth).
 *
 * Never throws for a failure of the run: the report says how far it got (`status`, `error`).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { runLabelFilter } from "../docker/labels.js";
import { newRunId } from "../docker/run-id.js";
import { HarnessError, InterruptedError } from "../errors.js";
import { containerRole, emulationStartupMs, parseEventLogs, readContainerLogs, validateRun } from "../ground-truth/index.js";
import type { TeardownStack } from "../lifecycle/teardown-stack.js";
import { summarizeValues, type RunResult } from "../reporting/result.js";
import { dockerEngine } from "../runner/docker-engine.js";
import { executeRun } from "../runner/execute-run.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { launchTopology } from "../topology/launch.js";
import { applySetOverrides, profileSpec, type TopologySpec } from "../topology/spec.js";
import { gitInfo, machineInfo } from "./machine.js";
import { startMemorySampler, summarizeMemory, type MemorySummary } from "./memory.js";
import type { BenchOptions } from "./options.js";
import { evaluateGoals, type BenchReport, type LaunchSample } from "./report.js";
import { summarizeSteps, summarizeTimings, trialTimings, type LaunchStep } from "./timing.js";

export interface BenchInput {
  /** The kill-leader scenario (harness/ does not import the catalogue: the entry point passes it). */
  scenario: ScenarioDefinition;
  options: BenchOptions;
  /** The bench's run id: the report goes to `<outDir>/<runId>/`. */
  runId: string;
  docker: Docker;
  signal: AbortSignal;
  /** The standalone launches are registered here as they come up, so Ctrl-C removes them. */
  teardown: TeardownStack;
  progress: (line: string) => void;
  projectRoot: string;
  seed?: number;
}

export const BENCH_PROFILE = "fast" as const;

export function benchDir(outDir: string, runId: string): string {
  return path.join(outDir, runId);
}

export async function runBench(input: BenchInput): Promise<BenchReport> {
  const { scenario, options, docker, signal, progress } = input;
  const startedAt = new Date().toISOString();
  const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31);
  const dir = benchDir(options.outDir, input.runId);
  const spec = applySetOverrides(profileSpec(BENCH_PROFILE), scenario.topology);
  const samples: LaunchSample[] = [];
  let memory: MemorySummary = summarizeMemory([]);
  let run: RunResult | undefined;
  let scenarioRun: BenchReport["scenarioRun"] = null;
  let validation: Pick<BenchReport, "probeErrorMs" | "probeErrorNote" | "probeErrorTrials" | "emulationStartupMs"> = { probeErrorMs: null, probeErrorNote: "the trial run did not complete", probeErrorTrials: [] };
  let status: BenchReport["status"] = "completed";
  let error: BenchReport["error"];

  const [git, machine] = await Promise.all([gitInfo(input.projectRoot), machineInfo(docker).catch(() => null)]);
  try {
    await mkdir(dir, { recursive: true });

    for (let i = 1; i < options.upSamples; i++) {
      samples.push(await standaloneLaunch(spec, i, input));
      progress(`topology up ${i}/${options.upSamples}: ${(samples.at(-1)!.ms / 1000).toFixed(2)} s (removed in ${(samples.at(-1)!.downMs! / 1000).toFixed(2)} s)`);
    }

    const scenarioRunId = newRunId();
    // The trial run's launch, timed from its progress lines: "launching ..." → the test pod Running.
    const launch: { t0?: number; steps: LaunchStep[]; done: boolean } = { steps: [], done: false };
    const timed = (line: string): void => {
      if (launch.t0 === undefined && line.startsWith("launching")) launch.t0 = performance.now();
      else if (launch.t0 !== undefined && !launch.done) {
        launch.steps.push({ atMs: performance.now() - launch.t0, line });
        if (/^test pod reached Running/.test(line)) {
          launch.done = true;
          samples.push({ ms: launch.steps.at(-1)!.atMs, source: "trial-run", steps: launch.steps });
          progress(`topology up ${options.upSamples}/${options.upSamples} (the trial run's): ${(launch.steps.at(-1)!.atMs / 1000).toFixed(2)} s`);
          return;
        }
      }
      progress(line);
    };
    const sampler = startMemorySampler(docker, runLabelFilter(scenarioRunId), { name: containerRole });
    const outcome = await executeRun(
      { scenario, spec, repeat: options.trials, seed, options: { profile: BENCH_PROFILE, sets: [], scenarioOverrides: scenario.topology, bench: input.runId } },
      { engine: await dockerEngine(docker), signal, outDir: dir, runId: scenarioRunId, progress: timed },
    ).finally(async () => { memory = await sampler.stop(); });
    run = outcome.result;
    scenarioRun = { runId: scenarioRunId, reportDir: outcome.reportDir, status: run.status, verdict: run.verdict, trials: run.trials.length };
    if (run.status !== "completed") {
      status = run.status;
      error = run.error ? { code: run.error.code, message: run.error.message } : undefined;
    }
    // The container logs are complete: executeRun removed the containers before it returned.
    validation = await validateTrials(run, path.join(outcome.reportDir, "logs"));
  } catch (err) {
    status = signal.aborted || err instanceof InterruptedError ? "interrupted" : "failed";
    error = err instanceof HarnessError ? { code: err.code, message: err.message } : { code: "E_INTERNAL", message: String((err as Error)?.stack ?? err) };
  }

  const timings = trialTimings(run?.trials ?? []);
  const t = summarizeTimings(timings);
  const figures = {
    topologyUpMs: {
      ...summarizeValues(samples.map((s) => s.ms)),
      samples,
      steps: summarizeSteps(samples.map((s) => s.steps)),
      downMs: summarizeValues(samples.map((s) => s.downMs ?? null)),
    },
    trialOverheadMs: { ...t.overheadMs, basis: t.basis, wallMs: t.wallMs, breakdown: t.breakdown, trials: timings },
    ...validation,
    topologyRssMiB: memory,
  };
  return {
    runId: input.runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    ...(error ? { error } : {}),
    git,
    machine,
    options: { scenario: scenario.name, profile: BENCH_PROFILE, trials: options.trials, upSamples: options.upSamples, seed },
    ...figures,
    trialsPerHour: t.trialsPerHour,
    scenarioRun,
    goals: evaluateGoals(figures),
  };
}

/** One launch only to be timed, then removed (also on Ctrl-C: it is on the teardown stack meanwhile). */
async function standaloneLaunch(spec: TopologySpec, i: number, input: BenchInput): Promise<LaunchSample> {
  const steps: LaunchStep[] = [];
  const t0 = performance.now();
  const topology = await launchTopology(spec, {
    runId: newRunId(),
    signal: input.signal,
    onProgress: (line) => {
      steps.push({ atMs: performance.now() - t0, line });
      input.progress(`  up ${i}: ${line}`);
    },
  });
  const ms = performance.now() - t0;
  input.teardown.defer(() => topology.stop(), `remove topology ${topology.runId}`);
  const d0 = performance.now();
  await topology.stop();
  return { ms, source: "standalone", steps, downMs: performance.now() - d0 };
}

async function validateTrials(run: RunResult, logDir: string): Promise<Pick<BenchReport, "probeErrorMs" | "probeErrorNote" | "probeErrorTrials" | "emulationStartupMs">> {
  try {
    const events = parseEventLogs(await readContainerLogs(logDir));
    if (!events.length) return { probeErrorMs: null, probeErrorNote: `no emulation events in ${logDir}`, probeErrorTrials: [] };
    const v = validateRun(run, events);
    return { probeErrorMs: v.stats, probeErrorTrials: v.trials.map((t) => ({ index: t.index, comparison: t.comparison })), emulationStartupMs: emulationStartupMs(events) };
  } catch (err) {
    return { probeErrorMs: null, probeErrorNote: `validation failed: ${(err as Error).message}`, probeErrorTrials: [] };
  }
}
