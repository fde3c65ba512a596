// Issue 6, robustness: two scenario runs at the same time on one engine. Each has its own network
// (its own /24), its own container names, and neither sees the other's fault; both reports are right.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { readResult, removeRun, runResources, spawnCli, type CliProcess } from "../testing/cli-process.js";

let docker: Docker;
let out: string;
const runs: string[] = [];

beforeAll(async () => {
  docker = await getDocker();
  out = await mkdtemp(path.join(os.tmpdir(), "k8sm-robust-"));
});
afterAll(async () => {
  for (const id of runs) await removeRun(docker, id);
  await rm(out, { recursive: true, force: true });
});

describe("two scenario runs at the same time", () => {
  it("baseline and kill-leader: separate networks and names, no interference, both reports correct", async () => {
    const start = (scenario: string): CliProcess => spawnCli("scenarios/main.ts", [scenario, "--profile", "fast", "--out", out]);
    const baseline = start("baseline");
    const killLeader = start("kill-leader");
    try {
      const ids = { baseline: await baseline.runId(), killLeader: await killLeader.runId() };
      runs.push(ids.baseline, ids.killLeader);
      expect(ids.baseline).not.toBe(ids.killLeader);

      // Both topologies up at once, each on its own network and /24.
      const net = async (cli: CliProcess, id: string) => (await cli.waitForStderr(new RegExp(`network (k8sm-${id}) (10\\.213\\.\\d+)\\.0/24`), 60_000)).slice(1, 3);
      const [bNet, bPrefix] = await net(baseline, ids.baseline);
      const [kNet, kPrefix] = await net(killLeader, ids.killLeader);
      expect(bNet).not.toBe(kNet);
      expect(bPrefix).not.toBe(kPrefix);
      await Promise.all([baseline.waitForStderr(/trial 1\/1: waiting for steady state/, 120_000), killLeader.waitForStderr(/trial 1\/1: waiting for steady state/, 120_000)]);
      for (const id of [ids.baseline, ids.killLeader]) {
        const { containers, networks } = await runResources(docker, id);
        expect(networks).toEqual([`k8sm-${id}`]);
        expect(containers.length).toBeGreaterThanOrEqual(7); // etcd, nginx, mesos-master, 2 masters, 2 agents
        for (const c of containers) expect(c.name.startsWith(`k8sm-${id}-`), c.name).toBe(true);
      }

      const [b, k] = await Promise.all([baseline.exited, killLeader.exited]);
      // The control run passes: the other run's SIGKILL of a master never reached it.
      expect(b.code, b.stderr).toBe(0);
      // kill-leader completes (its verdict may be unknown on a loaded machine, never a harness error).
      expect([0, 1], k.stderr).toContain(k.code);

      const rb = await readResult(out, "baseline", ids.baseline);
      expect(rb).toMatchObject({ scenario: "baseline", runId: ids.baseline, status: "completed", verdict: "pass" });
      expect(rb.trials).toHaveLength(1);
      expect(rb.trials[0]!.measures.timeToNewSchedulerMs ?? null).toBeNull();

      const rk = await readResult(out, "kill-leader", ids.killLeader);
      expect(rk).toMatchObject({ scenario: "kill-leader", runId: ids.killLeader, status: "completed" });
      expect(rk.trials).toHaveLength(1);
      // Its own failover happened, in its own topology.
      expect(rk.trials[0]!.measures.timeToNewSchedulerMs).toBeGreaterThan(0);
      expect(k.stderr).toMatch(new RegExp(`SIGKILL the scheduler-leader[^\\n]*→ master-\\d`));

      for (const id of [ids.baseline, ids.killLeader]) expect(await runResources(docker, id)).toEqual({ containers: [], networks: [] });
    } finally {
      baseline.signalGroup("SIGKILL");
      killLeader.signalGroup("SIGKILL");
    }
  });
});
