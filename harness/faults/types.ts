/**
 * Faults are data in a scenario (`FaultSpec`) and code in harness/faults/inject.ts. Every target
 * is a role resolved when the fault fires, from what the probes see at that moment, and recorded
 * (harness/faults/targets.ts says how each role is resolved).
 */
export type FaultTarget = "scheduler-leader" | "scheduler-standby" | "etcd-leader";

export type FaultSpec =
  /** No fault: the control run. */
  | { readonly kind: "none" }
  /** SIGKILL a whole container (a master node: podmaster, kubelet, scheduler die together). */
  | { readonly kind: "kill-container"; readonly target: FaultTarget }
  /** Signal one process inside a node, matched by its command line (e.g. `km scheduler`). */
  | { readonly kind: "signal-process"; readonly target: FaultTarget; readonly process: "scheduler" | "apiserver" | "podmaster"; readonly signal: "SIGKILL" | "SIGTERM" | "SIGUSR1" }
  /** docker pause the node for `durationTtl` × podmaster ttl-secs (or `durationMs`), then unpause. */
  | { readonly kind: "pause"; readonly target: FaultTarget; readonly durationTtl?: number; readonly durationMs?: number }
  /** Drop the node's traffic to every etcd member (iptables in its netns), for the duration; Mesos stays reachable. */
  | { readonly kind: "partition-etcd"; readonly target: FaultTarget; readonly durationTtl?: number; readonly durationMs?: number };

export function describeFault(f: FaultSpec): string {
  switch (f.kind) {
    case "none": return "no fault";
    case "kill-container": return `SIGKILL the ${f.target} container`;
    case "signal-process": return `${f.signal} to ${f.process} on the ${f.target}`;
    case "pause": return `docker pause the ${f.target} for ${f.durationMs ? `${f.durationMs} ms` : `${f.durationTtl ?? 2} × ttl`}`;
    case "partition-etcd": return `cut the ${f.target} from etcd for ${f.durationMs ? `${f.durationMs} ms` : `${f.durationTtl ?? 2} × ttl`}`;
  }
}
