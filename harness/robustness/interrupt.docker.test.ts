// Robustness: the harness interrupted (Ctrl-C, SIGTERM through npm) or killed (SIGKILL) in the middle
// of a trial, with a fault in force or an engine call hanging. The real CLI in a child process
// group, fast profile; every assertion is about this run's own resources (its run-id label).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../async/wait-for.js";
import { getDocker } from "../docker/client.js";
import { runLabelFilter } from "../docker/labels.js";
import { partitionRules } from "../faults/inject.js";
import { readResult, removeRun, runCli, runResources, spawnCli, spawnNpm, type CliProcess } from "../testing/cli-process.js";
import { engineProxy } from "../testing/engine-proxy.js";

/** Launch (~5 s) + steady state + the fault's random offset: the fault is in force well within this. */
const FAULT_WITHIN_MS = 120_000;
const PAUSED = /docker pause the scheduler-leader .*→ (master-\d+) /;
const PARTITIONED = /cut the scheduler-leader from etcd .*→ (master-\d+) /;

let docker: Docker;
let out: string;
const runs: string[] = [];

beforeAll(async () => {
  docker = await getDocker();
  out = await mkdtemp(path.join(os.tmpdir(), "k8sm-robust-"));
});
afterAll(async () => {
  // Safety net only: each test asserts its run left nothing.
  for (const id of runs) await removeRun(docker, id);
  await rm(out, { recursive: true, force: true });
});

/** Collects the engine's container events of one run (action + container name), in order. */
async function recordEvents(runId: string): Promise<{ events: string[]; stop: () => void }> {
  const stream = (await docker.getEvents({ filters: { type: ["container"], label: [runLabelFilter(runId)] } })) as NodeJS.ReadableStream & { destroy(): void };
  const events: string[] = [];
  let partial = "";
  stream.on("data", (d: Buffer) => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop()!;
    for (const l of lines.filter(Boolean)) {
      const e = JSON.parse(l) as { Action: string; Actor?: { Attributes?: { name?: string } } };
      if (!e.Action.startsWith("exec_")) events.push(`${e.Action} ${e.Actor?.Attributes?.name ?? "?"}`);
    }
  });
  return { events, stop: () => stream.destroy() };
}

