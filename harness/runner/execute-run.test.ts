/**
 * The run engine without Docker: a fake cluster and a virtual clock (harness/testing). Each test
 * drives a whole run (launch → trials → reports → teardown) and checks what a user relies on:
 * verdicts, the phases in the history, that faults are healed and the cluster released on every
 * path, and that the reports are written.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerUnavailableError, HarnessError } from "../errors.js";
import { ofKind } from "../history/history.js";
import type { EntryPayload, RunnerPhase } from "../history/types.js";
import type { Probe } from "../probes/probe.js";
import type { RunResult } from "../reporting/result.js";
import { fakeEngine, type FakeEngineOptions } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { FAST_SPEC } from "../topology/spec.js";
import { executeRun, type ExecuteOptions } from "./execute-run.js";
import type { RunPlan } from "./plan.js";
import { defineScenario, type ScenarioDefinition } from "./types.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const pauseLeader = defineScenario({
  name: "pause-leader", description: "d", topology: [], fault: { kind: "pause", target: "scheduler-leader", durationMs: 8_000 },
  model: "pause-leader", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
const partition = defineScenario({
  name: "partition-etcd", description: "d", topology: [], fault: { kind: "partition-etcd", target: "scheduler-leader", durationMs: 8_000 },
  model: "partition-etcd", expect: { incompatibleDeclines: "none", dualScheduler: "bounded", failover: true },
});

let out: string;
beforeAll(async () => { out = await mkdtemp(path.join(os.tmpdir(), "execute-run-")); });
afterAll(async () => { await rm(out, { recursive: true, force: true }); });

let runs = 0;
function setup(scenario: ScenarioDefinition, repeat: number, opts: FakeEngineOptions = {}, extra: Pick<ExecuteOptions, "onTrial"> = {}) {
  const clock = new VirtualClock();
  const engine = fakeEngine(clock, opts);
  const controller = new AbortController();
  const plan: RunPlan = { scenario, spec: FAST_SPEC, repeat, seed: 7, options: { profile: "fast" } };
  const runId = `20260101-000000-${(runs++).toString(16).padStart(4, "0")}`;
  const progress: string[] = [];
  /** Called at the start of the first trial (its history's t = 0 is this instant). */
  let onFirstTrial: (() => void) | undefined;
  const onProgress = (l: string): void => {
    progress.push(l);
    if (onFirstTrial && /^trial 1\//.test(l)) {
      const fn = onFirstTrial;
      onFirstTrial = undefined;
      fn();
    }
  };
  const go = () => clock.run(executeRun(plan, { engine, signal: controller.signal, outDir: out, runId, clock, progress: onProgress, ...extra }));
  return { clock, engine, controller, go, progress, firstTrial: (fn: () => void) => { onFirstTrial = fn; } };
}

const phases = (r: RunResult, i: number): RunnerPhase[] => ofKind(r.trials[i]!.history, "phase").map((p) => p.name);

