import { defineScenario } from "../harness/index.js";

/**
 * The seed's warning made real: each master advertises its own address instead of nginx's, so the
 * schedulers compute different executor IDs. After the failover the new scheduler declines every
 * offer from agents that run the old executor ("Declining incompatible offer"), and pods stay Pending.
 * Over repeated trials the leader alternates: a failover back to the master whose executors the
 * agents run is compatible, and then no decline is allowed (the check reads which master prepared
 * each executor from Mesos `state.json`; harness/checks/checks.ts `checkIncompatibleDeclines`).
 */
export default defineScenario({
  name: "incompatible-executor",
  description: "Masters with different --advertised-address (their own IP, as the seed warns against), then kill the leader: the new scheduler must log 'Declining incompatible offer' for agents running another master's executor (and decline nothing when it prepared them itself).",
  // Every master (however many --set masters=N asks for) advertises its own address.
  topology: ["scheduler.advertised-address=${MY_IP}:10251"],
  fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death",
  expect: { incompatibleDeclines: "required", dualScheduler: "none", failover: true },
});
