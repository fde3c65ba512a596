import { defineScenario } from "../harness/index.js";

/**
 * etcd (v3.x serving the v2 API, default timers) holds a v2 write sent while raft elects a new
 * leader for up to its request timeout, 5 s + 2 × the 1 s election timeout = 7 s. The podmaster
 * refreshes its lease with as little as T/2 − S left (§1.3), so the lease survives the stall only
 * if T/2 − S > 7 s (+ 0.5 s expiry lag): true for the seed (30 / 5 s: 10 s), false for the fast
 * profile's 6 / 1 s (2 s), where a correct system may fail over. The scenario pins the seed's
 * ttl-secs (fast: 30 / 1 s, 14 s), so `no-failover` (pid and key holder unchanged) is judged in
 * every profile; a `--set ttl-secs` below the bound makes it `unknown`, saying why (harness/runner/plan.ts
 * `noFailoverCaveat`).
 */
export default defineScenario({
  name: "kill-etcd-leader",
  description: "Three-member etcd: SIGKILL the raft leader. The members elect a new one; the podmaster keys and the active scheduler must survive without a failover.",
  topology: ["etcd-members=3", "ttl-secs=30"],
  fault: { kind: "kill-container", target: "etcd-leader" },
  model: null,
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
