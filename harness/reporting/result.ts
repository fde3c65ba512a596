import { quantileSorted } from "simple-statistics";
import { combineVerdicts, type CheckResult, type Verdict } from "../checks/checks.js";
import type { HistoryEntry } from "../history/types.js";
import { MEASURE_NAMES, measureValue, type MeasureName, type Measures } from "../measures/measures.js";
import type { ModelWindow } from "../timing-oracle/windows.js";

/**
 * The version of the `result.json` format (docs/result.schema.json). Bump it on any incompatible
 * change: a field removed, renamed, retyped or given a new meaning (docs/CONTRACTS.md, which keeps
 * the list of versions).
 */
export const RESULT_SCHEMA_VERSION = 2;

/** Everything a run produced; every report is a pure rendering of this. */
export interface RunResult {
  /** The format's version, set by `buildRunResult`. */
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  /** The code that ran (`harnessVersion()`). */
  harness: HarnessInfo;
  environment: RunEnvironment;
  /** Role/part (`etcd-0`, `master-1`, ...) → the image reference actually run; `{}` when no topology started. */
  images: Record<string, string>;
  /** How the run was started; null when not from a CLI. */
  invocation: Invocation | null;
  scenario: string;
  runId: string;
  /** ISO time. */
  startedAt: string;
  finishedAt?: string;
  /** `completed`; `failed` = the harness broke (see `error`); `interrupted` = Ctrl-C. Reports are written in every case. */
  status: "completed" | "failed" | "interrupted";
  error?: { code: string; message: string; hint?: string };
  /** The full resolved topology spec (opaque here). */
  topology: unknown;
  /** The scenario's §6 window with its terms, for the derivation in the reports. */
  model: ModelWindow | null;
  trials: TrialResult[];
  verdict: Verdict;
  summary: Record<MeasureName, SummaryStats>;
}

export interface HarnessInfo {
  /** package.json `version`. */
  version: string;
  /** Short git commit hash, `-dirty` appended when tracked files had changes; `unknown` outside a git checkout. */
  commit: string;
}

export interface RunEnvironment {
  /** `process.version`, e.g. `v20.19.0`. */
  node: string;
  /** `process.platform`/`process.arch`, e.g. `linux/x64`. */
  platform: string;
  /** The engine that ran the topology; null when it did not answer. */
  docker: { version: string; apiVersion: string; endpoint: string } | null;
}

export interface Invocation {
  /** The arguments as given (after the script name). */
  argv: string[];
  /** The full command line, e.g. `npm run scenario -- kill-leader --profile fast`. */
  command: string;
  /** A command that reruns this run with its seed pinned. */
  rerun: string;
}

/** The fault a trial injected, as fired. */
export interface TrialFault {
  /** The scenario's fault kind, e.g. `kill-container`. */
  kind: string;
  description: string;
  /** The resolved target(s) and how each was resolved. */
  targets: { node: string; container: string; how: string }[];
  /** The designed random phase offset waited before the fault, ms. */
  offsetMs: number;
  /** When it fired, ms on the trial's time axis. */
  injectedAtMs: number;
  /** Fault-specific data (signal, duration, iptables rules, ...). */
  detail: Record<string, unknown>;
}

export interface TrialResult {
  index: number;
  originEpochMs: number;
  /** Null when the trial never injected (no steady state, or cut short before the fault). */
  fault: TrialFault | null;
  measures: Measures;
  checks: CheckResult[];
  verdict: Verdict;
  history: readonly HistoryEntry[];
}

/** Over the trials where the measure is not null. */
export interface SummaryStats {
  n: number;
  min: number | null;
  p50: number | null;
  p90: number | null;
  max: number | null;
}

/**
 * Quantiles by simple-statistics' `quantileSorted`: a maintained, typed implementation of the
 * common linear-interpolation definition (R type 7 / numpy's default), so p50/p90 mean what a
 * reader expects and match other tools; hand-rolled quantiles tend to differ at small n.
 */
export function summarizeValues(values: readonly (number | null)[]): SummaryStats {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (!xs.length) return { n: 0, min: null, p50: null, p90: null, max: null };
  return { n: xs.length, min: xs[0]!, p50: quantileSorted(xs, 0.5), p90: quantileSorted(xs, 0.9), max: xs.at(-1)! };
}

export function summarize(trials: readonly Pick<TrialResult, "measures">[]): Record<MeasureName, SummaryStats> {
  return Object.fromEntries(MEASURE_NAMES.map((n) => [n, summarizeValues(trials.map((t) => measureValue(t.measures, n)))])) as Record<
    MeasureName,
    SummaryStats
  >;
}

/**
 * Assembles a `RunResult`: summary over the trials, verdict fail > unknown > pass; a run with no
 * trial, or one the harness could not finish, is at best `unknown`.
 */
export function buildRunResult(
  r: Omit<RunResult, "schemaVersion" | "summary" | "verdict" | "status"> & { status?: RunResult["status"] },
): RunResult {
  const status = r.status ?? "completed";
  const verdicts = r.trials.map((t) => t.verdict);
  if (!verdicts.length || status !== "completed") verdicts.push("unknown");
  return { schemaVersion: RESULT_SCHEMA_VERSION, ...r, status, verdict: combineVerdicts(verdicts), summary: summarize(r.trials) };
}
