/**
 * Polls the Mesos master's `/master/state.json` and `/metrics/snapshot` (0.24 field and key
 * names), as an operator's dashboard would. Emits a `framework` entry whenever the k8sm
 * framework's id, activity, pid or (re)registration times change, and `mesos-metrics` when one of
 * the selected counters or gauges changes. A failed poll records nothing: the framework lane
 * simply keeps its last known state (the api/health probes record unavailability).
 */
import type { FrameworkExecutor } from "../history/types.js";
import { ChangeFilter, everyInterval, httpGet, nodeOfIp, type Probe, type ProbeTargets, type Sink } from "./probe.js";

export const MESOS_METRIC_KEYS = [
  "master/frameworks_active",
  "master/frameworks_inactive",
  "master/tasks_running",
  "master/tasks_lost",
  "master/tasks_killed",
  "master/tasks_error",
  "master/messages_decline_offers",
  "master/messages_register_framework",
  "master/messages_reregister_framework",
  "master/messages_reconcile_tasks",
  "master/outstanding_offers",
] as const;

interface StateFramework {
  id: string;
  name: string;
  active: boolean;
  pid?: string;
  registered_time?: number;
  reregistered_time?: number;
  executors?: { executor_id: string; slave_id: string; command?: { uris?: { value: string }[] } }[];
}

/** `scheduler(1)@172.28.0.11:41234` → `172.28.0.11`. */
export function ipOfPid(pid: string | undefined): string | undefined {
  return pid?.match(/@([^:]+):\d+$/)?.[1];
}

/** An executor of `state.json`, with the node its first artifact URI's host belongs to (see FrameworkEntry). */
function executorOf(targets: ProbeTargets, e: NonNullable<StateFramework["executors"]>[number]): FrameworkExecutor {
  const uri = e.command?.uris?.[0]?.value;
  let host: string | undefined;
  try {
    host = uri ? new URL(uri).hostname : undefined;
  } catch {
    host = undefined;
  }
  const artifactNode = nodeOfIp(targets, host);
  return { id: e.executor_id, agent: e.slave_id, ...(artifactNode ? { artifactNode } : {}) };
}

export function mesosProbe(targets: ProbeTargets, opts: { metricsEveryMs?: number } = {}): Probe {
  const filter = new ChangeFilter();
  return {
    name: "mesos",
    resync: () => filter.clear(),
    async run(sink: Sink, signal: AbortSignal) {
      const metricsEvery = Math.max(1, Math.round((opts.metricsEveryMs ?? 500) / targets.intervalMs));
      let tick = 0;
      await everyInterval(targets.intervalMs, signal, async () => {
        const state = JSON.parse((await httpGet(`${targets.mesosUrl}/master/state.json`, 1_000, signal)).body) as { frameworks?: StateFramework[] };
        for (const f of state.frameworks ?? []) {
          if (f.name !== targets.frameworkName) continue;
          const payload = {
            kind: "framework" as const,
            id: f.id,
            name: f.name,
            active: f.active,
            pid: f.pid ?? "",
            registeredTime: f.registered_time,
            reregisteredTime: f.reregistered_time,
            node: nodeOfIp(targets, ipOfPid(f.pid)),
            ...(f.executors?.length ? { executors: f.executors.map((e) => executorOf(targets, e)) } : {}),
          };
          if (filter.changed(`fw:${f.id}`, payload)) sink(payload);
        }
        if (tick++ % metricsEvery === 0) {
          const snap = JSON.parse((await httpGet(`${targets.mesosUrl}/metrics/snapshot`, 1_000, signal)).body) as Record<string, number>;
          const values = Object.fromEntries(MESOS_METRIC_KEYS.filter((k) => typeof snap[k] === "number").map((k) => [k, snap[k]!]));
          if (filter.changed("metrics", values)) sink({ kind: "mesos-metrics", values });
        }
      });
    },
  };
}
