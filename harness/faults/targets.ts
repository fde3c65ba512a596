/**
 * Fault target resolution: a scenario names a role (`scheduler-leader`, `scheduler-standby`,
 * `etcd-leader`); the node is chosen when the fault fires, from what the outside probes see at that
 * moment, and the way it was chosen is recorded with the fault.
 *
 * - `scheduler-leader`: the master node of the active framework's pid in Mesos `state.json`; when no
 *   framework is active (e.g. between a failover's disconnect and re-registration), the podmaster
 *   `/scheduler` key holder. The first source that answers wins; they are not compared.
 * - `scheduler-standby`: the first master node that is not that leader.
 * - `etcd-leader`: the member whose `/v2/stats/self` says `StateLeader`, asked over its client URL.
 */
import { HarnessError } from "../errors.js";
import { httpGet } from "../probes/probe.js";
import type { Cluster } from "../topology/cluster.js";
import type { FaultTarget } from "./types.js";

export interface ResolvedTarget {
  /** Topology node name, e.g. `master-1`, `etcd-2`. */
  node: string;
  /** Container name in the engine. */
  container: string;
  /** How the target was resolved (recorded in the history and result.json). */
  how: string;
}

/** Who leads, as the probes see it now (the runner's live state implements it). */
export interface LeaderView {
  leaderNode(): { node: string; how: string } | undefined;
}

export async function resolveTarget(target: FaultTarget, cluster: Cluster, leader: LeaderView, signal?: AbortSignal): Promise<ResolvedTarget> {
  if (target === "etcd-leader") return etcdLeader(cluster, signal);
  const lead = leader.leaderNode();
  if (!lead) throw new HarnessError("E_TOPOLOGY_UNHEALTHY", "cannot tell the scheduler leader: no active framework pid and no /scheduler key holder seen", "the cluster lost its leader before the fault; see the run's history and logs");
  const pick = target === "scheduler-leader" ? cluster.masters.find((m) => m.name === lead.node) : cluster.masters.find((m) => m.name !== lead.node);
  if (!pick) throw new HarnessError("E_TOPOLOGY_UNHEALTHY", `no master node for target ${target} (leader: ${lead.node})`);
  return { node: pick.name, container: pick.container, how: target === "scheduler-leader" ? lead.how : `not the leader (${lead.node}: ${lead.how})` };
}

async function etcdLeader(cluster: Cluster, signal?: AbortSignal): Promise<ResolvedTarget> {
  const answers = await Promise.all(
    cluster.etcdMembers.map(async (m, i) => {
      const url = cluster.endpoints.etcd[i];
      if (!url) return false;
      const res = await httpGet(`${url}/v2/stats/self`, 2_000, signal).catch(() => undefined);
      return res?.status === 200 && /"state"\s*:\s*"StateLeader"/.test(res.body);
    }),
  );
  const i = answers.indexOf(true);
  const m = cluster.etcdMembers[i];
  if (!m) throw new HarnessError("E_TOPOLOGY_UNHEALTHY", "no etcd member reports itself leader (/v2/stats/self)", "etcd may be mid-election; see the etcd logs of the run");
  return { node: m.name, container: m.container, how: `etcd ${cluster.endpoints.etcd[i]}/v2/stats/self state=StateLeader` };
}
