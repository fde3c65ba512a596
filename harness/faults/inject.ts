/**
 * Fault injection. `inject(spec, runtime)` fires the fault at once, against targets resolved at
 * that moment, and returns an `ActiveFault` whose `heal()` is idempotent. Faults that heal by
 * themselves after a duration (pause, partition) schedule their heal; the runner also heals
 * everything in its teardown, so Ctrl-C never leaves a paused container or an iptables rule behind.
 */
import { HarnessError } from "../errors.js";
import type { FaultSpec, FaultTarget } from "./types.js";

export interface ResolvedTarget {
  /** Topology node name, e.g. `master-1`, `etcd-2`. */
  node: string;
  /** Docker container name. */
  container: string;
  /** How the target was resolved (recorded in the history). */
  how: string;
}

/** What a fault needs from the running topology. */
export interface FaultRuntime {
  resolve(target: FaultTarget): Promise<ResolvedTarget>;
  kill(container: string, signal: string): Promise<void>;
  pause(container: string): Promise<void>;
  unpause(container: string): Promise<void>;
  exec(container: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** IPs of every etcd member on the run network. */
  etcdIps(): readonly string[];
  /** podmaster --ttl-secs, to scale durations given in ttl units. */
  ttlSecs(): number;
}

export interface ActiveFault {
  readonly name: string;
  readonly targets: readonly ResolvedTarget[];
  /** When the fault heals by itself (ms after injection), if it does. */
  readonly durationMs?: number;
  readonly detail: Record<string, unknown>;
  heal(): Promise<void>;
}

/** The process patterns `pkill -f` uses inside a master node (the kubelet runs pods as processes). */
export const PROCESS_PATTERNS = {
  scheduler: "km(\\.cjs)? scheduler",
  apiserver: "km(\\.cjs)? apiserver",
  podmaster: "podmaster(\\.cjs)? ",
} as const;

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

function durationOf(spec: { durationTtl?: number; durationMs?: number }, rt: FaultRuntime): number {
  return spec.durationMs ?? Math.round((spec.durationTtl ?? 2) * rt.ttlSecs() * 1000);
}

/** iptables rules that drop the node's traffic to and from every etcd member (both directions). */
export function partitionRules(etcdIps: readonly string[]): string[][] {
  return etcdIps.flatMap((ip) => [
    ["OUTPUT", "-d", ip, "-j", "DROP"],
    ["INPUT", "-s", ip, "-j", "DROP"],
  ]);
}

export async function inject(spec: FaultSpec, rt: FaultRuntime): Promise<ActiveFault> {
  const name = spec.kind;
  switch (spec.kind) {
    case "none":
      return { name, targets: [], detail: {}, heal: async () => {} };

    case "kill-container": {
      const t = await rt.resolve(spec.target);
      await rt.kill(t.container, "SIGKILL");
      return { name, targets: [t], detail: { signal: "SIGKILL" }, heal: async () => {} };
    }

    case "signal-process": {
      const t = await rt.resolve(spec.target);
      const pattern = PROCESS_PATTERNS[spec.process];
      const res = await rt.exec(t.container, ["pkill", `-${spec.signal.replace(/^SIG/, "")}`, "-f", pattern]);
      // pkill: 0 = signalled, 1 = no process matched. No match is data (the process was already
      // gone), recorded in the detail; anything else is a harness failure.
      if (res.exitCode > 1) throw new Error(`pkill in ${t.container} failed (${res.exitCode}): ${res.stderr.trim()}`);
      return { name, targets: [t], detail: { signal: spec.signal, process: spec.process, matched: res.exitCode === 0 }, heal: async () => {} };
    }

    case "pause": {
      const t = await rt.resolve(spec.target);
      const durationMs = durationOf(spec, rt);
      await rt.pause(t.container);
      return { name, targets: [t], durationMs, detail: { durationMs }, heal: once(() => rt.unpause(t.container)) };
    }

    case "partition-etcd": {
      const t = await rt.resolve(spec.target);
      const durationMs = durationOf(spec, rt);
      const rules = partitionRules(rt.etcdIps());
      const applied: string[][] = [];
      const heal = once(async () => {
        const failed: string[] = [];
        for (const r of applied.reverse()) {
          const res = await rt.exec(t.container, ["iptables", "-D", ...r]);
          if (res.exitCode !== 0) failed.push(`iptables -D ${r.join(" ")}: ${res.stderr.trim() || `exit ${res.exitCode}`}`);
        }
        // A rule left in place would keep the node cut off into the next trial while the history says healed.
        if (failed.length) throw new HarnessError("E_INTERNAL", `could not heal the etcd partition of ${t.container}: ${failed.join("; ")}`, "the container keeps the rules until it is removed: npm run reap");
      });
      try {
        for (const r of rules) {
          const res = await rt.exec(t.container, ["iptables", "-A", ...r]);
          if (res.exitCode !== 0) throw new Error(`iptables -A ${r.join(" ")} in ${t.container}: ${res.stderr.trim()} (the container needs CAP_NET_ADMIN)`);
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
