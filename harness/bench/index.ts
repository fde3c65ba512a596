/** The bench (`npm run bench`): what scenarios/bench.ts needs. */
export { benchCli } from "../cli/bench.js";
export { studyBenchCli } from "../study/bench.js";
export { runBench, type BenchInput } from "./run-bench.js";
export { parseBenchArgs, BENCH_USAGE, type BenchOptions } from "./options.js";
export { renderBenchTables, evaluateGoals, GOALS, type BenchReport, type GoalResult } from "./report.js";
