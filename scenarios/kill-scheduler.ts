import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "kill-scheduler",
  description: "SIGKILL only the active scheduler process; no election happens, the leader's kubelet restarts it at its next sync.",
  topology: [],
  fault: { kind: "signal-process", target: "scheduler-leader", process: "scheduler", signal: "SIGKILL" },
  model: "cold-scheduler-restart",
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
