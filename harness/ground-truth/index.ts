export { parseEventLine, parseEventLogs, readContainerLogs, containerRole, type GroundTruthEvent } from "./events.js";
export {
  groundTruthPhases,
  VALIDATED_MEASURES,
  TRUTH_DEFINITIONS,
  type GroundTruth,
  type TruthValue,
  type TrialAxis,
  type ValidatedMeasure,
} from "./ground-truth.js";
export { compareToGroundTruth, probeErrorStats, validateRun, type Comparison, type PhaseComparison, type ErrorStats, type TrialValidation } from "./compare.js";
export { emulationStartupMs } from "./startup.js";
