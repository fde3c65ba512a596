/**
 * The seed's cold-standby topology in Docker with small timers (ttl 6 s, sleep 1 s, file-check 1 s):
 * it comes up healthy; SIGKILL of the leader's master-node container moves the podmaster keys and
 * the controller-manager (and the framework) to the other node within the §6.1 window; nothing
 * labelled is left afterwards. Everything is observed from outside (etcd, /healthz, state.json).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { LABELS } from "../docker/labels.js";
import { WATCHED_KEYS } from "../history/types.js";
import { coldNodeDeathWindow, type ModelWindow } from "../timing-oracle/windows.js";
import { launchTopology, type StartedTopology } from "./launch.js";
import { applySetOverrides, FAST_SPEC } from "./spec.js";
import { etcdKey, healthy, mesosFrameworks } from "./status.js";

const spec = applySetOverrides(FAST_SPEC, ["ttl-secs=6", "sleep=1s", "file-check-frequency=1s", "sync-frequency=1s"]);

/**
 * §6.1 for the configured timers. T_c (pod process start) and T_b (process start to /healthz, or to
 * Mesos `Registered`) were never measured for these emulations; the allowance is generous on
 * purpose (a shared, noisy CI machine), 15 s each, far below what a regression in the protocol
 * terms (R, D1, D2: whole seconds to tens of seconds) would add.
 */
const window: ModelWindow = coldNodeDeathWindow(
  { ttlSecs: spec.podmaster.ttlSecs, sleepSecs: spec.podmaster.sleepMs / 1000, fileCheckSecs: spec.kubelet.fileCheckFrequencyMs / 1000, syncSecs: spec.kubelet.syncFrequencyMs / 1000 },
  { containerStart: { minMs: 0, expectedMs: 1_000, maxMs: 15_000 }, bootstrap: { minMs: 0, expectedMs: 1_000, maxMs: 15_000 }, probeIntervalMs: 100 },
);
/**
 * A key's expiry as etcd has it (its own clock, the host's), epoch ms. Nothing can move the key
 * before it: that, not R > T/2 − S (which assumes the leader's loop ran exactly every S, so does
 * not hold on a loaded machine), is the lower bound checked below.
 */
async function keyExpiry(etcd: readonly string[], key: string): Promise<number> {
  const node = ((await (await fetch(`${etcd[0]}/v2/keys${key}`)).json()) as { node?: { expiration?: string } }).node;
  return Date.parse(node!.expiration!);
}

