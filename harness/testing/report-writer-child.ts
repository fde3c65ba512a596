/**
 * For harness/robustness/atomic-reports.test.ts: writes the reports of one sample run after
 * another into `argv[2]` (a new run id each time) until it is killed, so the test can SIGKILL it
 * at any moment of `writeReports` and look at what is left.
 */
import { writeReports } from "../reporting/write.js";
import { sampleRunResult } from "./sample-run.js";

const out = process.argv[2]!;
for (let i = 0; ; i++) {
  const runId = `20261201-${String(Math.floor(i / 60_000) % 100).padStart(2, "0")}0000-${(i % 65_536).toString(16).padStart(4, "0")}`;
  await writeReports(out, sampleRunResult({ runId, trials: 2 }));
  if (i === 0) process.stderr.write("ready\n");
}
