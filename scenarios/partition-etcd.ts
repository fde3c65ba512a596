import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "partition-etcd",
  description: "Cut the leading master node from etcd (not from Mesos) for 3 × ttl: its podmaster blocks and keeps its scheduler, the standby wins the expired key and re-registers; measures how long two schedulers act and how Mesos fences the old one.",
  topology: [],
  fault: { kind: "partition-etcd", target: "scheduler-leader", durationTtl: 3 },
  model: "partition-etcd",
  expect: { incompatibleDeclines: "none", dualScheduler: "bounded", failover: true },
});
