/**
 * A whole run built from the sample histories (sample-histories.ts), as the runner would report
 * it: for tests of the reports that need no Docker engine (the renderers, the browser test of
 * report.html). The histories get what a real trial also has: every runner phase, and the probes'
 * API requests (one every 250 ms, failing while no scheduler is up).
 */
import { evaluateTrial, type CheckSpec } from "../checks/checks.js";
import type { HistoryEntry } from "../history/types.js";
import { buildRunResult, type RunResult, type TrialFault } from "../reporting/result.js";
import { coldNodeDeathWindow } from "../timing-oracle/windows.js";
import { cleanColdFailover, dualSchedulerPartition, FAULT_T, tooFastFailover, type SampleTrial } from "./sample-histories.js";

export const SAMPLE_META = {
  harness: { version: "0.1.0", commit: "0123456789ab" },
  environment: { node: "v20.19.0", platform: "linux/x64", docker: { version: "27.5.1", apiVersion: "1.47", endpoint: "unix:///var/run/docker.sock" } },
  images: { "etcd-0": "k8sm-harness/base:514d0c7e9a1b", "master-1": "k8sm-harness/k8sm:340d2f0e3c4d", "master-2": "k8sm-harness/k8sm:340d2f0e3c4d" },
  invocation: {
    argv: ["kill-leader", "--profile", "fast", "--repeat", "3"],
    command: "npm run scenario -- kill-leader --profile fast --repeat 3",
    rerun: "npm run scenario -- kill-leader --profile fast --repeat 3 --seed 42",
  },
};

const SPECS: CheckSpec[] = [{ check: "timing-oracle" }, { check: "single-active-scheduler" }, { check: "no-pod-lost" }];

/** The trial's fault as the runner reports it, from the sample's inject entry. */
export function sampleFault(s: SampleTrial): TrialFault | null {
  const inj = s.entries.find((e) => e.kind === "fault" && e.action === "inject");
  if (inj?.kind !== "fault") return null;
  return {
    kind: "kill-container",
    description: "SIGKILL the scheduler-leader container",
    targets: inj.targets.map((node) => ({ node, container: `k8sm-x-${node}`, how: "active framework pid scheduler(1)@10.0.0.11:40001" })),
    offsetMs: 1234,
    injectedAtMs: inj.t,
    detail: { signal: "SIGKILL" },
  };
}

/** The sample with every runner phase and API requests every 250 ms (failing from the fault until a scheduler is up again). */
export function withRunnerDetail(s: SampleTrial): SampleTrial {
  const end = s.entries.at(-1)!.t;
  const upAgain = s.entries.find((e) => e.kind === "scheduler-health" && e.up && e.t > FAULT_T)?.t ?? end;
  const extra: HistoryEntry[] = [
    { t: FAULT_T + 5, kind: "phase", name: "observe" },
    { t: end + 500, kind: "phase", name: "evaluate" },
    { t: end + 520, kind: "phase", name: "done" },
  ];
  for (let t = 125; t < end; t += 250) {
    const down = t > FAULT_T && t < upAgain;
    extra.push(down ? { t, kind: "api-request", ok: false, status: 502, latencyMs: 2 + (t % 7), error: "bad gateway" } : { t, kind: "api-request", ok: true, status: 200, latencyMs: 3 + ((t / 250) % 5) });
  }
  const entries = [...s.entries, ...extra].map((e, i) => [e, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e);
  return { originEpochMs: s.originEpochMs, entries };
}

/**
 * A run of `trials` trials cycling through a clean failover, one too fast for the model and one
 * with two schedulers at once (so a FAIL verdict), with the cold-standby node-death model.
 */
export function sampleRunResult(opts: { trials?: number; runId?: string; scenario?: string } = {}): RunResult {
  const model = coldNodeDeathWindow();
  const kinds = [cleanColdFailover, tooFastFailover, dualSchedulerPartition];
  const samples = Array.from({ length: opts.trials ?? 3 }, (_, k) => withRunnerDetail(kinds[k % kinds.length]!()));
  return buildRunResult({
    ...SAMPLE_META,
    scenario: opts.scenario ?? "kill-leader",
    runId: opts.runId ?? "20261125-193000-ab12",
    startedAt: "2026-11-25T19:30:00.000Z",
    finishedAt: "2026-11-25T19:33:10.000Z",
    topology: { spec: { mode: "cold-standby" }, profile: "fast", sets: [], seed: 42, repeat: samples.length },
    model,
    trials: samples.map((s, index) => ({
      index,
      originEpochMs: s.originEpochMs + index * 70_000,
      fault: sampleFault(s),
      history: s.entries,
      ...evaluateTrial(s, SPECS, { model }),
    })),
  });
}
