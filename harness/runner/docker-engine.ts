/** The run engine of one Docker engine (DOCKER_HOST or the local socket): the emulated topology, its probes, its workload. */
import type Docker from "dockerode";
import { dockerCall, dockerEndpoint, getDocker } from "../docker/client.js";
import { reap } from "../docker/reaper.js";
import { FRAMEWORK_NAME, WATCHED_KEYS } from "../history/types.js";
import { apiserverProbe, dockerEventsProbe, etcdKeysProbe, logsProbe, mesosProbe, podsProbe, schedulerProbe, type Probe, type ProbeTargets } from "../probes/index.js";
import { launchTopology } from "../topology/launch.js";
import type { Cluster } from "../topology/cluster.js";
import { createWorkloadPod, deleteWorkloadPod } from "../workload/pods.js";
import type { RunEngine } from "./engine.js";

export async function dockerEngine(docker?: Docker): Promise<RunEngine> {
  const d = docker ?? (await getDocker());
  return {
    endpoint: dockerEndpoint(),
    reap: async () => (await reap({ docker: d })).removed.length,
    launch: (spec, req) => launchTopology(spec, { docker: d, runId: req.runId, signal: req.signal, logDir: req.logDir, keep: req.keep, onProgress: req.progress, requireMesos: true }),
    probes: (cluster, intervalMs) => dockerProbes(d, cluster, intervalMs),
    workload: (cluster, record) => ({
      createPod: (name, opts) => createWorkloadPod(cluster.endpoints.apiserver, name, record, opts),
      deletePod: (name, signal) => deleteWorkloadPod(cluster.endpoints.apiserver, name, record, signal),
    }),
    version: async () => {
      const v = await dockerCall(d, "read", "read", "the version", () => d.version()).catch(() => null);
      return v ? { version: v.Version, apiVersion: v.ApiVersion } : null;
    },
  };
}

function dockerProbes(docker: Docker, cluster: Cluster, intervalMs: number): Probe[] {
  if (!cluster.endpoints.mesosMaster) throw new Error("the cluster has no Mesos master (launch with requireMesos)");
  const targets: ProbeTargets = {
    etcdUrls: cluster.endpoints.etcd,
    apiUrl: cluster.endpoints.apiserver,
    mesosUrl: cluster.endpoints.mesosMaster,
    masters: cluster.masters,
    frameworkName: FRAMEWORK_NAME,
    intervalMs,
  };
  return [
    etcdKeysProbe(targets, [WATCHED_KEYS.scheduler, WATCHED_KEYS.controller, WATCHED_KEYS.haLeader(FRAMEWORK_NAME), WATCHED_KEYS.frameworkId]),
    mesosProbe(targets),
    schedulerProbe(targets),
    apiserverProbe(targets),
    podsProbe(targets),
    logsProbe(docker, targets),
    dockerEventsProbe(docker, cluster.labelFilter),
  ];
}
