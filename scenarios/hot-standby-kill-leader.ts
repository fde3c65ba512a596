import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "hot-standby-kill-leader",
  description: "Hot standby (--ha schedulers on every master): SIGKILL the leading node; the standby wins the etcd election after the leader key expires and re-registers the framework.",
  topology: ["mode=hot-standby"],
  fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "hot-standby",
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