describe("Ctrl-C mid-trial", () => {
  it("with a container paused: exit 130, the container unpaused before it is removed, nothing left, partial report with verdict unknown", async () => {
    const cli = spawnCli("scenarios/main.ts", ["pause-leader", "--profile", "fast", "--out", out]);
    const runId = await cli.runId();
    runs.push(runId);
    const recorder = await recordEvents(runId);
    try {
      const node = (await cli.waitForStderr(PAUSED, FAULT_WITHIN_MS))[1]!;
      const target = `k8sm-${runId}-${node}`;
      expect((await docker.getContainer(target).inspect()).State.Paused).toBe(true);

      cli.signalGroup("SIGINT"); // a terminal's Ctrl-C goes to the whole foreground process group
      const exit = await cli.exitWithin(60_000);
      expect(exit.code, exit.stderr).toBe(130);
      expect(exit.stderr).toMatch(/interrupted \(SIGINT\): stopping the run and tearing down/);

      expect(await runResources(docker, runId), exit.stderr).toEqual({ containers: [], networks: [] });
      // The engine saw the fault healed: unpaused, and only then removed.
      const ev = recorder.events;
      expect(ev).toContain(`pause ${target}`);
      const unpause = ev.indexOf(`unpause ${target}`);
      expect(unpause, ev.join("\n")).toBeGreaterThan(ev.indexOf(`pause ${target}`));
      expect(unpause).toBeLessThan(ev.indexOf(`destroy ${target}`));

      const result = await readResult(out, "pause-leader", runId);
      expect(result).toMatchObject({ scenario: "pause-leader", runId, status: "interrupted", verdict: "unknown", error: { code: "E_INTERRUPTED" } });
      expect(result.trials).toHaveLength(1);
      expect(result.trials[0]!.verdict).toBe("unknown");
      // The history of the cut trial is in the report: the fault, then the interruption.
      const history = (await readFile(path.join(out, "pause-leader", runId, "history.ndjson"), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const inject = history.findIndex((e) => e.kind === "fault" && e.action === "inject");
      expect(inject).toBeGreaterThan(0);
      expect(history.findIndex((e) => e.kind === "note" && /trial cut short: interrupted/.test(String(e.text)))).toBeGreaterThan(inject);
    } finally {
      recorder.stop();
    }
  });

  it("with --keep and a node cut from etcd: exit 130, the iptables rules gone and nothing paused in the kept topology; `topology down` removes it", async () => {
    const cli = spawnCli("scenarios/main.ts", ["partition-etcd", "--profile", "fast", "--keep", "--out", out]);
    const runId = await cli.runId();
    runs.push(runId);
    const node = (await cli.waitForStderr(PARTITIONED, FAULT_WITHIN_MS))[1]!;
    const target = docker.getContainer(`k8sm-${runId}-${node}`);
    const dropRules = async (): Promise<string[]> => {
      const exec = await target.exec({ Cmd: ["iptables", "-S"], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const chunks: Buffer[] = [];
      stream.on("data", (b: Buffer) => chunks.push(b));
      await new Promise((r) => stream.on("end", r));
      return Buffer.concat(chunks).toString("latin1").split("\n").filter((l) => /-j DROP/.test(l));
    };
    // In force: one DROP rule per direction and etcd member (it may still be being applied).
    await expect.poll(async () => (await dropRules()).length, { timeout: 10_000 }).toBe(partitionRules(["x"]).length);

    cli.signalGroup("SIGINT");
    const exit = await cli.exitWithin(60_000);
    expect(exit.code, exit.stderr).toBe(130);

    const left = await runResources(docker, runId);
    expect(left.containers.length).toBeGreaterThan(0); // kept, as asked
    expect(left.containers.filter((c) => c.state !== "running")).toEqual([]); // none paused, none dead
    expect(await dropRules()).toEqual([]);
    expect(await readResult(out, "partition-etcd", runId)).toMatchObject({ status: "interrupted", verdict: "unknown" });

    const down = await runCli("harness/cli/topology.ts", ["down", "--run-id", runId]);
    expect(down.code, down.stderr).toBe(0);
    expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
  });
});

describe("SIGTERM through npm", () => {
  // npm hands a SIGTERM to its child; the npm scripts `exec` node, so that child is the harness
  // itself (not an `sh -c` that dies and orphans it), and npm returns only once the harness exited.
  it.each([
    ["to the npm process", (cli: CliProcess): void => void cli.child.kill("SIGTERM")],
    ["to its process group (timeout, CI runners)", (cli: CliProcess): void => cli.signalGroup("SIGTERM")],
  ] as const)("%s: npm returns 130 only after the cleanup, nothing left, the report complete", async (_, send) => {
    const cli = spawnNpm("scenario", ["kill-leader", "--profile", "fast", "--out", out]);
    const runId = await cli.runId(60_000);
    runs.push(runId);
    await cli.waitForStderr(/trial 1\/1: waiting for steady state/, FAULT_WITHIN_MS);
    send(cli);
    const exit = await cli.exitWithin(90_000);
    // Read at once: had npm returned before the harness's teardown, its containers would still be here.
    const left = await runResources(docker, runId);
    expect(exit.code, exit.stderr).toBe(130);
    expect(left, exit.stderr).toEqual({ containers: [], networks: [] });
    expect(exit.stderr).toMatch(/interrupted \(SIGTERM\): stopping the run and tearing down/);
    expect(await readResult(out, "kill-leader", runId)).toMatchObject({ status: "interrupted", verdict: "unknown", error: { code: "E_INTERRUPTED" } });
  });
});

describe("Ctrl-C while an engine call hangs", () => {
  it("the run still ends: exit 130, a complete report; npm run reap removes what the hung engine kept", async () => {
    const proxy = await engineProxy();
    try {
      const cli = spawnCli("scenarios/main.ts", ["kill-leader", "--profile", "fast", "--out", out], { DOCKER_HOST: proxy.url });
      const runId = await cli.runId();
      runs.push(runId);
      await cli.waitForStderr(/trial 1\/1: waiting for steady state/, FAULT_WITHIN_MS);
      proxy.freeze(); // a wedged dockerd: connections open, nothing answered
      // The trial's probes follow the logs and events again as it begins: those calls now hang.
      await waitFor(() => proxy.heldRequests.length > 0 || cli.child.exitCode !== null, { description: "a call held by the frozen engine", timeoutMs: 30_000, intervalMs: 100 }).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; stderr:\n${cli.stderr()}`);
      });
      expect(cli.child.exitCode, cli.stderr()).toBeNull();
      cli.signalGroup("SIGINT");
      const exit = await cli.exitWithin(120_000);
      expect(exit.code, exit.stderr).toBe(130);
      const result = await readResult(out, "kill-leader", runId);
      expect(result).toMatchObject({ status: "interrupted", verdict: "unknown", error: { code: "E_INTERRUPTED" } });
      expect(result.trials.map((t) => t.verdict)).toEqual(["unknown"]);
    } finally {
      proxy.cut();
    }
    // The engine itself never hung: what the run could not remove through the proxy is removed now.
    const reaped = await runCli("harness/cli/reap.ts", []);
    expect(reaped.code, reaped.stderr).toBe(0);
    expect(await runResources(docker, runs.at(-1)!)).toEqual({ containers: [], networks: [] });
  });
});

describe("SIGKILL mid-trial", () => {
  /** A scenario run that reaps at its start, then stops at once (its image is missing). */
  const nextScenarioRun = async (): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const next = spawnCli("scenarios/main.ts", ["baseline", "--profile", "fast", "--out", out, "--set", "image.masterNode=k8sm-harness/nope:1"]);
    runs.push(await next.runId());
    return next.exited;
  };

  it.each([
    ["npm run reap", () => runCli("harness/cli/reap.ts", []), 0],
    ["the next npm run scenario", nextScenarioRun, 2],
  ] as const)("leaves a paused container and the network; %s removes all of it", async (_, cleaner, cleanerCode) => {
    const cli = spawnCli("scenarios/main.ts", ["pause-leader", "--profile", "fast", "--out", out]);
    const runId = await cli.runId();
    runs.push(runId);
    const node = (await cli.waitForStderr(PAUSED, FAULT_WITHIN_MS))[1]!;
    cli.signalGroup("SIGKILL");
    const exit = await cli.exited;
    expect(exit.signal).toBe("SIGKILL");

    const left = await runResources(docker, runId);
    expect(left.networks).toEqual([`k8sm-${runId}`]);
    expect(left.containers).toContainEqual({ name: `k8sm-${runId}-${node}`, state: "paused" });

    const reaped = await cleaner();
    expect(reaped.code, reaped.stderr).toBe(cleanerCode);
    // Another harness run starting meanwhile may have reaped some of it first: what counts is that nothing is left.
    expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
    expect(reaped.stdout).not.toMatch(/could not remove/);
  });
});
