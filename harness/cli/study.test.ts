/** The study command line: what it accepts, what it refuses (exit 2, naming the flag or field), and --dry-run's plan. Nothing runs. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineScenario } from "../runner/types.js";
import { dryRunText, studySpec, type StudyCliInput } from "./study.js";
import { parseCommand } from "./shell.js";

const catalogue = [
  defineScenario({ name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" }, model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true } }),
  defineScenario({ name: "kill-etcd-leader", description: "d", topology: ["etcd-members=3", "ttl-secs=30"], fault: { kind: "kill-container", target: "etcd-leader" }, model: null, expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false } }),
];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "study-cli-"));
  await writeFile(path.join(tmp, "ttl.yaml"), "name: ttl\nscenario: kill-leader\nfactors:\n  ttl-secs: [10, 20, 30]\nreplicates: 10\n");
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

const parse = (argv: string[]): Promise<StudyCliInput | null> => parseCommand(studySpec({ catalogue, studiesDir: tmp, defaultOut: path.join(tmp, "out") }, () => {}), argv, { stdout: () => {} });

describe("npm run study: the command line", () => {
  it("takes a shorthand with overrides, and --grid without a file", async () => {
    const a = await parse(["ttl", "--replicates", "3", "--profile", "fast", "--seed", "5", "--parallel", "2"]);
    expect(a).toMatchObject({ definition: { name: "ttl", replicates: 3, profile: "fast", seed: 5, factors: { "ttl-secs": ["10", "20", "30"] } }, engines: [{ url: "local", parallel: 2 }], resume: false });
    expect(a!.dir).toMatch(/out\/studies\/ttl\/\d{8}-\d{6}-[0-9a-f]{4}$/);
    const g = await parse(["--grid", "ttl-secs=10,20,30", "--grid", "file-check-frequency=5s,10s,20s", "--scenario", "kill-leader", "--replicates", "20"]);
    expect(g!.definition).toMatchObject({ name: "grid", scenario: "kill-leader", replicates: 20, factors: { "ttl-secs": ["10", "20", "30"], "file-check-frequency": ["5s", "10s", "20s"] }, falseFailover: { factors: ["ttl-secs"] } });
    const plan = dryRunText(g!, catalogue);
    expect(plan).toMatch(/cells \(9 × 20 replicate\(s\)\)/);
    expect(plan).toMatch(/210 trial\(s\) to run in \d+ batch\(es\) of at most 5/);
    expect(plan).toMatch(/estimated duration: \d/);
  });

  it.each([
    [["nope"], /unknown study "nope"/],
    [[], /no study given/],
    [["--grid", "ttl-secs"], /--grid "ttl-secs": expected key=v1,v2/],
    [["ttl", "--replicates", "x"], /--replicates must be a number/],
    [["ttl", "--replicates", "0"], /replicates: expected an integer in 1\.\.10000, got 0/],
    [["--grid", "ttl-secs=10,abc"], /factors\.ttl-secs\[1\]/],
    [["--resume", "/nonexistent-study", "--replicates", "3"], /--resume takes the study's own definition: --replicates cannot be given with it/],
    [["--resume", "/nonexistent-study"], /no study\.plan\.json there/],
    [["ttl", "--parallel", "0"], /--parallel must be between 1 and 32/],
    [["ttl", "--shard", "1/2"], /--shard 1\/2 needs a fixed seed/],
    [["ttl", "--engine", "local,parallel=0"], /--engine local,parallel=0: parallel must be 1\.\.32/],
  ])("refuses %j", async (argv, message) => {
    await expect(parse(argv)).rejects.toThrow(message);
  });
});
