/**
 * The emulations' start-up cost, from the kubelet emulation's `container-first-output` events: ms
 * from its exec of a pod's container to that process's first output line (a glog line or its
 * first ground-truth event). An emulation term, not the system's: the real Go binaries start in a
 * few ms, so whatever this adds to a container start inflates the model's container-start terms.
 */
import { summarizeValues, type SummaryStats } from "../reporting/result.js";
import type { GroundTruthEvent } from "./events.js";

/** Per container name (`scheduler-elector`, `kube-scheduler`, ...), over every start in the events. */
export function emulationStartupMs(events: readonly GroundTruthEvent[]): Record<string, SummaryStats> {
  const byContainer = new Map<string, number[]>();
  for (const e of events) {
    if (e.component !== "kubelet" || e.event !== "container-first-output") continue;
    const { container, ms } = e.fields;
    if (typeof container !== "string" || typeof ms !== "number" || !Number.isFinite(ms)) continue;
    byContainer.set(container, [...(byContainer.get(container) ?? []), ms]);
  }
  return Object.fromEntries([...byContainer].sort(([a], [b]) => a.localeCompare(b)).map(([c, xs]) => [c, summarizeValues(xs)]));
}
