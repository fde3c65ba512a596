import { defineScenario } from "../harness/index.js";

/**
 * The apiserver of the leading master dies; the seed's nginx has `proxy_next_upstream error
 * timeout ...`, so a request whose connection to it is refused goes to the other apiserver: no
 * client request may fail (`api-reroute`), and nothing fails over (`no-failover`: the scheduler
 * talks to the apiserver through nginx too).
 */
export default defineScenario({
  name: "kill-apiserver",
  description: "SIGKILL the apiserver on the leading master node: nginx must reroute to the other apiserver (proxy_next_upstream) and the kubelet restarts the dead one; no scheduler failover.",
  topology: [],
  fault: { kind: "signal-process", target: "scheduler-leader", process: "apiserver", signal: "SIGKILL" },
  model: null,
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false, apiRerouted: true },
});
