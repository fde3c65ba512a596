import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "kill-etcd-leader",
  description: "Three-member etcd: SIGKILL the raft leader. The members elect a new one; the podmaster keys and the active scheduler must survive without a failover.",
  topology: ["etcd-members=3"],
  fault: { kind: "kill-container", target: "etcd-leader" },
  model: null,
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
