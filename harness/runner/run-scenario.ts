/**
 * The phase runner: one topology, N trials, reports always written.
 *
 *   launch → per trial: steady (healthy baseline + workload) → random phase offset → inject →
 *   observe (until recovered or the model's budget runs out; duration faults heal on time) →
 *   heal → converge (restart what the fault killed) → evaluate → next trial
 *
 * Everything the probes see goes into the trial's append-only history; measures and checks are
 * pure functions of it (harness/measures, harness/checks). A failure of the system under test is
 * data; an exception here means the harness broke (status `failed`, exit 2) or was interrupted
 * (status `interrupted`, exit 130). In every case the reports are written, and the topology is
 * removed unless `keep`.
 */
import { sleep } from "../async/sleep.js";
import { evaluateTrial, type TrialEvaluation } from "../checks/checks.js";
import { HarnessError, InterruptedError } from "../errors.js";
import { inject, type ActiveFault, type FaultRuntime, type ResolvedTarget } from "../faults/inject.js";
import { describeFault } from "../faults/types.js";
import { History } from "../history/history.js";
import { WATCHED_KEYS, type EntryPayload } from "../history/types.js";
import type { ModelWindow } from "../timing-oracle/windows.js";
import {
  dockerEventsProbe,
  etcdKeysProbe,
  logsProbe,
  mesosProbe,
  podsProbe,
  schedulerProbe,
  type Probe,
  type ProbeTargets,
} from "../probes/index.js";
import { buildRunResult, type RunResult, type TrialResult } from "../reporting/result.js";
import type { TopologySpec } from "../topology/spec.js";
import { createWorkloadPod, deleteWorkloadPod } from "../workload/pods.js";
import { LiveState } from "./live-state.js";
import { PROBE_INTERVAL_MS, checksFor, modelFor, observeBudgetMs, renewalPeriodMs, seededRandom } from "./plan.js";
import type { ScenarioDefinition } from "./types.js";
import type Docker from "dockerode";

/** What the runner needs from a running topology (adapted from harness/topology's StartedTopology). */
export interface ScenarioTopology {
  readonly spec: TopologySpec;
  readonly targets: Omit<ProbeTargets, "intervalMs" | "frameworkName">;
  /** etcd members: node name, IP, container. */
  readonly etcd: readonly { name: string; ip: string; container: string }[];
  /** Docker label filter matching this run's containers (`key=value`). */
  readonly labelFilter: string;
  kill(container: string, signal: string): Promise<void>;
  pause(container: string): Promise<void>;
  unpause(container: string): Promise<void>;
  /** Start a stopped (killed) container again. */
  start(container: string): Promise<void>;
  exec(container: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface RunOptions {
  scenario: ScenarioDefinition;
  spec: TopologySpec;
  runId: string;
  /** Extra data for result.json (profile, seed, --set, ...). */
  options: Record<string, unknown>;
  repeat: number;
  seed: number;
  docker: Docker;
  signal: AbortSignal;
  launch: (spec: TopologySpec, signal: AbortSignal) => Promise<ScenarioTopology>;
  /** Called with the topology as soon as it is up (so a caller can tear it down on Ctrl-C). */
  onTopology?: (t: ScenarioTopology) => void;
  progress: (line: string) => void;
  /** Probe poll interval, ms (issue 5: at most 100). @default PROBE_INTERVAL_MS (50) */
  intervalMs?: number;
  /** Workload pods that must stay Running across the fault. */
  steadyPods?: number;
  /**
   * Timing hook (the bench, harness/bench/timing.ts): a trial's runner steps that leave no history
   * entry, on its axis (ms since its origin): the observe loop ended, converge began, the trial ended.
   */
  onTrialStep?: (trial: number, step: TrialStep, t: number) => void;
}

export type TrialStep = "observed" | "converge" | "done";

async function until(cond: () => boolean, timeoutMs: number, signal: AbortSignal, everyMs = 100): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(everyMs, signal);
  }
  return true;
}

const fmtS = (ms: number | null | undefined) => (ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);

