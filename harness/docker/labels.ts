/**
 * The labels on every container and network the harness creates (docs/CONTRACTS.md). The reaper
 * finds leftovers by `run-id` and decides by `pid` + `host` whether their owner is gone.
 */
import { hostname } from "node:os";

export const LABELS = {
  runId: "k8sm-chaos.run-id",
  pid: "k8sm-chaos.pid",
  host: "k8sm-chaos.host",
  role: "k8sm-chaos.role",
  startedAt: "k8sm-chaos.started-at",
  /** `true` on a topology kept running on purpose (`npm run topology -- up`, `--keep`): the reaper leaves it. */
  keep: "k8sm-chaos.keep",
} as const;

/** Labels for one resource of run `runId` owned by this process; `role` is e.g. `etcd-0`, `network`. */
export function runLabels(runId: string, role: string, now: Date = new Date()): Record<string, string> {
  return {
    [LABELS.runId]: runId,
    [LABELS.pid]: String(process.pid),
    [LABELS.host]: hostname(),
    [LABELS.role]: role,
    [LABELS.startedAt]: now.toISOString(),
  };
}

/** A dockerode `filters.label` entry selecting the resources of one run (or of any run). */
export function runLabelFilter(runId?: string): string {
  return runId === undefined ? LABELS.runId : `${LABELS.runId}=${runId}`;
}