describe("executeRun", () => {
  it("runs every trial through its phases, passes a recovering cluster, restarts the killed node between trials, and writes the reports", async () => {
    const { engine, go } = setup(killLeader, 3);
    const { result, reportDir, reportError } = await go();
    expect(reportError).toBeUndefined();
    expect(result).toMatchObject({ status: "completed", verdict: "pass" });
    expect(result.trials.map((t) => t.verdict)).toEqual(["pass", "pass", "pass"]);
    expect(phases(result, 0)).toEqual(["steady", "inject", "observe", "converge", "evaluate", "done"]);
    for (const t of result.trials) {
      expect(t.measures.timeToNewSchedulerMs).toBeGreaterThanOrEqual(3_000);
      expect(t.fault).toMatchObject({ kind: "kill-container", targets: [{ how: expect.stringMatching(/active framework pid/) }] });
      expect(t.fault!.offsetMs).toBeLessThan(FAST_SPEC.podmaster.ttlSecs * 500);
    }
    // The leader alternates: each trial kills the node that leads at its fault, restarted after it.
    expect(result.trials.map((t) => t.fault!.targets[0]!.node)).toEqual(["master-1", "master-2", "master-1"]);
    const c = engine.clusters[0]!;
    expect(c.calls.filter((x) => /^(kill|start)/.test(x))).toEqual(["kill master-1 SIGKILL", "start master-1", "kill master-2 SIGKILL", "start master-2", "kill master-1 SIGKILL"]);
    // Converge waited for the restarted node's stale scheduler to come and go (1.5 s), and is not judged.
    const notes = ofKind(result.trials[0]!.history, "note").map((n) => n.text);
    expect(notes).toContain("converge: restarted master-1; its stale scheduler gone");
    // The next fault waits until the restarted master's apiserver has answered for nginx's fail_timeout (10 s).
    const at = (i: number, e: { t: number }) => result.trials[i]!.originEpochMs + e.t;
    const restartedUp = ofKind(result.trials[0]!.history, "apiserver-health").find((e) => e.node === "master-1" && e.up && e.t > result.trials[0]!.fault!.injectedAtMs)!;
    expect(at(1, { t: result.trials[1]!.fault!.injectedAtMs }) - at(0, restartedUp)).toBeGreaterThanOrEqual(10_000);
    expect(c.disposed).toBe(true);
    const written = JSON.parse(await readFile(path.join(reportDir, "result.json"), "utf8")) as RunResult;
    expect(written).toMatchObject({ runId: result.runId, verdict: "pass", images: c.images });
  });

  it("fails, within the observe budget, a trial whose fault the cluster never recovers from", async () => {
    const { clock, go, engine } = setup(killLeader, 1, { failoverMs: null });
    const { result } = await go();
    expect(result).toMatchObject({ status: "completed", verdict: "fail" });
    expect(result.trials[0]!.checks.find((c) => c.name === "timing-oracle")).toMatchObject({ verdict: "fail" });
    expect(ofKind(result.trials[0]!.history, "note").map((n) => n.text).join("\n")).toMatch(/not recovered within the observe budget/);
    expect(clock.now()).toBeLessThan(5 * 60_000);
    expect(engine.clusters[0]!.disposed).toBe(true);
  });

  it("heals a fault with a duration when its time is up, and observes on", async () => {
    const { engine, go } = setup(pauseLeader, 1);
    const { result } = await go();
    expect(result.status).toBe("completed");
    expect(phases(result, 0)).toEqual(["steady", "inject", "observe", "heal", "converge", "evaluate", "done"]);
    const faults = ofKind(result.trials[0]!.history, "fault");
    expect(faults.map((f) => f.action)).toEqual(["inject", "heal"]);
    expect(faults[1]!.t - faults[0]!.t).toBeGreaterThanOrEqual(8_000);
    expect(engine.clusters[0]!.calls).toContain("unpause master-1");
  });

  // A run is interrupted (Ctrl-C) in each phase that waits. `evaluate` and `done` do not wait: an
  // interrupt there is seen at the next trial's first wait.
  it.each(["steady", "inject", "observe", "heal", "converge"] as const)("an interrupt during %s: the trial is kept with verdict unknown, the fault healed, the cluster released, the reports written", async (phase) => {
    const scenario = phase === "converge" ? killLeader : pauseLeader;
    const repeat = phase === "converge" ? 2 : 1;
    // The same inputs give the same history on the virtual clock: find when the phase begins, then interrupt 1 ms into it.
    const dry = await setup(scenario, repeat, { callMs: 500 }).go();
    const at = ofKind(dry.result.trials[0]!.history, "phase").find((p) => p.name === phase)!.t;
    const { clock, controller, engine, go, firstTrial } = setup(scenario, repeat, { callMs: 500 });
    firstTrial(() => clock.at(clock.now() + at + 1, () => controller.abort(new Error("Ctrl-C"))));
    const { result, reportDir } = await go();
    expect(result).toMatchObject({ status: "interrupted", verdict: "unknown", error: { code: "E_INTERRUPTED" } });
    expect(result.trials).toHaveLength(1);
    const cut = result.trials[0]!;
    expect(cut.verdict).toBe("unknown");
    expect(ofKind(cut.history, "phase").at(-1)!.name).toBe(phase);
    expect(ofKind(cut.history, "note").at(-1)!.text).toMatch(/trial cut short/);
    const c = engine.clusters[0]!;
    // A pause in force when the interrupt came is undone: in observe by the teardown, in heal by the heal under way.
    if (phase === "observe" || phase === "heal") expect(c.calls.filter((x) => /pause/.test(x))).toEqual(["pause master-1", "unpause master-1"]);
    if (phase === "steady" || phase === "inject") expect(c.calls.filter((x) => /pause/.test(x))).toEqual([]);
    expect(c.calls.at(-1)).toBe("dispose");
    await expect(readFile(path.join(reportDir, "result.json"), "utf8")).resolves.toMatch(/"interrupted"/);
  });

  it("an interrupted trial's history records the heal of the fault that was in force", async () => {
    // As above: the dry run says when the pause is injected; the interrupt comes 1 s into it (it lasts 8 s).
    const dry = await setup(pauseLeader, 1, { callMs: 500 }).go();
    const at = ofKind(dry.result.trials[0]!.history, "fault")[0]!.t;
    const { clock, controller, go, firstTrial } = setup(pauseLeader, 1, { callMs: 500 });
    firstTrial(() => clock.at(clock.now() + at + 1_000, () => controller.abort(new Error("Ctrl-C"))));
    const { result } = await go();
    const h = result.trials[0]!.history;
    const faults = ofKind(h, "fault").map((f) => f.action);
    expect(faults).toEqual(["inject", "heal"]);
    expect(h.findIndex((e) => e.kind === "fault" && e.action === "heal")).toBeGreaterThan(h.findIndex((e) => e.kind === "note" && /trial cut short/.test(e.text)));
  });

  it("hands each trial to onTrial as it ends, the cut-short one included; an onTrial that throws fails the run", async () => {
    const seen: number[] = [];
    const whole = await setup(killLeader, 3, {}, { onTrial: (t) => void seen.push(t.index) }).go();
    expect(seen).toEqual([0, 1, 2]);
    expect(whole.result.trials.map((t) => t.index)).toEqual(seen);

    const cut: string[] = [];
    const { clock, controller, go, firstTrial } = setup(pauseLeader, 2, { callMs: 500 }, { onTrial: (t) => void cut.push(t.verdict) });
    firstTrial(() => clock.at(clock.now() + 2_000, () => controller.abort(new Error("Ctrl-C"))));
    const interrupted = await go();
    expect(interrupted.result.status).toBe("interrupted");
    expect(cut).toEqual(["unknown"]);

    const failing = await setup(killLeader, 3, {}, { onTrial: () => { throw new Error("disk full"); } }).go();
    expect(failing.result).toMatchObject({ status: "failed", error: { message: expect.stringMatching(/disk full/) } });
    expect(failing.result.trials).toHaveLength(1);
  });

  it("fires the fault only in the steady state: a second scheduler seen while the offset is waited sends the trial back to waiting for it", async () => {
    // The dry run says when the inject phase begins and when the fault fires (the same seed and timings).
    const dry = await setup(killLeader, 1).go();
    const dh = dry.result.trials[0]!.history;
    const injectPhase = ofKind(dh, "phase").find((p) => p.name === "inject")!.t;
    const faultAt = ofKind(dh, "fault")[0]!.t;
    expect(faultAt - injectPhase).toBeGreaterThan(1);
    // A stale scheduler on master-2 answers for 2 s from just after the offset's wait began.
    let sink: ((p: EntryPayload) => void) | undefined;
    const stale: Probe = { name: "stale", resync: () => {}, run: async (s, signal) => { sink = s; await new Promise((r) => signal.addEventListener("abort", r)); } };
    const { clock, go, firstTrial } = setup(killLeader, 1, { extraProbes: () => [stale] });
    const blipAt = injectPhase + 1;
    firstTrial(() => {
      const t0 = clock.now();
      clock.at(t0 + blipAt, () => sink!({ kind: "scheduler-health", node: "master-2", up: true }));
      clock.at(t0 + blipAt + 2_000, () => sink!({ kind: "scheduler-health", node: "master-2", up: false }));
    });
    const { result } = await go();
    const t = result.trials[0]!;
    expect(ofKind(t.history, "note").map((n) => n.text)).toContainEqual(expect.stringMatching(/^steady state lost before the fault: 2 schedulers up; waiting for it again$/));
    expect(t.verdict).toBe("pass");
    // Fired after the stale scheduler went away, not at the dry run's moment.
    expect(ofKind(t.history, "fault")[0]!.t).toBeGreaterThan(blipAt + 2_000);
  });

  it("a fault the engine delivered late: the trial is not judged (unknown, with the reason), the run completes", async () => {
    const { go, progress } = setup(killLeader, 1, { faultCallMs: 6_000 });
    const { result } = await go();
    expect(result.status).toBe("completed");
    const t = result.trials[0]!;
    expect(t.verdict).toBe("unknown");
    expect(ofKind(t.history, "note").map((n) => n.text)).toContainEqual(expect.stringMatching(/^fault delivered 6\.0 s after it was fired \(more than 5\.0 s\): .* verdict unknown$/));
    expect(ofKind(t.history, "fault")[0]!.detail).toMatchObject({ deliveredMs: 6_000 });
    expect(progress).toContainEqual(expect.stringMatching(/^trial 1\/1: UNKNOWN/));
  });

  it("fails the run, naming it, when a probe stops during a trial", async () => {
    const dying = (): Probe[] => [{ name: "mesos", resync: () => {}, run: async () => { throw new Error("socket hang up"); } }];
    const { engine, go } = setup(killLeader, 2, { extraProbes: dying });
    const { result } = await go();
    expect(result).toMatchObject({ status: "failed", verdict: "unknown", error: { code: "E_INTERNAL", message: expect.stringMatching(/the mesos probe stopped during the run \(socket hang up\)/) } });
    expect(result.trials).toHaveLength(1);
    expect(result.trials[0]!.verdict).toBe("unknown");
    expect(engine.clusters[0]!.disposed).toBe(true);
  });

  it("reports an engine that went away as such (E_DOCKER_UNAVAILABLE), not as a probe's bug", async () => {
    const gone = (): Probe[] => [{ name: "docker-events", resync: () => {}, run: async () => { throw new DockerUnavailableError("the Docker engine at tcp://x stopped answering"); } }];
    const { go } = setup(killLeader, 1, { extraProbes: gone });
    const { result } = await go();
    expect(result).toMatchObject({ status: "failed", error: { code: "E_DOCKER_UNAVAILABLE", message: expect.stringMatching(/^the Docker engine at tcp:\/\/x stopped answering/) } });
  });

  it("fails the run when a heal fails, retries the heal at teardown, and still releases the cluster", async () => {
    const { engine, go } = setup(partition, 2, { execExit: (cmd) => (cmd[1] === "-D" ? 1 : 0) });
    const { result } = await go();
    // The trial's heal failed, then the teardown's retry of it: the second is reported as cleanup, with how to reap.
    expect(result).toMatchObject({ status: "failed", error: { message: expect.stringMatching(/could not heal the etcd partition.*; cleanup: could not heal 1 fault/), hint: expect.stringMatching(/npm run reap/) } });
    expect(result.trials).toHaveLength(1);
    expect(result.trials[0]!.verdict).toBe("unknown");
    const c = engine.clusters[0]!;
    expect(c.calls.filter((x) => x.includes("iptables -A"))).toHaveLength(2);
    expect(c.calls.at(-1)).toBe("dispose");
  });

  it("writes a failed report with no trial when the launch fails", async () => {
    const { go } = setup(killLeader, 1, { launchError: new HarnessError("E_IMAGE_MISSING", "no fixture image") });
    const { result, reportDir } = await go();
    expect(result).toMatchObject({ status: "failed", trials: [], images: {}, error: { code: "E_IMAGE_MISSING" } });
    await expect(readFile(path.join(reportDir, "summary.md"), "utf8")).resolves.toMatch(/no fixture image/);
  });

  it("runs two runs at once in one process without sharing anything", async () => {
    const a = setup(killLeader, 2);
    const b = setup(pauseLeader, 1);
    const [ra, rb] = await Promise.all([a.go(), b.go()]);
    expect([ra.result.verdict, rb.result.verdict]).toEqual(["pass", "pass"]);
    expect(ra.reportDir).not.toBe(rb.reportDir);
    expect(a.engine.clusters[0]!.calls).not.toContain("unpause master-1");
    expect(b.engine.clusters[0]!.calls).toContain("unpause master-1");
  });
});
