/**
 * Entry point of `npm run bench`: the harness's bench, given the kill-leader scenario of this
 * catalogue. The bench is a tool about the harness, not part of its public surface: this entry
 * point is the one file of scenarios/ allowed to import it (eslint.config.js).
 */
import { benchCli, studyBenchCli } from "../harness/bench/index.js";
import { scenarios } from "./index.js";

const killLeader = scenarios.find((s) => s.name === "kill-leader");
if (!killLeader) throw new Error("the scenario catalogue has no kill-leader scenario");
// `npm run bench -- study ...`: the study's throughput against --parallel (docs/STUDY.md).
const argv = process.argv.slice(2);
process.exitCode = argv[0] === "study" ? await studyBenchCli(argv, killLeader) : await benchCli(argv, killLeader);