/** Polls `cond` every 100 ms from now until it holds; resolves with ms since `t0`. */
async function firstTrue(t0: number, timeoutMs: number, cond: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await cond().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`not observed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("cold-standby topology (fast timers)", () => {
  let topology: StartedTopology;
  let logDir: string;

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), "k8sm-topology-"));
    topology = await launchTopology(spec, { logDir });
  });

  afterAll(async () => {
    const runId = topology?.runId;
    await topology?.stop();
    await rm(logDir, { recursive: true, force: true });
    if (runId) {
      const docker = await getDocker();
      const label = [`${LABELS.runId}=${runId}`];
      expect(await docker.listContainers({ all: true, filters: { label } })).toEqual([]);
      expect(await docker.listNetworks({ filters: { label } })).toEqual([]);
    }
  });

  it("comes up with one holder per key, the controller-manager on it only, and the seed's files", async () => {
    const { endpoints, nodes } = topology;
    expect(nodes.masters).toHaveLength(2);
    const holder = await etcdKey(endpoints.etcd, WATCHED_KEYS.controller);
    const leader = topology.masterByIp(holder!);
    expect(leader).toBeDefined();
    expect(await healthy(`http://${leader!.ip}:10252/healthz`)).toBe(true);
    const other = nodes.masters.find((m) => m !== leader)!;
    expect(await healthy(`http://${other.ip}:10252/healthz`)).toBe(false);
    for (const m of endpoints.masters) expect(await healthy(`${m.apiserver}/healthz`)).toBe(true);
    expect(await healthy(`${endpoints.apiserver}/healthz`)).toBe(true);
    // The kubelet runs from the seed's manifest dir; the source dir holds what podmaster copies.
    const ls = await topology.exec(other.role, ["ls", "/etc/kubernetes/manifests", "/srv/kubernetes/manifests"]);
    expect(ls.stdout).toMatch(/apiserver\.yaml[\s\S]*podmaster\.yaml[\s\S]*controller-mgr\.yaml[\s\S]*scheduler\.yaml/);
  });

  it("SIGKILL of the leader's node: the other node takes the keys and starts the controller-manager inside the §6.1 window", async () => {
    const { endpoints } = topology;
    const leader = topology.masterByIp((await etcdKey(endpoints.etcd, WATCHED_KEYS.controller))!)!;
    const standby = topology.nodes.masters.find((m) => m !== leader)!;
    // The electors are independent: the framework moves only if the killed node also ran the scheduler.
    const schedulerOnLeader = (await etcdKey(endpoints.etcd, WATCHED_KEYS.scheduler)) === leader.ip;
    const before = schedulerOnLeader && endpoints.mesosMaster ? (await mesosFrameworks(endpoints.mesosMaster)).filter((f) => f.active) : [];
    // Read before the kill: a refresh in between only makes the real expiry later.
    const controllerExpiry = await keyExpiry(endpoints.etcd, WATCHED_KEYS.controller);
    const schedulerExpiry = schedulerOnLeader ? await keyExpiry(endpoints.etcd, WATCHED_KEYS.scheduler) : 0;

    const t0 = performance.now();
    const t0Epoch = Date.now();
    await topology.kill(leader.role, "SIGKILL");
    const budget = window.maxMs + 10_000;
    const [controllerKeyMs, schedulerKeyMs, cmHealthyMs] = await Promise.all([
      firstTrue(t0, budget, async () => (await etcdKey(endpoints.etcd, WATCHED_KEYS.controller)) === standby.ip),
      firstTrue(t0, budget, async () => (await etcdKey(endpoints.etcd, WATCHED_KEYS.scheduler)) === standby.ip),
      firstTrue(t0, budget, () => healthy(`http://${standby.ip}:10252/healthz`)),
    ]);
    const report = `kill → /controller key ${controllerKeyMs.toFixed(0)} ms, /scheduler key ${schedulerKeyMs.toFixed(0)} ms, ` +
      `controller-manager /healthz ${cmHealthyMs.toFixed(0)} ms; §6.1 window [${window.minMs}, ${window.maxMs}] ms (${window.formula})`;
    console.log(report);

    // The key moves after R + g + D1: inside the window without the kubelet and start terms.
    const keyMaxMs = window.terms.R!.maxMs + window.terms.g!.maxMs + window.terms.D1!.maxMs + 2_000;
    expect(t0Epoch + controllerKeyMs, report).toBeGreaterThanOrEqual(controllerExpiry);
    expect(controllerKeyMs, report).toBeLessThanOrEqual(keyMaxMs);
    expect(cmHealthyMs, report).toBeLessThanOrEqual(window.maxMs);
    expect(cmHealthyMs).toBeGreaterThanOrEqual(controllerKeyMs - 1_000);

    if (before.length === 1 && endpoints.mesosMaster) {
      // Issue 4 (a): the new scheduler fails over with the framework id from etcd.
      const mesos = endpoints.mesosMaster;
      const registeredMs = await firstTrue(t0, budget, async () =>
        (await mesosFrameworks(mesos)).some((f) => f.active && f.id === before[0]!.id && f.pid.includes(`@${standby.ip}:`)),
      );
      const after = (await mesosFrameworks(mesos)).find((f) => f.id === before[0]!.id)!;
      console.log(`kill → framework ${after.id} active again from ${standby.role}: ${registeredMs.toFixed(0)} ms`);
      expect(after.reregisteredTime).toBeDefined();
      expect(registeredMs).toBeLessThanOrEqual(window.maxMs);
      expect(t0Epoch + registeredMs).toBeGreaterThanOrEqual(schedulerExpiry);
    }
  });
});

describe("launch abort", () => {
  it("an abort in the middle of the launch removes everything it started and rejects with the reason", async () => {
    const ac = new AbortController();
    const reason = new Error("stop the launch");
    const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}-ab0e`;
    let sawNetwork = false;
    const launching = launchTopology(spec, {
      runId,
      signal: ac.signal,
      onProgress: (line) => {
        // Abort once containers exist: right after etcd answered.
        if (line.startsWith("network ")) sawNetwork = true;
        if (line === "etcd healthy") ac.abort(reason);
      },
    });
    await expect(launching).rejects.toBe(reason);
    expect(sawNetwork).toBe(true);
    const docker = await getDocker();
    const label = [`${LABELS.runId}=${runId}`];
    expect(await docker.listContainers({ all: true, filters: { label } })).toEqual([]);
    expect(await docker.listNetworks({ filters: { label } })).toEqual([]);
  });
});
