/** The nightly job (docs/NIGHTLY.md): plan, schedule, runs with reruns, gate, reports, trend. */
export { loadNightlyPlan, parseNightlyPlan, GATE_STATS, type NightlyPlan, type PlannedScenario, type Threshold, type GateStat } from "./plan.js";
export { estimateRunMs, scheduleLongestFirst, dealShards, parseShard, LAUNCH_MS, type RunEstimate, type Slotted, type Shard } from "./schedule.js";
export { readBaseline, baselineFrom, writeBaseline, baselineFileFor, BASELINE_SCHEMA_VERSION, type Baseline, type BaselineFile, type BaselineScenario } from "./baseline.js";
export { compare, judge } from "./gate.js";
export { runNightly, nightlyJobs, shardOf, verdictOf, type NightlyOptions, type NightlyDeps } from "./run-nightly.js";
export { nightly, writeError, type NightlyFiles, type NightlyOutcome } from "./nightly.js";
export { renderNightlySummaryMd, renderNightlyJunit, renderNightlyIndexHtml, writeNightlyReports } from "./report.js";
export { trendLine, appendTrend, readTrend, renderTrendHtml, type TrendLine } from "./trend.js";
export { NIGHTLY_SCHEMA_VERSION, SAFETY_CHECKS, type NightlyResult, type NightlyScenario, type NightlyAttempt, type NightlyEngine, type NightlyShard, type LostRun, type GateComparison, type SafetyFailure, type ScenarioStatus } from "./types.js";
