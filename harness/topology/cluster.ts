/**
 * The one port through which the run engine acts on a running cluster. `launchTopology` returns a
 * `StartedTopology`, which implements it for the emulated topology in Docker; a topology of real
 * k8sm images (or a test's fake) implements the same interface. Faults, the runner's converge and
 * its probes see nothing else of the cluster.
 *
 * Nodes are named by their role (`master-1`, `etcd-0`); `container` is the engine's name for them.
 */
import type { ExecResult } from "../docker/containers.js";
import type { TopologySpec } from "./spec.js";

export interface ClusterNode {
  /** Role: `master-1`, `etcd-0`, ... */
  readonly name: string;
  /** Address on the run network, reachable from the harness. */
  readonly ip: string;
  /** Container name in the engine (`k8sm-<run id>-<role>`). */
  readonly container: string;
}

/** The processes a fault may signal inside a master node (the kubelet runs the static pods). */
export type NodeProcess = "scheduler" | "apiserver" | "podmaster";

export interface Cluster {
  readonly runId: string;
  readonly spec: TopologySpec;
  readonly endpoints: {
    /** etcd v2 client URLs, one per member, in `etcdMembers` order. */
    readonly etcd: readonly string[];
    /** nginx in front of the apiservers. */
    readonly apiserver: string;
    /** The Mesos master, when the Mesos side runs. */
    readonly mesosMaster: string | undefined;
  };
  readonly masters: readonly ClusterNode[];
  readonly etcdMembers: readonly ClusterNode[];
  /** Docker label filter (`key=value`) that matches this cluster's containers and nothing else. */
  readonly labelFilter: string;
  /** Role → image reference each container actually runs. */
  readonly images: Readonly<Record<string, string>>;
  /**
   * Aborts, with a HarnessError as reason, when the harness's side of the cluster broke while it
   * runs (a container log that cannot be written: a full disk); the run then ends. Absent: never.
   */
  readonly failed?: AbortSignal;
  /** `docker kill --signal` the whole node. */
  kill(node: string, signal?: NodeJS.Signals): Promise<void>;
  pause(node: string): Promise<void>;
  unpause(node: string): Promise<void>;
  /** Starts a node that was killed again (as a reboot: its disk, so its manifests, are kept). */
  start(node: string): Promise<void>;
  exec(node: string, cmd: readonly string[]): Promise<ExecResult>;
  /**
   * Sends `signal` to one process inside a node. `matched: false` when no such process ran (data,
   * not an error: it may have died already).
   */
  signalProcess(node: string, process: NodeProcess, signal: NodeJS.Signals): Promise<{ matched: boolean }>;
}
