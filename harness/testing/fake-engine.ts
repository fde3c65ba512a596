/**
 * Test support: a run engine with no Docker, for the runner's unit tests. Its cluster is a small
 * state machine on a virtual clock that behaves like the cold-standby topology as the probes see it:
 * killing (or pausing) the leading master makes the other one lead after `failoverMs`, with a new
 * scheduler pid for the same framework; a restarted master runs a stale scheduler for `staleMs`.
 * Its one probe reports that state (framework, leader key, scheduler health, pods, API) every tick.
 */
import { ChangeFilter, type Probe, type Sink } from "../probes/probe.js";
import type { ExecResult } from "../docker/containers.js";
import type { OwnedCluster, RunEngine, Workload } from "../runner/engine.js";
import type { Cluster, NodeProcess } from "../topology/cluster.js";
import { FAST_SPEC, type TopologySpec } from "../topology/spec.js";
import type { VirtualClock } from "./virtual-clock.js";
import { DockerUnavailableError } from "../errors.js";

export interface FakeBehaviour {
  /** Fault → new scheduler active, ms; null: never (a fault the cluster does not recover from). @default 3_000 */
  failoverMs?: number | null;
  /** How long a restarted master's stale scheduler answers /healthz, ms. @default 1_500 */
  staleMs?: number;
  /** Exit code of `exec` (e.g. iptables) by command. @default 0 */
  execExit?: (cmd: readonly string[]) => number;
  /** Workload pods reach Running this long after creation, ms. @default 200 */
  podStartMs?: number;
  /** How long `unpause` and `exec` take, ms (an engine call is not instantaneous). @default 100 */
  callMs?: number;
  /** How long `kill` and `pause` take to return, the fault in force from their start (a slow engine), ms. @default 0 */
  faultCallMs?: number;
  /**
   * The probe also wakes at each change of the cluster's state (a failover completing, a pod
   * starting, a stale scheduler ending), so what it reports carries no polling quantization and a
   * trial's durations depend on that trial's inputs only. Without it they also depend on where the
   * probe's ticks fall, which on the virtual clock shifts with real I/O between trials (a study's
   * fsync), so two runs of the same batch can differ by up to a tick. @default false
   */
  exactProbe?: boolean;
}

interface Master {
  name: string;
  ip: string;
  up: boolean;
  paused: boolean;
  /** While the node runs a stale scheduler: until when. */
  staleUntil?: number;
}

