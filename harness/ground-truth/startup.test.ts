import { describe, expect, it } from "vitest";
import { parseEventLogs } from "./events.js";
import { emulationStartupMs } from "./startup.js";

const line = (o: Record<string, unknown>) => JSON.stringify({ ts: 1, node: "master-1", ...o });

describe("emulationStartupMs", () => {
  it("summarizes the kubelet's exec → first output per container, and nothing else", () => {
    const log = [
      line({ component: "kubelet", event: "container-first-output", container: "scheduler-elector", ms: 40 }),
      line({ component: "kubelet", event: "container-first-output", container: "scheduler-elector", ms: 60 }),
      line({ component: "kubelet", event: "container-first-output", container: "kube-scheduler", ms: 80 }),
      line({ component: "kubelet", event: "container-started", container: "kube-scheduler", ms: 999 }),
      line({ component: "podmaster", event: "container-first-output", container: "kube-scheduler", ms: 999 }),
      "ERROR: logging before flag.Parse: I1130 22:00:00.000000       1 podmaster.go:94] key already exists, we are the master (x)",
    ].join("\n");
    const got = emulationStartupMs(parseEventLogs({ "k8sm-20261130-220000-abcd-master-1": log }));
    expect(got).toEqual({
      "kube-scheduler": { n: 1, min: 80, p50: 80, p90: 80, max: 80 },
      "scheduler-elector": expect.objectContaining({ n: 2, min: 40, max: 60 }),
    });
  });
});
