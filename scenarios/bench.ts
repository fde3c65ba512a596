/** Entry point of `npm run bench`: the harness's bench, given the kill-leader scenario of this catalogue. */
import { benchCli } from "../harness/index.js";
import { scenarios } from "./index.js";

const killLeader = scenarios.find((s) => s.name === "kill-leader");
if (!killLeader) throw new Error("the scenario catalogue has no kill-leader scenario");
process.exitCode = await benchCli(process.argv.slice(2), killLeader);
