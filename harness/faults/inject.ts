/**
 * Fault injection. `inject(spec, cluster, leader)` resolves the target (harness/faults/targets.ts),
 * fires the fault at once through the cluster port, and returns an `ActiveFault` whose `heal()` is
 * idempotent. A fault with a duration (pause, partition) reports it in `durationMs`; the runner
 * calls `heal()` when that time is up, and again in its teardown, so neither Ctrl-C nor an error
 * leaves a paused container or an iptables rule behind.
 */
import { HarnessError } from "../errors.js";
import type { Cluster } from "../topology/cluster.js";
import { resolveTarget, type LeaderView, type ResolvedTarget } from "./targets.js";
import type { FaultSpec } from "./types.js";

export interface ActiveFault {
  readonly name: string;
  readonly targets: readonly ResolvedTarget[];
  /** When the fault is due to heal (ms after injection), if it has a duration. */
  readonly durationMs?: number;
  readonly detail: Record<string, unknown>;
  heal(): Promise<void>;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

/** How long a duration-bound fault lasts, ms: `durationMs`, else `durationTtl` (default 2) × podmaster ttl-secs. */
export function faultDurationMs(spec: FaultSpec, ttlSecs: number): number {
  if (spec.kind !== "pause" && spec.kind !== "partition-etcd") return 0;
  return spec.durationMs ?? Math.round((spec.durationTtl ?? 2) * ttlSecs * 1000);
}

/** iptables rules that drop the node's traffic to and from every etcd member (both directions). */
export function partitionRules(etcdIps: readonly string[]): string[][] {
  return etcdIps.flatMap((ip) => [
    ["OUTPUT", "-d", ip, "-j", "DROP"],
    ["INPUT", "-s", ip, "-j", "DROP"],
  ]);
}

export async function inject(spec: FaultSpec, cluster: Cluster, leader: LeaderView, signal?: AbortSignal): Promise<ActiveFault> {
  const name = spec.kind;
  if (spec.kind === "none") return { name, targets: [], detail: {}, heal: async () => {} };
  const t = await resolveTarget(spec.target, cluster, leader, signal);
  switch (spec.kind) {
    case "kill-container":
      await cluster.kill(t.node, "SIGKILL");
      return { name, targets: [t], detail: { signal: "SIGKILL" }, heal: async () => {} };

    case "signal-process": {
      // No match is data (the process was already gone), recorded in the detail.
      const { matched } = await cluster.signalProcess(t.node, spec.process, spec.signal);
      return { name, targets: [t], detail: { signal: spec.signal, process: spec.process, matched }, heal: async () => {} };
    }

    case "pause": {
      const durationMs = faultDurationMs(spec, cluster.spec.podmaster.ttlSecs);
      await cluster.pause(t.node);
      return { name, targets: [t], durationMs, detail: { durationMs }, heal: once(() => cluster.unpause(t.node)) };
    }

    case "partition-etcd": {
      const durationMs = faultDurationMs(spec, cluster.spec.podmaster.ttlSecs);
      const rules = partitionRules(cluster.etcdMembers.map((m) => m.ip));
      const applied: string[][] = [];
      const heal = once(async () => {
        const failed: string[] = [];
        for (const r of applied.reverse()) {
          const res = await cluster.exec(t.node, ["iptables", "-D", ...r]);
          if (res.exitCode !== 0) failed.push(`iptables -D ${r.join(" ")}: ${res.stderr.trim() || `exit ${res.exitCode}`}`);
        }
        // A rule left in place would keep the node cut off into the next trial while the history says healed.
        if (failed.length) throw new HarnessError("E_INTERNAL", `could not heal the etcd partition of ${t.container}: ${failed.join("; ")}`, "the container keeps the rules until it is removed: npm run reap");
      });
      try {
        for (const r of rules) {
          const res = await cluster.exec(t.node, ["iptables", "-A", ...r]);
          if (res.exitCode !== 0) throw new HarnessError("E_INTERNAL", `iptables -A ${r.join(" ")} in ${t.container}: ${res.stderr.trim()}`, "the node container needs CAP_NET_ADMIN");
          applied.push(r);
        }
      } catch (err) {
        await heal();
        throw err;
      }
      return { name, targets: [t], durationMs, detail: { durationMs, rules: rules.map((r) => r.join(" ")) }, heal };
    }
  }
}
