/**
 * Issue 13's proof, on this machine: a second, independent Docker engine in a network namespace of
 * its own (harness/bench/second-engine.ts; its containers are not routable from here, as on a
 * remote host) beside this host's.
 *
 * 1. A study run as CI shards: shard 1/2 on this host's engine and shard 2/2 on the second, at
 *    once, then `npm run study -- merge`: the merged report holds exactly the shards' trials, its
 *    links resolve, nothing is left on either engine.
 * 2. Ctrl-C during a study over both engines stops the runs on both; nothing is left on either.
 * 3. One study over both engines (`--engine local,parallel=1 --engine <second>,parallel=1`), the
 *    second engine killed (dockerd SIGKILL, as a host that dies) while its first run is under way:
 *    the study still ends with every planned trial once, the killed engine's batch rerun here with
 *    the same cell and seed, the loss reported, nothing left here, and the second engine, removed,
 *    leaves no process, namespace, cgroup or folder.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { readLog, type BatchRecord, type TrialRecord } from "../study/log.js";
import type { StudyReport } from "../study/report.js";
import { harnessLeftovers, removeRun, runCli, runResources, spawnCli } from "../testing/cli-process.js";
import { startSecondEngine, type SecondEngine } from "../bench/second-engine.js";

let e2: SecondEngine | undefined;
let local: Docker;
let out: string;
let file: string;
const runIds = new Set<string>();

async function logOf(dir: string): Promise<{ trials: TrialRecord[]; batches: BatchRecord[] }> {
  const { records } = await readLog(path.join(dir, "trials.ndjson"));
  for (const r of records) if (r.kind !== "validation") runIds.add(r.runId);
  return { trials: records.filter((r): r is TrialRecord => r.kind === "trial"), batches: records.filter((r): r is BatchRecord => r.kind === "batch") };
}

const key = (t: TrialRecord): string => `${t.runId}#${t.trialIndex}`;

beforeAll(async () => {
  e2 = await startSecondEngine();
  local = await getDocker();
  out = await mkdtemp(path.join(os.tmpdir(), "k8sm-study-engines-"));
  file = path.join(out, "small.yaml");
  // 2 cells × 2 replicates, one trial per topology: 4 batches.
  await writeFile(file, ["name: engines", "scenario: kill-leader", "profile: fast", "factors:", "  ttl-secs: [6, 8]", "replicates: 2", "batchSize: 1", "seed: 42", "falseFailover:", "  replicates: 0", ""].join("\n"));
});

afterAll(async () => {
  const engine = e2;
  if (engine) {
    // Throws naming anything of it that could not be removed (processes, namespace, cgroups, folder).
    await engine.stop();
    expect(existsSync(`/run/netns/${engine.netns}`)).toBe(false);
    expect(existsSync(engine.dir)).toBe(false);
  }
  // A safety net only: the tests assert nothing is left.
  for (const id of runIds) await removeRun(local, id);
  await rm(out, { recursive: true, force: true });
});

describe("a study across two Docker engines and CI shards", () => {
  it("shard 1/2 here and shard 2/2 on the second engine, at once, then merge: the merged report holds exactly the shards' trials", async () => {
    const shard = (i: number, engine: string) => runCli("scenarios/study.ts", [file, "--shard", `${i}/2`, "--engine", `${engine},parallel=1`, "--out", out]);
    const t0 = performance.now();
    const [s1, s2] = await Promise.all([shard(1, "local"), shard(2, e2!.url)]);
    console.log(`2 shards at once (one per engine): ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    expect(s1.code, s1.stderr.slice(-3000)).toBe(0);
    expect(s2.code, s2.stderr.slice(-3000)).toBe(0);
    const dirOf = (stderr: string): string => /study engines shard \d\/2: starting (\S+);/.exec(stderr)![1]!;
    const dirs = [dirOf(s1.stderr), dirOf(s2.stderr)];
    expect(dirs[0]).toMatch(/-shard-1-of-2$/);
    const logs = await Promise.all(dirs.map(logOf));
    expect(logs[0]!.trials.every((t) => t.engine === "local")).toBe(true);
    expect(logs[1]!.trials.every((t) => t.engine === e2!.url)).toBe(true);
    const shardTrials = logs.flatMap((l) => l.trials.filter((t) => t.complete));
    expect(shardTrials).toHaveLength(4);
    expect(await harnessLeftovers(e2!.docker)).toEqual([]);

    const merged = await runCli("scenarios/study.ts", ["merge", ...dirs, "--out", out]);
    expect(merged.code, merged.stderr.slice(-3000)).toBe(0);
    const mergedDir = /reports written to (\S+) /.exec(merged.stderr)![1]!;
    const report = JSON.parse(await readFile(path.join(mergedDir, "study.json"), "utf8")) as StudyReport;
    expect(report).toMatchObject({ status: "completed", counts: { trials: 4, planned: 4 } });
    // Exactly the shards' trials, with their measures, and each one's run report here.
    expect(report.trials.map((t) => `${t.runId}#${t.trialIndex}`).sort()).toEqual(shardTrials.map(key).sort());
    for (const t of report.trials) {
      const s = shardTrials.find((x) => key(x) === `${t.runId}#${t.trialIndex}`)!;
      expect(t.timeToNewSchedulerMs).toBe(s.measures.timeToNewSchedulerMs);
      expect(existsSync(path.join(mergedDir, t.report.replace(/report\.html$/, "result.json"))), t.report).toBe(true);
    }
    for (const id of runIds) expect(await runResources(local, id), id).toEqual({ containers: [], networks: [] });
  }, 900_000);

  it("Ctrl-C stops every engine's work: both runs under way end, exit 130, the partial study is written, nothing is left on either engine", async () => {
    const cli = spawnCli("scenarios/study.ts", [file, "--engine", "local,parallel=1", "--engine", `${e2!.url},parallel=1`, "--out", out]);
    const [, dir] = await cli.waitForStderr(/study engines: starting (\S+);/, 300_000);
    await cli.waitForStderr(/\[slot 1\] trial 1\/1: waiting for steady state/, 300_000);
    await cli.waitForStderr(/\[slot 2\] trial 1\/1: waiting for steady state/, 300_000);
    cli.signalGroup("SIGINT");
    const r = await cli.exitWithin(300_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(130);
    expect(r.stderr).toMatch(/stopping the run on unix:\/\//);
    const { batches } = await logOf(dir!);
    expect(batches.map((b) => [b.engine, b.status]).sort()).toEqual([["local", "interrupted"], [e2!.url, "interrupted"]].sort());
    expect(JSON.parse(await readFile(path.join(dir!, "study.json"), "utf8"))).toMatchObject({ status: "partial" });
    expect(await harnessLeftovers(e2!.docker)).toEqual([]);
    for (const b of batches) expect(await runResources(local, b.runId), b.runId).toEqual({ containers: [], networks: [] });
  }, 900_000);

  it("one study over both engines, the second killed mid-run: its batch reruns here, every planned trial once, the loss reported, nothing left", async () => {
    const cli = spawnCli("scenarios/study.ts", [file, "--engine", "local,parallel=1", "--engine", `${e2!.url},parallel=1`, "--out", out]);
    const [, dir] = await cli.waitForStderr(/study engines: starting (\S+);/, 300_000);
    // The second engine's first run has its topology up: the host dies.
    await cli.waitForStderr(/\[slot 2\] trial 1\/1: waiting for steady state/, 300_000);
    e2!.kill();
    const r = await cli.exitWithin(600_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`engine ${e2!.url} is gone: .*this slot stops`));
    expect(r.stderr).toMatch(/0 trial\(s\) logged; 1 go to another engine/);
    expect(r.stderr).toMatch(new RegExp(`engine ${e2!.url}: .*LOST at .*went to the other engines`));

    const { trials, batches } = await logOf(dir!);
    const complete = trials.filter((t) => t.complete);
    expect(complete).toHaveLength(4);
    for (const cell of ["ttl-secs=6", "ttl-secs=8"]) expect(complete.filter((t) => t.cell === cell)).toHaveLength(2);
    // The killed engine's run brought nothing back; its batch ran here, same cell, ordinal and seed.
    expect(complete.every((t) => t.engine === "local")).toBe(true);
    const lost = batches.filter((b) => b.status === "engine-lost");
    expect(lost).toEqual([expect.objectContaining({ engine: e2!.url })]);
    expect(batches.find((b) => b.status === "completed" && b.cell === lost[0]!.cell && b.ordinal === lost[0]!.ordinal)).toMatchObject({ engine: "local", seed: lost[0]!.seed });
    const report = JSON.parse(await readFile(path.join(dir!, "study.json"), "utf8")) as StudyReport;
    expect(report).toMatchObject({ status: "completed", counts: { trials: 4, planned: 4 } });
    // Nothing left here by any of its runs (the lost one ran there: removed with the engine, afterAll checks).
    for (const b of batches.filter((x) => x.engine === "local")) expect(await runResources(local, b.runId), b.runId).toEqual({ containers: [], networks: [] });
  }, 900_000);
});