export async function runScenario(opts: RunOptions): Promise<RunResult> {
  const { scenario: def, spec, signal, progress } = opts;
  const intervalMs = opts.intervalMs ?? PROBE_INTERVAL_MS;
  const window = modelFor(def, spec, intervalMs);
  const checks = checksFor(def, window);
  const random = seededRandom(opts.seed);
  const startedAt = new Date().toISOString();
  const trials: TrialResult[] = [];
  let status: RunResult["status"] = "completed";
  let error: RunResult["error"];

  let history: History | undefined;
  const live = new LiveState();
  /** What the current trial's history has seen (so steady state is judged on the trial's own record). */
  const seenThisTrial = new Set<string>();
  const sink = (p: EntryPayload) => {
    live.observe(p);
    if (!history) return;
    history.recordNow(p);
    seenThisTrial.add(p.kind === "etcd-key" ? `etcd-key:${p.key}` : p.kind);
  };

  const probeAbort = new AbortController();
  const probeRuns: Promise<void>[] = [];
  let topology: ScenarioTopology | undefined;
  const healers: ActiveFault[] = [];
  /** Stops the current trial's outage-pod creation (it retries through the outage) and waits for it. */
  let stopOutage = async (): Promise<void> => {};

  try {
    progress(`launching the ${spec.mode} topology (${spec.masters} masters, ${spec.agents} agents, ${spec.etcdMembers} etcd)`);
    topology = await opts.launch(spec, signal);
    opts.onTopology?.(topology);
    const targets: ProbeTargets = { ...topology.targets, frameworkName: "Kubernetes", intervalMs };
    const leaderKey = spec.mode === "hot-standby" ? WATCHED_KEYS.haLeader() : WATCHED_KEYS.scheduler;
    const probes: Probe[] = [
      etcdKeysProbe(targets, [WATCHED_KEYS.scheduler, WATCHED_KEYS.controller, WATCHED_KEYS.haLeader(), WATCHED_KEYS.frameworkId]),
      mesosProbe(targets),
      schedulerProbe(targets),
      podsProbe(targets),
      logsProbe(opts.docker, targets),
      dockerEventsProbe(opts.docker, topology.labelFilter),
    ];
    for (const p of probes) probeRuns.push(p.run(sink, probeAbort.signal).catch(() => {}));
    live.nodes = topology.targets.masters;

    const runtime = faultRuntime(topology, live, spec);
    const steadyPods = Array.from({ length: opts.steadyPods ?? 2 }, (_, i) => `steady-${i + 1}`);

    for (let k = 0; k < opts.repeat; k++) {
      history = History.start();
      seenThisTrial.clear();
      for (const p of probes) p.resync();
      const h = history;
      const tag = `trial ${k + 1}/${opts.repeat}`;

      // steady: a healthy baseline and the workload Running.
      h.recordNow({ kind: "phase", name: "steady" });
      progress(`${tag}: waiting for steady state`);
      for (const name of steadyPods) if (!live.podRunning(name)) await createWorkloadPod(topology.targets.apiUrl, name, sink, { signal });
      const steadyBudget = steadyBudgetMs(spec);
      // Steady: healthy as the probes see it now, recorded in this trial's own history, every workload
      // pod Running, and in cold standby exactly one scheduler process up (a restarted node may run a
      // stale scheduler from its old manifest until its podmaster deletes it).
      const steady = await until(
        () =>
          seenThisTrial.has(`etcd-key:${leaderKey}`) &&
          seenThisTrial.has("framework") &&
          live.healthy(leaderKey) &&
          (spec.mode === "hot-standby" || live.schedulersUp() === 1) &&
          steadyPods.every((n) => live.podRunning(n)),
        steadyBudget,
        signal,
      );
      if (!steady) {
        const why = [live.whyUnhealthy(leaderKey, steadyPods), spec.mode === "hot-standby" || live.schedulersUp() === 1 ? "" : `${live.schedulersUp()} schedulers up`].filter(Boolean).join("; ") || "not seen in this trial's history yet";
        h.recordNow({ kind: "note", text: `no steady state within ${steadyBudget} ms: ${why}; fault not injected` });
        progress(`${tag}: no healthy baseline (${why}); verdict unknown`);
        trials.push(trialResult(k, h, evaluateTrial({ originEpochMs: h.originEpochMs, entries: h.entries() }, checks, { model: window ?? undefined, logsWatched: true })));
        opts.onTrialStep?.(k, "done", h.now());
        continue;
      }

      // The fault's moment: uniformly within the renewal period, seeded.
      const offset = Math.round(random() * renewalPeriodMs(def, spec));
      await sleep(offset, signal);

      const preFaultPid = live.activePid();
      // The fault's time is the moment it is fired, not when Docker acknowledged it: what the
      // probes see of it (a node going down) may be recorded before inject() returns.
      const injectT = h.recordNow({ kind: "phase", name: "inject" });
      const fault = await inject(def.fault, runtime);
      healers.push(fault);
      h.record({
        t: injectT,
        kind: "fault",
        name: def.fault.kind,
        action: "inject",
        targets: fault.targets.map((t) => t.node),
        detail: { ...fault.detail, description: describeFault(def.fault), offsetMs: offset, resolved: fault.targets.map((t: ResolvedTarget) => ({ ...t })) },
      });
      progress(`${tag}: ${describeFault(def.fault)} → ${fault.targets.map((t) => `${t.node} (${t.how})`).join(", ") || "—"}`);

      // A pod created during the outage must run after it.
      const outagePod = `outage-${k + 1}`;
      const outageAbort = new AbortController();
      const outageCreated = createWorkloadPod(topology.targets.apiUrl, outagePod, sink, { signal: AbortSignal.any([signal, outageAbort.signal]), deadlineMs: observeBudgetMs(def, spec, window) });
      stopOutage = async () => { outageAbort.abort(); await outageCreated; };

      // observe
      h.recordNow({ kind: "phase", name: "observe" });
      const injectedAt = performance.now();
      const budget = observeBudgetMs(def, spec, window);
      const healAt = fault.durationMs;
      let healed = healAt === undefined;
      let reported = { scheduler: false };
      const recovered = () => {
        const failedOver = !def.expect.failover || (live.activePid() !== undefined && live.activePid() !== preFaultPid);
        const minObserve = performance.now() - injectedAt >= (def.expect.failover ? 0 : Math.max(10_000, spec.podmaster.ttlSecs * 2_000));
        return healed && failedOver && minObserve && [...steadyPods, outagePod].every((n) => live.podRunning(n));
      };
      while (!recovered() && performance.now() - injectedAt < budget) {
        if (!healed && performance.now() - injectedAt >= healAt!) {
          h.recordNow({ kind: "phase", name: "heal" });
          await fault.heal();
          h.recordNow({ kind: "fault", name: def.fault.kind, action: "heal", targets: fault.targets.map((t) => t.node) });
          healed = true;
          progress(`${tag}: healed after ${fmtS(healAt)}`);
        }
        if (!reported.scheduler && def.expect.failover && live.activePid() && live.activePid() !== preFaultPid) {
          reported = { scheduler: true };
          progress(`${tag}: new scheduler active on ${live.activeNode() ?? "?"} after ${fmtS(performance.now() - injectedAt)}`);
        }
        await sleep(100, signal);
      }
      opts.onTrialStep?.(k, "observed", h.now());
      if (!healed) {
        await fault.heal();
        h.recordNow({ kind: "fault", name: def.fault.kind, action: "heal", targets: fault.targets.map((t) => t.node) });
      }
      if (!recovered()) h.recordNow({ kind: "note", text: `not recovered within the observe budget of ${budget} ms` });

      await stopOutage();
      // evaluate on what was seen up to here (converge actions below are not part of the trial).
      const evaluation = evaluateTrial({ originEpochMs: h.originEpochMs, entries: h.entries() }, checks, {
        model: window ?? undefined,
        leaderKey,
        logsWatched: true,
      });
      trials.push(trialResult(k, h, evaluation));
      history = undefined; // recorded: an interruption from here on must not add this trial twice
      const m = evaluation.measures;
      progress(`${tag}: ${evaluation.verdict.toUpperCase()} — time to new scheduler ${fmtS(m.timeToNewSchedulerMs)}, pod recovery ${fmtS(m.podRecoveryMs)}, dual ${fmtS(m.dualSchedulerMs)}, declines ${m.incompatibleOfferDeclines ?? "—"}`);

      // converge: bring back what the fault killed, and drop the outage pod, before the next trial.
      opts.onTrialStep?.(k, "converge", h.recordNow({ kind: "phase", name: "converge" }));
      if (k + 1 < opts.repeat) {
        if (def.fault.kind === "kill-container") {
          for (const t of fault.targets) await topology.start(t.container).catch(() => {});
          // A restarted master still has its old scheduler manifest: its kubelet starts that scheduler
          // at once, and it runs until the node's podmaster sees another master and deletes the
          // manifest and the kubelet notices (≤ S + F + 2 s grace, §6.1). Let that settle outside
          // the next trial.
          const settleMs = spec.podmaster.sleepMs + spec.kubelet.fileCheckFrequencyMs + spec.kubelet.syncFrequencyMs + 2_000;
          progress(`${tag}: restarted ${fault.targets.map((t) => t.node).join(", ")}; settling ${fmtS(settleMs)}`);
          await sleep(settleMs, signal);
        }
        await deleteWorkloadPod(topology.targets.apiUrl, outagePod, sink, signal);
      }
      opts.onTrialStep?.(k, "done", h.now());
    }
  } catch (err) {
    if (signal.aborted || err instanceof InterruptedError) {
      status = "interrupted";
      error = { code: "E_INTERRUPTED", message: "interrupted" };
    } else {
      status = "failed";
      error = err instanceof HarnessError ? { code: err.code, message: err.message, hint: err.hint } : { code: "E_INTERNAL", message: String((err as Error)?.stack ?? err) };
    }
    // A trial cut short still goes into the report, with what was seen and each check's result on
    // it; its verdict is unknown: checks judged on a truncated observation "fail" for lack of time
    // (no new scheduler within the 50 ms observed), which is no finding about the system.
    if (history) {
      history.recordNow({ kind: "note", text: `trial cut short: ${error.message}` });
      const ev = evaluateTrial({ originEpochMs: history.originEpochMs, entries: history.entries() }, checks, { model: window ?? undefined, logsWatched: true });
      trials.push(trialResult(trials.length, history, { ...ev, verdict: "unknown" }));
    }
  } finally {
    await stopOutage().catch(() => {});
    for (const f of healers) await f.heal().catch(() => {});
    probeAbort.abort();
    // Probes end on abort; never let one that does not hold the run (and its reports) hostage.
    const ended = await Promise.race([Promise.all(probeRuns).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
    if (!ended) progress("warning: a probe did not stop within 5 s of the end of the run; continuing without it");
  }

  return buildRunResult({
    scenario: def.name,
    runId: opts.runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    ...(error ? { error } : {}),
    topology: { spec, ...opts.options },
    model: window,
    trials,
  });

  function trialResult(index: number, h: History, ev: TrialEvaluation): TrialResult {
    return { index, originEpochMs: h.originEpochMs, measures: ev.measures, checks: ev.checks, verdict: ev.verdict, history: h.entries() };
  }
}

/** Time to reach steady state: a full cold election (T + S + F) plus bootstrap and pod start, twice over. */
function steadyBudgetMs(spec: TopologySpec): number {
  const election = spec.mode === "hot-standby" ? 60_000 : spec.podmaster.ttlSecs * 1000 + spec.podmaster.sleepMs + spec.kubelet.fileCheckFrequencyMs;
  return 2 * election + 60_000;
}

function faultRuntime(topology: ScenarioTopology, live: LiveState, spec: TopologySpec): FaultRuntime {
  return {
    async resolve(target) {
      const masters = topology.targets.masters;
      if (target === "etcd-leader") {
        for (const m of topology.etcd) {
          const res = await topology.exec(m.container, ["curl", "-s", "--max-time", "2", "http://127.0.0.1:2379/v2/stats/self"]);
          if (res.exitCode === 0 && /"state"\s*:\s*"StateLeader"/.test(res.stdout)) return { node: m.name, container: m.container, how: "etcd /v2/stats/self state=StateLeader" };
        }
        throw new HarnessError("E_TOPOLOGY_UNHEALTHY", "no etcd member reports itself leader (/v2/stats/self)");
      }
      const leader = live.leaderNode();
      if (!leader) throw new HarnessError("E_TOPOLOGY_UNHEALTHY", "cannot tell the scheduler leader: no active framework pid and no leader key holder seen");
      const pick = target === "scheduler-leader" ? masters.find((m) => m.name === leader.node) : masters.find((m) => m.name !== leader.node);
      if (!pick) throw new HarnessError("E_TOPOLOGY_UNHEALTHY", `no master node for target ${target} (leader: ${leader.node})`);
      return { node: pick.name, container: pick.container, how: target === "scheduler-leader" ? leader.how : `not the leader (${leader.node})` };
    },
    kill: (c, s) => topology.kill(c, s),
    pause: (c) => topology.pause(c),
    unpause: (c) => topology.unpause(c),
    exec: (c, cmd) => topology.exec(c, cmd),
    etcdIps: () => topology.etcd.map((m) => m.ip),
    ttlSecs: () => spec.podmaster.ttlSecs,
  };
}

export type { ModelWindow };
