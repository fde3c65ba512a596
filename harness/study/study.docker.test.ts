/**
 * A real study end to end (issue 12's "Done when"): 2 × 2 cells × 3 replicates, fast profile,
 * `--parallel 2`, the study process SIGKILLed mid-study (its whole process group, as a crash or an
 * OOM kill would), then `--resume`: every planned trial done once, no finished trial rerun, the
 * report's numbers equal to what trials.ndjson says, and no container of any of its runs left.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { describe as describeSample } from "../stats/index.js";
import { removeRun, runCli, runResources, spawnCli } from "../testing/cli-process.js";
import { readLog, type TrialRecord } from "./log.js";
import type { StudyReport } from "./report.js";

let docker: Docker;
let out: string;
beforeAll(async () => {
  docker = await getDocker();
  out = await mkdtemp(path.join(os.tmpdir(), "study-docker-"));
});
afterAll(async () => {
  // A safety net only: the test itself asserts nothing is left.
  for (const id of await runIds().catch(() => [])) await removeRun(docker, id);
  await rm(out, { recursive: true, force: true });
});

let studyDir = "";
async function runIds(): Promise<string[]> {
  return studyDir ? readdir(path.join(studyDir, "runs", "kill-leader")).catch(() => []) : [];
}

describe("npm run study (Docker)", () => {
  it("survives a SIGKILL mid-study: --resume finishes it without rerunning a finished trial, the report matches the trials, nothing is left", async () => {
    const file = path.join(out, "small.yaml");
    await writeFile(
      file,
      ["name: small", "scenario: kill-leader", "profile: fast", "factors:", "  ttl-secs: [6, 8]", "  file-check-frequency: [1s, 2s]", "replicates: 3", "batchSize: 3", "seed: 42", "falseFailover:", "  replicates: 0", ""].join("\n"),
    );
    const cli = spawnCli("scenarios/study.ts", [file, "--parallel", "2", "--out", out]);
    const [, dir] = await cli.waitForStderr(/study small: starting (\S+);/, 60_000);
    studyDir = dir!;
    // Two trials logged (of different batches or not): kill everything at once, no handler runs.
    await cli.waitForStderr(/study: cells \d+\/4 done, trials 2\/12/, 300_000);
    cli.signalGroup("SIGKILL");
    const killed = await cli.exitWithin(30_000);
    expect(killed.signal).toBe("SIGKILL");
    const before = (await readLog(path.join(studyDir, "trials.ndjson"))).records.filter((r): r is TrialRecord => r.kind === "trial" && r.complete);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(12);

    const resumed = await runCli("scenarios/study.ts", ["--resume", studyDir, "--parallel", "2"]);
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0);
    expect(resumed.stderr).toMatch(/resuming: \d+\/12 trials already finished/);
    expect(resumed.stdout).toMatch(/recommended: (ttl-secs=\d,file-check-frequency=\ds)/);

    const trials = (await readLog(path.join(studyDir, "trials.ndjson"))).records.filter((r): r is TrialRecord => r.kind === "trial" && r.complete);
    // Every trial finished before the kill is still there, and ran once.
    for (const t of before) expect(trials.filter((x) => x.runId === t.runId && x.trialIndex === t.trialIndex)).toHaveLength(1);
    expect(trials).toHaveLength(12);
    const report = JSON.parse(await readFile(path.join(studyDir, "study.json"), "utf8")) as StudyReport;
    expect(report).toMatchObject({ status: "completed", counts: { trials: 12, planned: 12 } });
    for (const c of report.cells) {
      const xs = trials.filter((t) => t.arm === "failover" && t.cell === c.key).map((t) => t.measures.timeToNewSchedulerMs).filter((v): v is number => v !== null);
      expect(c.trials).toBe(3);
      expect(c.measures.timeToNewSchedulerMs).toMatchObject(describeSample(xs));
    }
    expect(report.trials.filter((t) => t.complete)).toHaveLength(12);
    expect(report.probeError.length).toBeGreaterThan(0);
    const html = await readFile(path.join(studyDir, "study.html"), "utf8");
    expect(html).toContain('data-chart="heatmap-p99"');
    // Each trial links to its run's report; a run the SIGKILL cut off never wrote one, and says so.
    expect(report.trials.some((t) => !t.runEnded)).toBe(true);
    for (const t of report.trials) {
      const result = readFile(path.join(studyDir, t.report.replace(/report\.html$/, "result.json")), "utf8");
      if (t.runEnded) await expect(result).resolves.toContain(t.runId);
      else await expect(result).rejects.toThrow(/ENOENT/);
    }

    // Nothing left by any run, the killed ones included (the resumed runs' reap removed them).
    const ids = await runIds();
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const id of ids) expect(await runResources(docker, id), id).toEqual({ containers: [], networks: [] });
  }, 900_000);
});
