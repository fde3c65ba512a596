import { describe, expect, it } from "vitest";
import { modelFor } from "../runner/plan.js";
import { defineScenario } from "../runner/types.js";
import { FAST_SPEC, applySetOverrides } from "../topology/spec.js";

const partition = defineScenario({
  name: "partition-etcd", description: "d", topology: [], fault: { kind: "partition-etcd", target: "scheduler-leader", durationTtl: 3 },
  model: "partition-etcd", expect: { incompatibleDeclines: "none", dualScheduler: "bounded", failover: true },
});
const assumes = (notes: readonly string[]) => notes.some((n) => n.startsWith("podmaster variant C (client-v2): the model assumes go-etcd (A/B)"));

describe("partition-etcd's model and the podmaster variant", () => {
  it("says it assumes go-etcd (variants A/B) when the topology runs variant C, and says nothing for A or B", () => {
    expect(assumes(modelFor(partition, FAST_SPEC)!.notes)).toBe(false);
    expect(assumes(modelFor(partition, applySetOverrides(FAST_SPEC, ["podmaster-variant=B"]))!.notes)).toBe(false);
    expect(assumes(modelFor(partition, applySetOverrides(FAST_SPEC, ["podmaster-variant=C"]))!.notes)).toBe(true);
    // Hot standby has no podmaster on the path.
    expect(assumes(modelFor(partition, applySetOverrides(FAST_SPEC, ["mode=hot-standby", "podmaster-variant=C"]))!.notes)).toBe(false);
  });
});