export class FakeCluster implements OwnedCluster {
  readonly runId: string;
  readonly spec: TopologySpec;
  readonly calls: string[] = [];
  readonly endpoints = { etcd: ["http://10.9.0.2:4001"], apiserver: "http://10.9.0.3:80", mesosMaster: "http://10.9.0.4:5050" };
  readonly etcdMembers = [{ name: "etcd-0", ip: "10.9.0.2", container: "k8sm-fake-etcd-0" }];
  readonly labelFilter = "k8sm-chaos.run-id=fake";
  readonly images = { "master-1": "fake:1", "master-2": "fake:1" };
  readonly #m: Master[] = [
    { name: "master-1", ip: "10.9.0.11", up: true, paused: false },
    { name: "master-2", ip: "10.9.0.12", up: true, paused: false },
  ];
  leader = "master-1";
  pid = 1;
  /** When the pending failover completes (virtual ms), if one is pending. */
  failoverAt: number | undefined;
  /** Workload pods: created at (virtual ms), and whether a scheduler has started them (they keep running through a failover). */
  readonly pods = new Map<string, { createdAt: number; running: boolean }>();
  disposed = false;

  constructor(
    readonly clock: VirtualClock,
    readonly behaviour: FakeBehaviour = {},
    runId = "fake",
    spec: TopologySpec = FAST_SPEC,
  ) {
    this.runId = runId;
    this.spec = spec;
  }

  get masters(): Cluster["masters"] {
    return this.#m.map((m) => ({ name: m.name, ip: m.ip, container: `k8sm-fake-${m.name}` }));
  }

  #node(name: string): Master {
    const m = this.#m.find((x) => x.name === name);
    if (!m) throw new Error(`fake cluster: no node ${name}`);
    return m;
  }

  /** The leader's scheduler is gone: the other master takes over after `failoverMs` (never when null). */
  #loseLeader(): void {
    const ms = this.behaviour.failoverMs === undefined ? 3_000 : this.behaviour.failoverMs;
    this.failoverAt = ms === null ? Infinity : this.clock.now() + ms;
  }

  /** Advances the state machine to the clock's now. */
  tick(): void {
    if (this.failoverAt !== undefined && this.clock.now() >= this.failoverAt) {
      this.failoverAt = undefined;
      const next = this.#m.find((m) => m.name !== this.leader && m.up && !m.paused) ?? this.#node(this.leader);
      this.leader = next.name;
      this.pid++;
    }
  }

  /** The next moment the state changes by itself (virtual ms), if one is pending. */
  nextChangeAt(): number | undefined {
    const now = this.clock.now();
    const podStart = this.behaviour.podStartMs ?? 200;
    const times = [
      this.failoverAt,
      ...this.#m.map((m) => m.staleUntil),
      ...[...this.pods.values()].filter((p) => !p.running).map((p) => p.createdAt + podStart),
    ].filter((t): t is number => t !== undefined && Number.isFinite(t) && t > now);
    return times.length ? Math.min(...times) : undefined;
  }

  frameworkActive(): boolean {
    this.tick();
    return this.failoverAt === undefined;
  }

  schedulerUp(name: string): boolean {
    const m = this.#node(name);
    if (!m.up || m.paused) return false;
    if (m.staleUntil !== undefined && this.clock.now() < m.staleUntil) return true;
    return name === this.leader && this.frameworkActive();
  }

  /** A master's apiserver answers while its node runs and is not paused. */
  apiserverUp(name: string): boolean {
    const m = this.#node(name);
    return m.up && !m.paused;
  }

  async kill(node: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    this.calls.push(`kill ${node} ${signal}`);
    this.#node(node).up = false;
    if (node === this.leader) this.#loseLeader();
    if (this.behaviour.faultCallMs) await this.clock.sleep(this.behaviour.faultCallMs);
  }

  async pause(node: string): Promise<void> {
    this.calls.push(`pause ${node}`);
    this.#node(node).paused = true;
    if (node === this.leader) this.#loseLeader();
    if (this.behaviour.faultCallMs) await this.clock.sleep(this.behaviour.faultCallMs);
  }

  async unpause(node: string): Promise<void> {
    this.calls.push(`unpause ${node}`);
    await this.clock.sleep(this.behaviour.callMs ?? 100);
    this.#node(node).paused = false;
  }

  async start(node: string): Promise<void> {
    this.calls.push(`start ${node}`);
    const m = this.#node(node);
    m.up = true;
    m.staleUntil = this.clock.now() + (this.behaviour.staleMs ?? 1_500);
  }

  async exec(node: string, cmd: readonly string[]): Promise<ExecResult> {
    this.calls.push(`exec ${node} ${cmd.join(" ")}`);
    await this.clock.sleep(this.behaviour.callMs ?? 100);
    const exitCode = this.behaviour.execExit?.(cmd) ?? 0;
    return { exitCode, stdout: "", stderr: exitCode ? "refused" : "" };
  }

  async signalProcess(node: string, process: NodeProcess, signal: NodeJS.Signals): Promise<{ matched: boolean }> {
    this.calls.push(`signal ${node} ${process} ${signal}`);
    if (process === "scheduler" && node === this.leader) this.#loseLeader();
    return { matched: this.#node(node).up };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.calls.push("dispose");
    this.disposed = true;
  }
}

