/**
 * Where a run executes. `executeRun` asks its engine for a cluster, the probes that watch it and
 * the workload it writes; it never touches Docker itself. `dockerEngine()` (harness/runner/
 * docker-engine.ts) is the local or `DOCKER_HOST` engine; the runner's unit tests pass a fake one;
 * more engines (remote hosts) implement the same interface.
 */
import type { EntryPayload } from "../history/types.js";
import type { Probe } from "../probes/probe.js";
import type { Cluster } from "../topology/cluster.js";
import type { TopologySpec } from "../topology/spec.js";

/** A launched cluster that the run owns: disposing it removes everything it started. */
export type OwnedCluster = Cluster & AsyncDisposable;

export interface LaunchRequest {
  readonly runId: string;
  readonly signal: AbortSignal;
  /** Container logs are appended to `<logDir>/<container>.log`. */
  readonly logDir: string;
  /** Label the topology so that no reaper removes it; disposing it still removes it. */
  readonly keep: boolean;
  readonly progress: (line: string) => void;
}

/** The harness's own writes to the cluster, made as any user would (the apiserver through nginx). */
export interface Workload {
  /** Creates a pod, retrying through an outage until `deadlineMs`; false when it could not. */
  createPod(name: string, opts: { signal: AbortSignal; deadlineMs?: number }): Promise<boolean>;
  deletePod(name: string, signal: AbortSignal): Promise<void>;
}

export interface RunEngine {
  /** Where runs go, for the report and messages (e.g. `unix:///var/run/docker.sock`). */
  readonly endpoint: string;
  /** Removes what runs whose process is gone left behind; returns how many resources. */
  reap(): Promise<number>;
  /**
   * Launches the topology, healthy when it resolves, and rejects before any container starts when
   * the images cannot carry a scenario. On failure or abort, whatever started is removed.
   */
  launch(spec: TopologySpec, req: LaunchRequest): Promise<OwnedCluster>;
  /** The outside observers of a cluster, polling every `intervalMs`. */
  probes(cluster: Cluster, intervalMs: number): Probe[];
  /** `record` receives the workload's writes, so measures can tell them from losses. */
  workload(cluster: Cluster, record: (p: EntryPayload) => void): Workload;
  /** The engine's version, for result.json; null when it cannot be asked. */
  version(): Promise<{ version: string; apiVersion: string } | null>;
}
