// The reaper against a real engine: leftovers of a dead process go, a live process's stay,
// another host's stay unless `all`.
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { resolveImages } from "../setup/images.js";
import { getDocker } from "./client.js";
import { forceRemove } from "./containers.js";
import { LABELS, runLabelFilter, runLabels } from "./labels.js";
import { reap } from "./reaper.js";
import { newRunId } from "./run-id.js";

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

/** A labelled, paused or running container whose owner labels say `pid` on `host`. */
async function leftover(docker: Docker, image: string, runId: string, role: string, owner: { pid: number; host: string }, paused = false): Promise<string> {
  const name = `k8sm-${runId}-${role}`;
  const c = await docker.createContainer({
    name,
    Image: image,
    Cmd: ["sleep", "600"],
    Labels: { ...runLabels(runId, role), [LABELS.pid]: String(owner.pid), [LABELS.host]: owner.host },
    HostConfig: { Init: true },
  });
  await c.start();
  if (paused) await c.pause();
  return name;
}

async function names(docker: Docker, runId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [runLabelFilter(runId)] } });
  return list.map((c) => c.Names[0]!.replace(/^\//, "")).sort();
}

describe("reap", () => {
  it("removes a dead run's containers (paused too) and network, keeps a live process's and another host's", async () => {
    const docker = await getDocker();
    const { base } = await resolveImages({ docker, onWarning: () => {} });
    const dead = { pid: await deadPid(), host: hostname() };
    const deadRun = newRunId();
    const liveRun = newRunId();
    const otherHostRun = newRunId();
    const created: string[] = [];
    try {
      created.push(await leftover(docker, base, deadRun, "etcd-0", dead));
      created.push(await leftover(docker, base, deadRun, "master-1", dead, true));
      await docker.createNetwork({ Name: `k8sm-${deadRun}`, Labels: { ...runLabels(deadRun, "network"), [LABELS.pid]: String(dead.pid) } });
      created.push(await leftover(docker, base, liveRun, "etcd-0", { pid: process.pid, host: hostname() }));
      created.push(await leftover(docker, base, otherHostRun, "etcd-0", { pid: dead.pid, host: "some-other-host" }));

      const result = await reap({ docker });
      const removed = result.removed.map((r) => `${r.kind} ${r.name}`);
      expect(removed).toEqual(expect.arrayContaining([`container k8sm-${deadRun}-etcd-0`, `container k8sm-${deadRun}-master-1`, `network k8sm-${deadRun}`]));
      expect(removed.filter((r) => r.includes(liveRun) || r.includes(otherHostRun))).toEqual([]);
      expect(result.failed.filter((f) => f.resource.runId === deadRun)).toEqual([]);
      expect(await names(docker, deadRun)).toEqual([]);
      expect(await docker.listNetworks({ filters: { label: [runLabelFilter(deadRun)] } })).toEqual([]);
      expect(await names(docker, liveRun)).toEqual([`k8sm-${liveRun}-etcd-0`]);
      expect(await names(docker, otherHostRun)).toEqual([`k8sm-${otherHostRun}-etcd-0`]);

      // --all takes another host's leftovers too, but never a live process's on this host.
      const all = await reap({ docker, all: true });
      expect(all.removed.map((r) => r.name)).toContain(`k8sm-${otherHostRun}-etcd-0`);
      expect(await names(docker, otherHostRun)).toEqual([]);
      expect(await names(docker, liveRun)).toEqual([`k8sm-${liveRun}-etcd-0`]);
    } finally {
      for (const name of created) await forceRemove(docker, name);
      await docker.getNetwork(`k8sm-${deadRun}`).remove().catch(() => {});
    }
    expect(await names(docker, liveRun)).toEqual([]);
  });
});
