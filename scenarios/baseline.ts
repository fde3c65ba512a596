import { defineScenario } from "../harness/index.js";

export default defineScenario({
  name: "baseline",
  description: "No fault: the control run. Calibrates the probes; nothing may fail over, no pod may be lost.",
  topology: [],
  fault: { kind: "none" },
  model: null,
  expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
