import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "usr1-failover",
  description: "SIGUSR1 to the active scheduler: it stops its driver without unregistering and re-execs; in a cold-standby pod the re-exec'd child dies with the container and the kubelet restarts the scheduler.",
  topology: [],
  fault: { kind: "signal-process", target: "scheduler-leader", process: "scheduler", signal: "SIGUSR1" },
  model: "cold-scheduler-restart",
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
