import { quantileSorted } from "simple-statistics";
import { combineVerdicts, type CheckResult, type Verdict } from "../checks/checks.js";
import type { HistoryEntry } from "../history/types.js";
import { MEASURE_NAMES, measureValue, type MeasureName, type Measures } from "../measures/measures.js";
import type { ModelWindow } from "../timing-oracle/windows.js";

/** Everything a run produced; every report is a pure rendering of this. */
export interface RunResult {
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

export interface TrialResult {
  index: number;
  originEpochMs: number;
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
export function buildRunResult(r: Omit<RunResult, "summary" | "verdict" | "status"> & { status?: RunResult["status"] }): RunResult {
  const status = r.status ?? "completed";
  const verdicts = r.trials.map((t) => t.verdict);
  if (!verdicts.length || status !== "completed") verdicts.push("unknown");
  return { ...r, status, verdict: combineVerdicts(verdicts), summary: summarize(r.trials) };
}