/** A probe that reports the fake cluster's state every `intervalMs` of virtual time, on change. */
export function fakeProbe(cluster: FakeCluster, intervalMs: number): Probe {
  const filter = new ChangeFilter();
  const emit = (sink: Sink): void => {
    const c = cluster;
    const fw = { kind: "framework", id: "fw-1", name: "Kubernetes", active: c.frameworkActive(), pid: `scheduler(1)@${c.masters.find((m) => m.name === c.leader)!.ip}:${c.pid}`, node: c.leader } as const;
    if (filter.changed("fw", fw)) sink(fw);
    const key = { kind: "etcd-key", key: "/scheduler", value: c.masters.find((m) => m.name === c.leader)!.ip, node: c.leader } as const;
    if (filter.changed("key", key)) sink(key);
    for (const m of c.masters) {
      const h = { kind: "scheduler-health", node: m.name, up: c.schedulerUp(m.name) } as const;
      if (filter.changed(`h:${m.name}`, h)) sink(h);
      const a = { kind: "apiserver-health", node: m.name, up: c.apiserverUp(m.name) } as const;
      if (filter.changed(`a:${m.name}`, a)) sink(a);
      // Its /metrics: no incompatible offer is ever declined (a count the measures can use).
      const met = { kind: "scheduler-metrics", node: m.name, declinedCompat: 0 } as const;
      if (h.up && filter.changed(`m:${m.name}`, met)) sink(met);
    }
    for (const [name, pod] of c.pods) {
      pod.running ||= c.frameworkActive() && c.clock.now() >= pod.createdAt + (c.behaviour.podStartMs ?? 200);
      const p = { kind: "pod", namespace: "default", name, uid: `uid-${name}`, phase: pod.running ? "Running" : "Pending" } as const;
      if (filter.changed(`pod:${name}`, p)) sink(p);
    }
    sink({ kind: "api-request", ok: true, status: 200, latencyMs: 1, op: "GET /api/v1/pods" });
  };
  return {
    name: "fake",
    resync: () => filter.clear(),
    async run(sink, signal) {
      while (!signal.aborted) {
        emit(sink);
        const change = cluster.behaviour.exactProbe ? cluster.nextChangeAt() : undefined;
        const wait = change === undefined ? intervalMs : Math.min(intervalMs, change - cluster.clock.now());
        await cluster.clock.sleep(wait, signal).catch(() => {});
      }
    },
  };
}

export interface FakeEngineOptions extends FakeBehaviour {
  /** Extra probes (e.g. one that throws). */
  extraProbes?: (cluster: FakeCluster) => Probe[];
  /** Make launch fail with this error. */
  launchError?: Error;
}

/** A run engine whose clusters are `FakeCluster`s on `clock`. `clusters` lists what it launched. */
export function fakeEngine(clock: VirtualClock, opts: FakeEngineOptions = {}): RunEngine & { clusters: FakeCluster[] } {
  const clusters: FakeCluster[] = [];
  return {
    endpoint: "fake://",
    clusters,
    reap: async () => 0,
    launch: async (spec, req) => {
      req.signal.throwIfAborted();
      if (opts.launchError) throw opts.launchError;
      const c = new FakeCluster(clock, opts, req.runId, spec);
      clusters.push(c);
      return c;
    },
    probes: (cluster, intervalMs) => [fakeProbe(cluster as FakeCluster, intervalMs), ...(opts.extraProbes?.(cluster as FakeCluster) ?? [])],
    workload: (cluster, record): Workload => ({
      createPod: async (name) => {
        record({ kind: "workload", action: "create-pod", namespace: "default", name });
        const c = cluster as FakeCluster;
        if (!c.pods.has(name)) c.pods.set(name, { createdAt: clock.now(), running: false });
        return true;
      },
      deletePod: async (name) => {
        record({ kind: "workload", action: "delete-pod", namespace: "default", name });
        (cluster as FakeCluster).pods.delete(name);
      },
    }),
    version: async () => null,
  };
}

/**
 * A fake engine that dies when its `diesAtKill`-th fault fires (counted over its runs), as an
 * engine whose host dies mid-run: that kill and every later call fail with E_DOCKER_UNAVAILABLE,
 * and its `ping` stops answering (for `EngineSet.ofRunEngines`). `behaviour(n)`: the n-th launch's
 * cluster. `runs`: the run ids it launched.
 */
export function mortalFakeEngine(clock: VirtualClock, diesAtKill: number, behaviour: (n: number) => FakeBehaviour = () => ({})): { engine: RunEngine; ping: () => Promise<void>; runs: string[] } {
  const base = fakeEngine(clock);
  const runs: string[] = [];
  let kills = 0;
  let dead = false;
  const gone = (): DockerUnavailableError => new DockerUnavailableError("the engine's socket closed");
  const engine: RunEngine = {
    ...base,
    launch: async (spec, req) => {
      if (dead) throw gone();
      const c = new FakeCluster(clock, { failoverMs: 3_000, ...behaviour(runs.length) }, req.runId, spec);
      runs.push(req.runId);
      const kill = c.kill.bind(c);
      c.kill = async (node, signal) => {
        if (++kills >= diesAtKill) dead = true;
        if (dead) throw gone();
        return kill(node, signal);
      };
      return c;
    },
  };
  return { engine, runs, ping: async () => { if (dead) throw gone(); } };
}
