/**
 * The harness's public surface: the only module scenarios/ import from harness/ (fixtures/ tests
 * may also import the test helpers, harness/testing/index.ts). Explicit named exports only.
 */
export { HarnessError, InputError, DockerUnavailableError, TopologyUnhealthyError, InterruptedError, exitCodeFor, formatError } from "./errors.js";
export { defineScenario, type ScenarioDefinition, type ScenarioExpectations } from "./runner/types.js";
export { describeFault, type FaultSpec, type FaultTarget } from "./faults/types.js";
export { scenarioCli, parseScenarioArgs } from "./cli/scenario.js";
export { nightlyCli, parseNightlyArgs } from "./cli/nightly.js";
export { loadNightlyPlan, nightlyJobs, scheduleLongestFirst } from "./nightly/index.js";
export { studyCli } from "./cli/study.js";
export {
  parseEventLogs, readContainerLogs, groundTruthPhases, compareToGroundTruth, probeErrorStats, validateRun,
  VALIDATED_MEASURES, TRUTH_DEFINITIONS,
  type GroundTruthEvent, type GroundTruth, type TruthValue, type ValidatedMeasure, type Comparison, type PhaseComparison, type ErrorStats,
} from "./ground-truth/index.js";
export { getDocker, LABELS } from "./docker/index.js";
export type { RunResult } from "./reporting/result.js";
export { validateRunReport } from "./reporting/schema.js";
export { applySetOverrides, profileSpec, validateTopologySpec, SEED_SPEC, FAST_SPEC, type TopologySpec, type Profile } from "./topology/spec.js";
export { BUGS, BUG_NAMES, type BugDefinition, type BugName } from "./topology/bugs.js";
export { executeRun, type ExecuteOptions, type RunOutcome } from "./runner/execute-run.js";
export { dockerEngine } from "./runner/docker-engine.js";
export { defaultParallelism, runPool, type PoolEntry, type PoolOptions } from "./runner/pool.js";
export { resolvePlan, type RunPlan } from "./runner/plan.js";
export {
  bootstrapInterval, bootstrapShift, median, quantileStat, wilson, ecdf, linearModel, describe, DEFAULT_LEVEL, DEFAULT_RESAMPLES,
  type Interval, type Shift, type SortedStat, type BootstrapOptions, type Proportion, type Description, type LinearModel, type Coefficient, type Row,
} from "./stats/index.js";
