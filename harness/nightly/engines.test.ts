/**
 * Nights over several engines, without Docker: two fake engines (harness/testing) on the virtual
 * clock stand for this host's and another's, and the second dies mid-night (its cluster's next
 * fault fails with E_DOCKER_UNAVAILABLE and its ping stops answering), as in
 * harness/study/engines.test.ts. Every scenario must still get its verdict; the run that was on
 * the dead engine runs again, whole, on the other, and is no attempt (not flaky, its rerun not
 * used up); the loss is in nightly.json, the summary and the progress.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSet } from "../remote/engine-set.js";
import { defineScenario } from "../runner/types.js";
import { mortalFakeEngine, type FakeBehaviour } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { nightly } from "./nightly.js";
import { parseNightlyPlan } from "./plan.js";
import { validateNightlyJson } from "./schema.js";
import type { NightlyResult } from "./types.js";

const scenario = (name: string) => defineScenario({
  name, description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const catalogue = [scenario("kill-a"), scenario("kill-b"), scenario("kill-c")];
// Longest first: kill-a (4 trials) to local's slot, kill-b (3) to b's, kill-c (2) to whichever frees first.
const PLAN = parseNightlyPlan("profile: fast\nscenarios:\n  kill-a: { repeat: 4 }\n  kill-b: { repeat: 3 }\n  kill-c: { repeat: 2 }\n", "engines-plan.yaml", catalogue);

let root: string;
beforeAll(async () => { root = await mkdtemp(path.join(os.tmpdir(), "nightly-engines-")); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

let nights = 0;
async function night(engines: { url: string; dies: number; behaviour?: (n: number) => FakeBehaviour }[]) {
  const clock = new VirtualClock();
  const made = engines.map((e) => ({ url: e.url, ...mortalFakeEngine(clock, e.dies, e.behaviour) }));
  const set = EngineSet.ofRunEngines(made.map((m) => ({ url: m.url, engine: m.engine, parallel: 1, ping: m.ping })), { recheckMs: 10 });
  const id = `20260102-0000${String(nights).padStart(2, "0")}-${(nights++).toString(16).padStart(4, "0")}`;
  const dir = path.join(root, id);
  const progress: string[] = [];
  const { result, writeErrors } = await clock.run(nightly(
    { plan: PLAN, profile: "fast", sets: [], budgetMs: 3_600_000, seed: 5, baseline: null, dir, id, harness: { version: "0.1.0", commit: "abcdef0" } },
    { trendFile: path.join(root, "trend.ndjson"), trendHtml: path.join(root, "trend.html"), updateBaseline: null, previousBaseline: null },
    { engines: set, signal: new AbortController().signal, clock, progress: (l) => void progress.push(l) },
  ));
  expect(writeErrors).toEqual([]);
  const json = JSON.parse(await readFile(path.join(dir, "nightly.json"), "utf8")) as NightlyResult;
  expect(validateNightlyJson(json)).toEqual([]);
  const byName = Object.fromEntries(result.scenarios.map((s) => [s.name, s]));
  return { result, json, dir, progress, made, byName };
}

describe("a night over two engines", () => {
  it("an engine that dies mid-run: every scenario gets its verdict, the lost run reruns whole on the other engine, no attempt counted, not flaky", async () => {
    // b dies at its 2nd fault: trial 2 of its first run (kill-b).
    const { result, json, dir, progress, made, byName } = await night([{ url: "local", dies: Infinity }, { url: "tcp://b:2375", dies: 2 }]);
    expect(result.scenarios.map((s) => [s.name, s.status])).toEqual([["kill-a", "pass"], ["kill-b", "pass"], ["kill-c", "pass"]]);
    expect(result).toMatchObject({ verdict: "pass", exitCode: 0, parallel: 2 });
    const lostRun = made[1]!.runs[0]!;
    // kill-b: one attempt, on local; its run on b is a lost run, not an attempt.
    expect(byName["kill-b"]!.attempts).toEqual([expect.objectContaining({ engine: "local", status: "completed", verdict: "pass", trials: 3 })]);
    expect(byName["kill-b"]!.lostRuns).toEqual([{ runId: lostRun, engine: "tcp://b:2375", reason: expect.stringMatching(/engine tcp:\/\/b:2375 is gone/) }]);
    expect(byName["kill-b"]!.attempts[0]!.runId).not.toBe(lostRun);
    // Nothing more ran on b; everything else ran on local.
    expect(made[1]!.runs).toHaveLength(1);
    expect(made[0]!.runs).toHaveLength(3);
    expect(json.engines).toEqual([
      { url: "local", parallel: 1, runs: 3, trials: 9, lost: null },
      { url: "tcp://b:2375", parallel: 1, runs: 0, trials: 0, lost: { at: expect.any(String), reason: expect.stringMatching(/socket closed/), runIds: [lostRun] } },
    ]);
    // The schema checks the new fields too: an engine without its counts, a lost run without its engine, are refused.
    expect(validateNightlyJson({ ...json, engines: [{ url: "local", parallel: 1 }] }).join("\n")).toMatch(/\/engines\/0: must have required property 'runs'/);
    expect(validateNightlyJson({ ...json, scenarios: [{ ...byName["kill-b"], lostRuns: [{ runId: lostRun, reason: "x" }] }] }).join("\n")).toMatch(/\/scenarios\/0\/lostRuns\/0: must have required property 'engine'/);
    expect(progress.some((l) => /^kill-b: engine tcp:\/\/b:2375 is gone.*its run goes to another engine whole; slot 2 \(tcp:\/\/b:2375\) stops/.test(l))).toBe(true);
    expect(progress.some((l) => /^engine tcp:\/\/b:2375: .*LOST at/.test(l))).toBe(true);
    const md = await readFile(path.join(dir, "summary.md"), "utf8");
    expect(md).toMatch(/## Engines\n\n- local: 3 run\(s\)[^\n]*\n- \*\*engine lost\*\*: tcp:\/\/b:2375: 0 run\(s\)/);
    expect(md).toMatch(/- \*\*kill-b\*\*: run \S+ on tcp:\/\/b:2375 lost with its engine, not counted as an attempt; ran on local/);
    expect(await readFile(path.join(dir, "index.html"), "utf8")).toMatch(/<p class="v-fail" data-engine="lost">engine lost: tcp:\/\/b:2375/);
  });

  it("an engine that dies during a rerun: the first attempt stands, the rerun is made on the other engine (flaky, two attempts)", async () => {
    // b's first run (kill-b) never fails over (fail); its rerun's first fault, b's 4th, kills b.
    const { result, byName, made } = await night([{ url: "local", dies: Infinity }, { url: "tcp://b:2375", dies: 4, behaviour: (n) => (n === 0 ? { failoverMs: null } : {}) }]);
    const b = byName["kill-b"]!;
    expect(b.status).toBe("flaky");
    expect(b.attempts.map((a) => [a.engine, a.verdict])).toEqual([["tcp://b:2375", "fail"], ["local", "pass"]]);
    expect(b.lostRuns).toEqual([expect.objectContaining({ runId: made[1]!.runs[1], engine: "tcp://b:2375" })]);
    expect(result).toMatchObject({ verdict: "pass", exitCode: 0 });
  });

  it("when every engine is gone, the scenarios left are not-run and the night fails", async () => {
    // Each engine dies at its 2nd fault: both first runs are lost, nothing is left to run them.
    const { result, json } = await night([{ url: "local", dies: 2 }, { url: "tcp://b:2375", dies: 2 }]);
    expect(result.scenarios.map((s) => s.status)).toEqual(["not-run", "not-run", "not-run"]);
    expect(result.scenarios[0]!.reason).toMatch(/^every engine was lost \(local, tcp:\/\/b:2375\) before it ran/);
    expect(result.scenarios[0]!.lostRuns).toHaveLength(1);
    expect(result).toMatchObject({ verdict: "fail", exitCode: 1 });
    expect(json.engines!.every((e) => e.lost !== null)).toBe(true);
  });
});
