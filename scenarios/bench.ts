/**
 * Entry point of `npm run bench`: the harness's bench, given the kill-leader scenario of this
 * catalogue. The bench is a tool about the harness, not part of its public surface: this entry
 * point is the one file of scenarios/ allowed to import it (eslint.config.js).
 */
import { benchCli } from "../harness/bench/index.js";
import { scenarios } from "./index.js";

const killLeader = scenarios.find((s) => s.name === "kill-leader");
if (!killLeader) throw new Error("the scenario catalogue has no kill-leader scenario");
process.exitCode = await benchCli(process.argv.slice(2), killLeader);
