import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "kill-leader",
  description: "SIGKILL the leading master node (podmaster, kubelet and scheduler die together); the standby's podmaster takes the key and its kubelet starts a scheduler that re-registers the same framework.",
  topology: [],
  fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death",
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
