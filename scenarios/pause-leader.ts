import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "pause-leader",
  description: "docker pause the leading master node for 2 × ttl, then unpause: the standby takes over while the old leader is frozen; on unpause Mesos and the podmaster key fence the old scheduler.",
  topology: [],
  fault: { kind: "pause", target: "scheduler-leader", durationTtl: 2 },
  model: "pause-leader",
  expect: { incompatibleDeclines: "none", dualScheduler: "bounded", failover: true },
});
