/**
 * A study over several engines, without Docker: two fake engines (harness/testing) on the virtual
 * clock stand for this host's and another's; one dies mid-run (its cluster's next fault fails with
 * E_DOCKER_UNAVAILABLE and its ping stops answering). The study must keep every trial the dead
 * engine finished, run what it had left on the other engine, run nothing more on the dead one, and
 * end with exactly the planned trials. (The same with real engines, one of them killed:
 * harness/remote/engines.docker.test.ts.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSet } from "../remote/engine-set.js";
import { defineScenario } from "../runner/types.js";
import { mortalFakeEngine } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { validateStudy } from "./definition.js";
import { runStudy } from "./execute.js";
import type { BatchRecord, TrialRecord } from "./log.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const catalogue = [killLeader];
const def = validateStudy({ name: "e", scenario: "kill-leader", profile: "fast", factors: { "ttl-secs": [6, 10] }, replicates: 4, seed: 5, batchSize: 2, falseFailover: { replicates: 0 } }, "test", catalogue);

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), "study-engines-")); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

let ids = 0;
const newRunId = (): string => `20260101-000000-${(ids++).toString(16).padStart(4, "0")}`;

async function study(engines: { url: string; dies: number }[]) {
  const clock = new VirtualClock();
  const made = engines.map((e) => ({ url: e.url, ...mortalFakeEngine(clock, e.dies) }));
  const set = EngineSet.ofRunEngines(made.map((m) => ({ url: m.url, engine: m.engine, parallel: 1, ping: m.ping })), { recheckMs: 10 });
  const lines: string[] = [];
  const dir = path.join(tmp, `s${ids}`);
  const exec = await clock.run(runStudy({ definition: def, catalogue, engines: set, signal: new AbortController().signal, dir, clock, newRunId, progress: (l) => void lines.push(l) }));
  const trials = exec.records.filter((r): r is TrialRecord => r.kind === "trial");
  const batches = exec.records.filter((r): r is BatchRecord => r.kind === "batch");
  return { exec, set, made, lines, trials, batches };
}

describe("a study over two engines", () => {
  it("an engine that dies mid-run: its finished trials stay, what it had left runs on the other engine, nothing more runs on it", async () => {
    // b dies at its 2nd fault: the 2nd trial of its first batch.
    const { exec, set, made, trials, batches, lines } = await study([{ url: "local", dies: Infinity }, { url: "tcp://b:2375", dies: 2 }]);
    const complete = trials.filter((t) => t.complete);
    // Exactly the planned trials, every cell full: none lost, none run twice.
    expect(complete).toHaveLength(8);
    for (const cell of ["ttl-secs=6", "ttl-secs=10"]) expect(complete.filter((t) => t.cell === cell)).toHaveLength(4);
    // b's one finished trial is kept; the batch it died in is recorded, and its last trial ran on
    // local as a fresh batch of that cell (a new ordinal and seed: the old seed would replay the logged trial's fault phase).
    const onB = complete.filter((t) => t.engine === "tcp://b:2375");
    expect(onB).toHaveLength(1);
    const lost = batches.filter((b) => b.status === "engine-lost");
    expect(lost).toEqual([expect.objectContaining({ engine: "tcp://b:2375", runId: onB[0]!.runId, error: expect.objectContaining({ code: "E_DOCKER_UNAVAILABLE" }) })]);
    const redo = batches.filter((b) => b.engine === "local" && b.cell === lost[0]!.cell && b.repeat === 1);
    expect(redo).toEqual([expect.objectContaining({ status: "completed" })]);
    expect(redo[0]!.seed).not.toBe(lost[0]!.seed);
    // Fresh: beyond the cell's initial batches (2 of 2 trials), so no other batch of the study draws that seed.
    expect(redo[0]!.ordinal).toBeGreaterThanOrEqual(2);
    expect(new Set(batches.filter((b) => b.cell === lost[0]!.cell && b.status === "completed").map((b) => b.seed)).size).toBe(batches.filter((b) => b.cell === lost[0]!.cell && b.status === "completed").length);
    expect(made[1]!.runs).toHaveLength(1);
    expect(exec.handedBack).toBe(1);
    expect(set.uses[1]!.lost).toMatchObject({ runIds: [onB[0]!.runId] });
    expect(lines.some((l) => /tcp:\/\/b:2375 is gone.*this slot stops/.test(l))).toBe(true);
    expect(lines.some((l) => /1 trial\(s\) logged; 1 go to another engine as batch \d+/.test(l))).toBe(true);
  });

  it("an engine that dies between runs loses nothing: its next batch goes to the other engine whole", async () => {
    // b dies at its 3rd fault: the 1st trial of its second batch; that batch had logged nothing.
    const { trials, batches } = await study([{ url: "local", dies: Infinity }, { url: "tcp://b:2375", dies: 3 }]);
    expect(trials.filter((t) => t.complete)).toHaveLength(8);
    const lost = batches.find((b) => b.status === "engine-lost")!;
    expect(batches.find((b) => b.engine === "local" && b.cell === lost.cell && b.ordinal === lost.ordinal)).toMatchObject({ repeat: 2, status: "completed" });
  });

  it("when every engine is gone the batches left are not run, and the study says so (a resume runs them)", async () => {
    const { exec, trials } = await study([{ url: "local", dies: 3 }, { url: "tcp://b:2375", dies: 3 }]);
    expect(trials.filter((t) => t.complete)).toHaveLength(4);
    expect(exec.handedBack).toBe(2);
    expect(exec.interrupted).toBe(false);
  });
});
