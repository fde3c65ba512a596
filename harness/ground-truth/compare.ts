/**
 * Probe vs ground truth: per trial, each validated measure as the probes measured it beside the
 * emulations' own event time; over trials, `probeErrorMs`: p50/p95/max of the absolute
 * error per measure.
 */
import { quantileSorted } from "simple-statistics";
import { measureValue, type Measures } from "../measures/measures.js";
import type { RunResult } from "../reporting/result.js";
import type { TopologyMode } from "../topology/spec.js";
import type { GroundTruthEvent } from "./events.js";
import { groundTruthPhases, VALIDATED_MEASURES, type GroundTruth, type ValidatedMeasure } from "./ground-truth.js";

export interface PhaseComparison {
  probeMs: number | null;
  truthMs: number | null;
  /** probeMs − truthMs when both exist: positive = the probe saw it later than it happened. */
  errorMs: number | null;
  /** Why `errorMs` is null (the probe's `missing` reason and/or the truth's). */
  reason?: string;
}

export type Comparison = Record<ValidatedMeasure, PhaseComparison>;

/** Sets one trial's measures beside its ground truth. */
export function compareToGroundTruth(measures: Measures, truth: GroundTruth): Comparison {
  const out = {} as Comparison;
  for (const name of VALIDATED_MEASURES) {
    const probeMs = measureValue(measures, name);
    const t = truth.byMeasure[name];
    const reasons = [
      probeMs === null ? `probe: ${measures.missing[name]?.reason ?? "no value"}` : undefined,
      t.ms === null ? `truth: ${t.reason ?? "no event"}` : undefined,
    ].filter((r): r is string => r !== undefined);
    out[name] = {
      probeMs,
      truthMs: t.ms,
      errorMs: probeMs !== null && t.ms !== null ? probeMs - t.ms : null,
      ...(reasons.length ? { reason: reasons.join("; ") } : {}),
    };
  }
  return out;
}

export interface ErrorStats {
  /** Trials where both the probe and the truth had a value. */
  n: number;
  /** Of |errorMs|, by simple-statistics' `quantileSorted` (as the report's summaries). */
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** `probeErrorMs`: per measure, quantiles of |probe − truth| over the trials' comparisons. */
export function probeErrorStats(comparisons: readonly Comparison[]): Record<ValidatedMeasure, ErrorStats> {
  const out = {} as Record<ValidatedMeasure, ErrorStats>;
  for (const name of VALIDATED_MEASURES) {
    const xs = comparisons
      .map((c) => c[name].errorMs)
      .filter((v): v is number => v !== null)
      .map(Math.abs)
      .sort((a, b) => a - b);
    out[name] = xs.length ? { n: xs.length, p50: quantileSorted(xs, 0.5), p95: quantileSorted(xs, 0.95), max: xs.at(-1)! } : { n: 0, p50: null, p95: null, max: null };
  }
  return out;
}

export interface TrialValidation {
  index: number;
  truth: GroundTruth;
  comparison: Comparison;
}

/**
 * Validates every trial of a run that had a fault against the events of its container logs
 * (`parseEventLogs` of the report's `logs/`). Works on a `RunResult` in memory or read back from
 * result.json (which has no histories): a trial's events end at its history's last entry when
 * known, and in any case before the next trial's origin.
 */
export function validateRun(
  result: Pick<RunResult, "topology"> & { trials: readonly (Pick<RunResult["trials"][number], "index" | "originEpochMs" | "measures"> & { history?: RunResult["trials"][number]["history"] })[] },
  events: readonly GroundTruthEvent[],
): { trials: TrialValidation[]; stats: Record<ValidatedMeasure, ErrorStats> } {
  const mode = topologyMode(result.topology);
  const trials: TrialValidation[] = [];
  result.trials.forEach((trial, i) => {
    const faultT = trial.measures.faultT;
    if (faultT === null) return;
    const next = result.trials[i + 1];
    const ends = [trial.history?.at(-1)?.t, next ? next.originEpochMs - trial.originEpochMs : undefined].filter((v): v is number => v !== undefined);
    const truth = groundTruthPhases(events, { originEpochMs: trial.originEpochMs, faultT, mode, ...(ends.length ? { endT: Math.min(...ends) } : {}) });
    trials.push({ index: trial.index, truth, comparison: compareToGroundTruth(trial.measures, truth) });
  });
  return { trials, stats: probeErrorStats(trials.map((t) => t.comparison)) };
}

/** `result.topology.spec.mode` (the runner stores `{ spec, ...options }`); cold standby when absent. */
function topologyMode(topology: unknown): TopologyMode {
  const mode = (topology as { spec?: { mode?: unknown } } | null)?.spec?.mode;
  return mode === "hot-standby" ? "hot-standby" : "cold-standby";
}
