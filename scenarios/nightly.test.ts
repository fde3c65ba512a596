/**
 * The checked-in nightly plan (scenarios/nightly.yaml) against this catalogue, and the command
 * line's refusals (exit 2 before anything runs, each naming the option).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadNightlyPlan, nightlyJobs, parseNightlyArgs, scheduleLongestFirst } from "../harness/index.js";
import { scenarios } from "./index.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PLAN = path.join(HERE, "nightly.yaml");

describe("scenarios/nightly.yaml", () => {
  it("lists every catalogue scenario by name, and its seed-profile night fits the default 60 min budget even with 2 topologies at once, by its own estimate", async () => {
    const listed = Object.keys((parseYaml(readFileSync(PLAN, "utf8")) as { scenarios: object }).scenarios);
    expect(listed.sort()).toEqual(scenarios.map((s) => s.name).sort());
    const plan = await loadNightlyPlan(PLAN, scenarios);
    expect(plan.profile).toBe("seed");
    const jobs = nightlyJobs({ plan, profile: "seed", sets: [], seed: 1, baseline: null });
    const slots = scheduleLongestFirst(jobs.map((job) => ({ job, estimateMs: job.estimateMs })), 2, 60 * 60_000);
    expect(slots.filter((s) => !s.fits).map((s) => s.job.planned.scenario.name)).toEqual([]);
  });

  it("gates the failover scenarios (5 trials) and leaves the 3-trial ones ungated (the interval at n = 3 is too easily cleared by chance)", async () => {
    const plan = await loadNightlyPlan(PLAN, scenarios);
    for (const p of plan.scenarios) {
      if (p.repeat >= 5) expect(p.thresholds.map((t) => t.measure), p.scenario.name).toEqual(["timeToNewSchedulerMs", "podRecoveryMs"]);
      else expect(p.thresholds, p.scenario.name).toEqual([]);
    }
  });
});

describe("npm run nightly: input", () => {
  it("refuses bad input before anything runs, each error naming the option", async () => {
    await expect(parseNightlyArgs(["--budget", "soon"], scenarios)).rejects.toThrow(/--budget: invalid duration/);
    await expect(parseNightlyArgs(["--budget", "30s"], scenarios)).rejects.toThrow(/--budget must be at least 1m/);
    await expect(parseNightlyArgs(["--only", "kill-leadr"], scenarios)).rejects.toThrow(/--only: unknown scenario "kill-leadr"/);
    await expect(parseNightlyArgs(["--plan", "/nonexistent/plan.yaml"], scenarios)).rejects.toThrow(/cannot read the nightly plan \/nonexistent\/plan.yaml: ENOENT/);
    await expect(parseNightlyArgs(["--baseline", "/nonexistent.json"], scenarios)).rejects.toThrow(/cannot read the baseline/);
    await expect(parseNightlyArgs(["--set", "ttl-secs=x"], scenarios)).rejects.toThrow(/--set ttl-secs: expected an integer/);
    await expect(parseNightlyArgs(["--parallel", "0"], scenarios)).rejects.toThrow(/--parallel must be between 1 and 16/);
    await expect(parseNightlyArgs(["--profile", "slow"], scenarios)).rejects.toThrow(/unknown profile "slow"/);
    await expect(parseNightlyArgs(["--shard", "0/2"], scenarios)).rejects.toThrow(/--shard 0\/2: the shard index must be 1..2/);
    await expect(parseNightlyArgs(["--shard", "3/2"], scenarios)).rejects.toThrow(/--shard 3\/2: the shard index must be 1..2/);
    await expect(parseNightlyArgs(["--shard", "x"], scenarios)).rejects.toThrow(/--shard: expected i\/n/);
    await expect(parseNightlyArgs(["--engine", "local,parallel=0"], scenarios)).rejects.toThrow(/--engine local,parallel=0: parallel must be 1..32/);
  });

  it("defaults: the checked-in plan, 60 min, the default parallelism, reports/nightly, the trend beside the nights", async () => {
    const input = await parseNightlyArgs(["--only", "kill-leader", "--profile", "fast", "--baseline-dir", "/nonexistent-dir"], scenarios);
    const reports = path.join(HERE, "..", "reports", "nightly");
    expect(input).toMatchObject({ profile: "fast", budgetMs: 3_600_000, baseline: null, updateBaseline: false, outDir: reports, trendFile: path.join(reports, "trend.ndjson"), baselineFile: "/nonexistent-dir/nightly-fast.json" });
    expect(input!.plan.scenarios.map((s) => s.scenario.name)).toEqual(["kill-leader"]);
    expect(input!.engines).toEqual([expect.objectContaining({ url: "local", parallel: expect.any(Number) })]);
  });
});
