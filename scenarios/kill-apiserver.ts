import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "kill-apiserver",
  description: "SIGKILL the apiserver on the leading master node: nginx must reroute to the other apiserver (proxy_next_upstream) and the kubelet restarts the dead one; no scheduler failover.",
  topology: [],
  fault: { kind: "signal-process", target: "scheduler-leader", process: "apiserver", signal: "SIGKILL" },
  model: null,
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
