import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunPlan } from "../runner/plan.js";
import { defineScenario } from "../runner/types.js";
import { fakeEngine } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { FAST_SPEC } from "../topology/spec.js";
import { describeEngineSpecs, EngineLost, EngineSet, parseEngineSpecs } from "./engine-set.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), "engine-set-")); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

const local = { parallel: 4, why: "2 cores × 2 = 4" };

describe("parseEngineSpecs (--engine URL[,parallel=N])", () => {
  it("none given: this host's engine alone, with --parallel or its default", () => {
    expect(parseEngineSpecs(undefined, { local })).toEqual([{ url: "local", target: null, parallel: 4, parallelWhy: "default: 2 cores × 2 = 4" }]);
    expect(parseEngineSpecs([], { parallel: 3, local })).toMatchObject([{ url: "local", parallel: 3, parallelWhy: "--parallel" }]);
  });

  it("several: each with its parallel=, else --parallel, else its default (another engine's: asked at start)", () => {
    const specs = parseEngineSpecs(["local,parallel=2", "unix:///tmp/e2/docker.sock", "tcp://build-3:2375, parallel=4"], { local });
    expect(specs.map((s) => [s.url, s.parallel, s.target?.scheme ?? null])).toEqual([
      ["local", 2, null],
      ["unix:///tmp/e2/docker.sock", null, "unix"],
      ["tcp://build-3:2375", 4, "tcp"],
    ]);
    expect(parseEngineSpecs(["unix:///tmp/e2/docker.sock", "local"], { parallel: 3, local }).map((s) => s.parallel)).toEqual([3, 3]);
    expect(describeEngineSpecs(specs).text).toBe("8 slot(s) over 3 engine(s): local × 2 (parallel=2 given); unix:///tmp/e2/docker.sock × ? (asked at start; 2 assumed here); tcp://build-3:2375 × 4 (parallel=4 given)");
    expect(describeEngineSpecs(parseEngineSpecs(undefined, { local })).text).toBe("--parallel 4 (default: 2 cores × 2 = 4)");
  });

  it.each([
    [["local,parallel=0"], /parallel must be 1\.\.32, got 0/],
    [["local,parallel=x"], /unknown parameter "parallel=x"/],
    [["local,cpus=2"], /unknown parameter "cpus=2"/],
    [[",parallel=2"], /no URL/],
    [["local", "local,parallel=2"], /--engine local is given twice/],
    [["unix:///a.sock/", "unix:///a.sock"], /--engine unix:\/\/\/a\.sock is given twice/],
    [["ftp://x:1"], /unknown scheme ftp/],
  ])("refuses %j", (values, message) => {
    expect(() => parseEngineSpecs(values, { local })).toThrow(message);
  });
});

describe("EngineSet", () => {
  const clock = new VirtualClock();
  const plan = (repeat: number): RunPlan => ({ scenario: killLeader, spec: FAST_SPEC, repeat, seed: 1, options: { profile: "fast", sets: [] } });

  it("interleaves the slots over the engines, so fewer jobs than slots still spread over them", () => {
    const set = EngineSet.ofRunEngines([{ url: "local", engine: fakeEngine(clock), parallel: 3 }, { url: "tcp://b:2375", engine: fakeEngine(clock), parallel: 1 }]);
    expect(set.slots).toBe(4);
    expect([0, 1, 2, 3].map((s) => set.urlOf(s))).toEqual(["local", "tcp://b:2375", "local", "local"]);
  });

  it("one ping that fails after a failed run is not a dead engine: it is asked again", async () => {
    let pings = 0;
    const ping = async (): Promise<void> => {
      if (++pings === 1) throw new Error("ping timed out (engine busy)");
    };
    const set = EngineSet.ofRunEngines([{ engine: fakeEngine(clock, { launchError: new Error("launch failed") }), parallel: 1, ping }], { recheckMs: 1 });
    const out = await clock.run(set.run(0, plan(1), { runId: "r-1", outDir: tmp, signal: new AbortController().signal, progress: () => {}, clock }));
    expect(out.result.status).toBe("failed");
    expect(pings).toBe(2);
    expect(set.alive(0)).toBe(true);
    expect(set.uses[0]!.lost).toBeNull();
  });

  it("an engine that answers no ping after a failed run is lost: the run throws EngineLost and the slot is dead", async () => {
    const set = EngineSet.ofRunEngines([{ engine: fakeEngine(clock, { launchError: new Error("launch failed") }), parallel: 1, ping: async () => { throw new Error("connect ECONNREFUSED"); } }], { recheckMs: 1 });
    await expect(clock.run(set.run(0, plan(1), { runId: "r-2", outDir: tmp, signal: new AbortController().signal, progress: () => {}, clock }))).rejects.toBeInstanceOf(EngineLost);
    expect(set.alive(0)).toBe(false);
    expect(set.uses[0]!.lost).toMatchObject({ reason: expect.stringMatching(/ECONNREFUSED \(3 pings 0.001s apart/), runIds: ["r-2"] });
  });
});
