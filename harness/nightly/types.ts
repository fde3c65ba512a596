/**
 * `nightly.json` (docs/nightly.schema.json): one night, every report of it a rendering of this.
 * Paths are relative to the night's folder (`reports/nightly/<id>/`), so the folder can be moved
 * or uploaded as an artifact whole.
 */
import type { Verdict } from "../checks/checks.js";
import type { MeasureName } from "../measures/measures.js";
import type { HarnessInfo, SummaryStats } from "../reporting/result.js";
import type { GateStat, Threshold } from "./plan.js";

export const NIGHTLY_SCHEMA_VERSION = 1;

/**
 * What became of a scenario tonight:
 * - `pass`: its run passed;
 * - `flaky`: its run failed (or proved nothing), the rerun passed;
 * - `failing`: failed, and the rerun failed too (or it failed a safety check: never rerun away);
 * - `inconclusive`: verdict unknown twice (no healthy baseline, a probe that saw nothing);
 * - `error`: the harness broke (run status failed) twice;
 * - `not-run`: not started, or cut, because of the budget; or not started because every engine was lost;
 * - `interrupted`: Ctrl-C.
 */
export type ScenarioStatus = "pass" | "flaky" | "failing" | "inconclusive" | "error" | "not-run" | "interrupted";

/** Checks whose failure fails the night whatever the baseline or a rerun says (docs/NIGHTLY.md). */
export const SAFETY_CHECKS: readonly string[] = ["single-active-scheduler", "no-pod-lost"];

export interface NightlyAttempt {
  readonly runId: string;
  /** The run's report folder, relative to the night's folder (`runs/<scenario>/<run id>`). */
  readonly reportDir: string;
  readonly seed: number;
  readonly status: "completed" | "failed" | "interrupted";
  readonly verdict: Verdict;
  readonly durationMs: number;
  readonly trials: number;
  /** Every check the run's trials were judged by (junit has a case for each). */
  readonly checks: readonly string[];
  /** Each check that did not pass, with the trials (0-based) and the first message. */
  readonly problems: readonly { readonly check: string; readonly verdict: "fail" | "unknown"; readonly trials: readonly number[]; readonly message: string }[];
  readonly error?: string;
  /** The engine it ran on (`local`, or an `--engine` URL). */
  readonly engine?: string;
}

/** A run cut by its engine's death: not an attempt (the scenario's run was handed to another engine whole). */
export interface LostRun {
  readonly runId: string;
  readonly engine: string;
  readonly reason: string;
}

export interface NightlyScenario {
  readonly name: string;
  readonly repeat: number;
  readonly estimateMs: number;
  readonly estimateHow: string;
  readonly status: ScenarioStatus;
  /** Why it is not `pass`, in one line. */
  readonly reason?: string;
  readonly attempts: readonly NightlyAttempt[];
  /** The per-trial values of the attempt that counts (the last that completed), for the gate and a later baseline. */
  readonly measures: Partial<Record<MeasureName, (number | null)[]>>;
  readonly summary: Partial<Record<MeasureName, SummaryStats>>;
  /** Its runs lost with their engine (rerun elsewhere, not counted as attempts). */
  readonly lostRuns?: readonly LostRun[];
}

/** One engine of the night (`--engine`), what it ran, and its loss if it died. */
export interface NightlyEngine {
  readonly url: string;
  /** Its slots: runs at once on it. */
  readonly parallel: number;
  /** Runs it ended (attempts and runs that did not complete), and their trials. */
  readonly runs: number;
  readonly trials: number;
  /** When it stopped answering, why, and the runs it had under way (each rerun on another engine); null: it lasted the night. */
  readonly lost: { readonly at: string; readonly reason: string; readonly runIds: readonly string[] } | null;
}

/** This night's slice of the plan (`--shard i/n`, schedule.ts `dealShards`). */
export interface NightlyShard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
  /** The scenarios of this shard, longest first; the others' are absent from the night. */
  readonly scenarios: readonly string[];
}

export interface SafetyFailure {
  readonly scenario: string;
  readonly check: string;
  readonly runId: string;
  readonly reportDir: string;
  readonly trial: number;
  readonly message: string;
}

/** One threshold of one scenario, judged. */
export interface GateComparison {
  readonly scenario: string;
  readonly measure: MeasureName;
  readonly stat: GateStat;
  readonly threshold: Threshold;
  /** `regression`; `ok`; `no-baseline` (nothing to compare with); `insufficient-data` (fewer than 2 values on a side). */
  readonly verdict: "regression" | "ok" | "no-baseline" | "insufficient-data";
  readonly baseline: { readonly value: number | null; readonly n: number };
  readonly tonight: { readonly value: number | null; readonly n: number };
  /** tonight − baseline of the statistic, with its bootstrap interval; `relative` = estimate / baseline value. */
  readonly shift?: { readonly estimate: number; readonly lo: number; readonly hi: number; readonly level: number; readonly relative: number | null };
  /** The runs to look at: tonight's, relative to the night's folder. */
  readonly runs: readonly string[];
  readonly message: string;
}

export interface NightlyResult {
  readonly schemaVersion: typeof NIGHTLY_SCHEMA_VERSION;
  readonly id: string;
  readonly harness: HarnessInfo;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** `interrupted`: Ctrl-C; the report holds what finished before. */
  readonly status: "completed" | "interrupted";
  readonly profile: string;
  readonly plan: string;
  readonly sets: readonly string[];
  readonly budgetMs: number;
  /** Runs at once: the slots over every engine. */
  readonly parallel: number;
  /** The engines the night ran on (one: this host's, unless `--engine`). */
  readonly engines?: readonly NightlyEngine[];
  /** Present when the night is one shard of the plan (`--shard i/n`): its scenarios only are in it. */
  readonly shard?: NightlyShard;
  readonly seed: number;
  readonly baseline: { readonly file: string; readonly kind: "baseline" | "nightly"; readonly id: string; readonly createdAt: string; readonly sets: readonly string[] } | null;
  /**
   * `pass` (exit 0), `fail` (exit 1: a regression, a safety failure, a failing, inconclusive or
   * not-run scenario), `error` (exit 2: a harness error and nothing else wrong), `interrupted` (130).
   */
  readonly verdict: "pass" | "fail" | "error" | "interrupted";
  readonly exitCode: 0 | 1 | 2 | 130;
  /** One line per reason the verdict is not pass. */
  readonly reasons: readonly string[];
  readonly scenarios: readonly NightlyScenario[];
  readonly safety: readonly SafetyFailure[];
  readonly comparisons: readonly GateComparison[];
  /** Where the baseline was written (`--update-baseline`), else null. */
  readonly baselineWritten: string | null;
}
