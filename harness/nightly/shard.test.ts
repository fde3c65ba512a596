/**
 * `--shard i/n` without Docker: the deal (deterministic, disjoint, covering, balanced by estimate),
 * the option's refusals, and sharded nights on the fake engine: each lists only its scenarios,
 * says its shard (nightly.json, junit, progress), gates only its scenarios, and gives each scenario
 * the seed the unsharded night gives it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { EngineSet } from "../remote/engine-set.js";
import { defineScenario } from "../runner/types.js";
import { fakeEngine } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { readBaseline } from "./baseline.js";
import { nightly } from "./nightly.js";
import { parseNightlyPlan } from "./plan.js";
import { nightlyJobs, shardOf } from "./run-nightly.js";
import { dealShards, parseShard, type Shard } from "./schedule.js";
import { validateNightlyJson } from "./schema.js";
import type { NightlyResult } from "./types.js";

describe("dealShards", () => {
  // Estimates like a night's: a few long runs, many short ones, two ties.
  const jobs = [21, 14, 13, 9, 9, 7, 6, 5, 4, 4, 3].map((min, i) => ({ job: `s${i}`, name: `s${i}`, estimateMs: min * 60_000 }));
  const total = (shard: string[]): number => shard.reduce((n, name) => n + jobs.find((j) => j.name === name)!.estimateMs, 0);

  it.each([1, 2, 3, 4, 5])("%i shard(s): disjoint, covering, the same deal from any input order, totals within one run's estimate", (n) => {
    const shards = dealShards(jobs, n);
    expect(shards).toHaveLength(n);
    const dealt = shards.flat();
    expect(dealt.sort()).toEqual(jobs.map((j) => j.job).sort());
    expect(new Set(dealt).size).toBe(jobs.length);
    for (const order of [[...jobs].reverse(), [...jobs.slice(5), ...jobs.slice(0, 5)]]) expect(dealShards(order, n)).toEqual(shards);
    const totals = shards.map(total);
    expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(Math.max(...jobs.map((j) => j.estimateMs)));
    // Each shard in its own longest-first order.
    for (const s of shards) expect(s.map((x) => total([x]))).toEqual(s.map((x) => total([x])).sort((a, b) => b - a));
  });

  it("alternates the direction of the deal, so the first shard does not take the longest of every round", () => {
    const shards = dealShards(jobs, 2).map(total);
    // Plain round-robin (1, 2, 1, 2, …) gives 56 and 39 min; 1, 2, 2, 1, 1, 2, … gives 48 and 47.
    expect(shards).toEqual([48 * 60_000, 47 * 60_000]);
  });
});

describe("--shard", () => {
  it("parses i/n and refuses what is not a shard of n, with a hint", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShard(" 1 / 1 ")).toEqual({ index: 1, count: 1 });
    for (const [text, message] of [["0/2", /--shard 0\/2: the shard index must be 1..2, got 0/], ["3/2", /--shard 3\/2: the shard index must be 1..2, got 3/], ["x", /--shard: expected i\/n, got "x"/], ["1/0", /the shard count must be 1..100/]] as const) {
      const err = (() => {
        try {
          parseShard(text);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err, text).toBeInstanceOf(InputError);
      expect((err as InputError).message).toMatch(message);
      expect((err as InputError).hint).toMatch(/--shard i\/n runs shard i of n/);
    }
  });
});

const scenario = (name: string, durationMs?: number) => defineScenario({
  name, description: "d", topology: [],
  fault: durationMs ? { kind: "pause", target: "scheduler-leader", durationMs } : { kind: "kill-container", target: "scheduler-leader" },
  model: durationMs ? "pause-leader" : "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const catalogue = [scenario("kill-a"), scenario("kill-b"), scenario("pause-c", 8_000), scenario("kill-d")];
const PLAN = parseNightlyPlan(
  `profile: fast
thresholds:
  - { measure: timeToNewSchedulerMs, stat: p50, maxIncrease: 20% }
scenarios:
  kill-a: { repeat: 4 }
  kill-b: { repeat: 3 }
  pause-c: { repeat: 3 }
  kill-d: { repeat: 2 }
`,
  "shard-plan.yaml",
  catalogue,
);

let root: string;
beforeAll(async () => { root = await mkdtemp(path.join(os.tmpdir(), "nightly-shard-")); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

let nights = 0;
async function night(shard?: Shard, baselineFile?: string, updateBaseline?: string): Promise<{ result: NightlyResult; json: NightlyResult; junit: string; progress: string[] }> {
  const clock = new VirtualClock();
  const id = `20260103-0000${String(nights).padStart(2, "0")}-${(nights++).toString(16).padStart(4, "0")}`;
  const dir = path.join(root, id);
  const progress: string[] = [];
  const baseline = baselineFile ? await readBaseline(baselineFile, "fast") : null;
  const { result } = await clock.run(nightly(
    { plan: PLAN, profile: "fast", sets: [], budgetMs: 3_600_000, seed: 11, baseline, dir, id, harness: { version: "0.1.0", commit: "abcdef0" }, ...(shard ? { shard } : {}) },
    { trendFile: path.join(root, "trend.ndjson"), trendHtml: path.join(root, "trend.html"), updateBaseline: updateBaseline ?? null, previousBaseline: null },
    { engines: EngineSet.ofRunEngines([{ engine: fakeEngine(clock), parallel: 2 }]), signal: new AbortController().signal, clock, progress: (l) => void progress.push(l) },
  ));
  const json = JSON.parse(await readFile(path.join(dir, "nightly.json"), "utf8")) as NightlyResult;
  expect(validateNightlyJson(json)).toEqual([]);
  return { result, json, junit: await readFile(path.join(dir, "junit.xml"), "utf8"), progress };
}

describe("a sharded night", () => {
  it("each shard lists only its scenarios, says its shard, gates only its scenarios, and seeds each scenario as the unsharded night does", async () => {
    const baselineFile = path.join(root, "baseline-fast.json");
    const whole = await night(undefined, undefined, baselineFile);
    expect(whole.json.shard).toBeUndefined();
    const seedOf = (r: NightlyResult, name: string): number | undefined => r.scenarios.find((s) => s.name === name)?.attempts[0]?.seed;

    // The deal uses the estimates the shards will use: the baseline's measured run times.
    const jobs = nightlyJobs({ plan: PLAN, profile: "fast", sets: [], seed: 11, baseline: await readBaseline(baselineFile, "fast") });
    const shards = [1, 2].map((index) => shardOf(jobs, { index, count: 2 }).shard!.scenarios);
    expect(shards.flat().sort()).toEqual(["kill-a", "kill-b", "kill-d", "pause-c"]);

    for (const index of [1, 2]) {
      const { result, json, junit, progress } = await night({ index, count: 2 }, baselineFile);
      const mine = shards[index - 1]!;
      expect(json.shard).toEqual({ index, count: 2, scenarios: mine });
      expect(validateNightlyJson({ ...json, shard: { index: 1, count: 1, scenarios: mine } }).join("\n")).toMatch(/\/shard\/count: must be >= 2/);
      // The other shard's scenarios are absent, not not-run.
      expect(json.scenarios.map((s) => s.name).sort()).toEqual([...mine].sort());
      expect(json.scenarios.every((s) => s.status === "pass")).toBe(true);
      expect(result).toMatchObject({ verdict: "pass", exitCode: 0 });
      expect(new Set(json.comparisons.map((c) => c.scenario))).toEqual(new Set(mine));
      expect(json.comparisons.every((c) => c.verdict === "ok")).toBe(true);
      for (const name of mine) expect(seedOf(json, name), name).toBe(seedOf(whole.json, name));
      expect(junit).toMatch(new RegExp(`<testsuites name="nightly ${json.id} shard ${index}/2: pass"`));
      expect(junit.match(/<testsuite /g)).toHaveLength(mine.length);
      expect(progress.find((l) => l.startsWith(`nightly ${json.id}`))).toMatch(new RegExp(`^nightly ${json.id} shard ${index}/2: ${mine.length} of ${mine.length} scenario\\(s\\) \\(of the plan's 4\\)`));
    }
  });

  it("1/1 is the whole night, without a shard", async () => {
    const { json } = await night({ index: 1, count: 1 });
    expect(json.shard).toBeUndefined();
    expect(json.scenarios).toHaveLength(4);
  });
});
