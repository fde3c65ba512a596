/** bench.json's shape, the bench's goals, and the console rendering (pure). */
import Table from "cli-table3";
import type { SummaryStats } from "../reporting/result.js";
import { VALIDATED_MEASURES, type Comparison, type ErrorStats, type ValidatedMeasure } from "../ground-truth/index.js";
import type { GitInfo, MachineInfo } from "./machine.js";
import type { MemorySummary } from "./memory.js";
import { BREAKDOWN_PARTS, type BreakdownPart, type LaunchStep, type TrialTiming } from "./timing.js";

export interface LaunchSample {
  /** Launch call → healthy, ms. */
  ms: number;
  /** `standalone`: launched and removed only to be timed; `trial-run`: the topology the trials ran on. */
  source: "standalone" | "trial-run";
  steps: LaunchStep[];
  /** `stop()` of a standalone launch, ms (removal of every container and the network). */
  downMs?: number;
}

export interface BenchReport {
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** `completed`, or how it ended early (the figures then hold what was measured so far). */
  status: "completed" | "failed" | "interrupted";
  error?: { code: string; message: string };
  git: GitInfo;
  machine: MachineInfo | null;
  options: { scenario: string; profile: string; trials: number; upSamples: number; seed: number };
  topologyUpMs: SummaryStats & { samples: LaunchSample[]; steps: { step: string; ms: SummaryStats }[]; downMs: SummaryStats };
  trialOverheadMs: SummaryStats & {
    /** `full-cycle`: over trials followed by another (the between-trial converge included). */
    basis: "full-cycle" | "all";
    wallMs: SummaryStats;
    breakdown: Record<BreakdownPart, SummaryStats>;
    trials: TrialTiming[];
  };
  /** Per validated measure, |probe − ground truth|; null when validation could not run (see `probeErrorNote`). */
  probeErrorMs: Record<ValidatedMeasure, ErrorStats> | null;
  probeErrorNote?: string;
  /** Per trial: probe value, truth value, error, and why one is missing. */
  probeErrorTrials: { index: number; comparison: Comparison }[];
  /** Per pod container: the kubelet emulation's exec → the process's first output line (an emulation term; harness/ground-truth/startup.ts). */
  emulationStartupMs?: Record<string, SummaryStats>;
  topologyRssMiB: MemorySummary;
  trialsPerHour: number | null;
  /** The kill-leader run the trials were (its reports sit beside bench.json). */
  scenarioRun: { runId: string; reportDir: string; status: string; verdict: string; trials: number } | null;
  goals: GoalResult[];
}

export interface GoalResult {
  figure: string;
  /** The figure the goal is judged on, in the goal's unit. */
  value: number | null;
  goal: string;
  /** null: no data to judge. */
  met: boolean | null;
}

/** Issue 6's goals. */
export const GOALS = {
  topologyUpP50Ms: 15_000,
  trialOverheadP50Ms: 2_000,
  probeErrorP95Ms: 100,
  topologyMemoryMiB: 1536,
} as const;

const judge = (figure: string, value: number | null, limit: number, goal: string): GoalResult => ({ figure, value, goal, met: value === null ? null : value < limit });

export function evaluateGoals(r: Pick<BenchReport, "topologyUpMs" | "trialOverheadMs" | "probeErrorMs" | "topologyRssMiB">): GoalResult[] {
  const goals = [
    judge("topologyUpMs", r.topologyUpMs.p50, GOALS.topologyUpP50Ms, "p50 < 15 s"),
    judge("trialOverheadMs", r.trialOverheadMs.p50, GOALS.trialOverheadP50Ms, "p50 < 2 s"),
  ];
  for (const m of VALIDATED_MEASURES) {
    const s = r.probeErrorMs?.[m];
    // A measure without any ground truth (the lease expiry: etcd emits no event) has nothing to judge.
    if (s && s.n > 0) goals.push(judge(`probeErrorMs.${m}`, s.p95, GOALS.probeErrorP95Ms, "p95 < 100 ms"));
  }
  goals.push(judge("topologyRssMiB", r.topologyRssMiB.peakMiB, GOALS.topologyMemoryMiB, "peak < 1.5 GiB"));
  return goals;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return Math.abs(ms) < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const fmtStats = (s: SummaryStats) => (s.n ? `p50 ${fmtMs(s.p50)}, max ${fmtMs(s.max)} (n=${s.n})` : "no data");
const status = (g: GoalResult | undefined) => (g === undefined || g.met === null ? "—" : g.met ? "met" : "MISSED");

function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/** The console rendering: figures beside their goals, then where the time goes, then the machine. */
export function renderBenchTables(r: BenchReport): string {
  const goal = (figure: string) => r.goals.find((g) => g.figure === figure);
  const main = table(["figure", "value", "goal", "status"]);
  main.push(["topologyUpMs (launch → healthy)", fmtStats(r.topologyUpMs), "p50 < 15 s", status(goal("topologyUpMs"))]);
  main.push([`trialOverheadMs (wall − time to new scheduler − offset)`, fmtStats(r.trialOverheadMs), "p50 < 2 s", status(goal("trialOverheadMs"))]);
  for (const m of VALIDATED_MEASURES) {
    const s = r.probeErrorMs?.[m];
    const value = !s ? (r.probeErrorNote ?? "not validated") : s.n ? `p50 ${fmtMs(s.p50)}, p95 ${fmtMs(s.p95)}, max ${fmtMs(s.max)} (n=${s.n})` : "no ground truth / no data";
    main.push([`probeErrorMs ${m}`, value, "p95 < 100 ms", status(goal(`probeErrorMs.${m}`))]);
  }
  for (const [c, s] of Object.entries(r.emulationStartupMs ?? {})) main.push([`emulation start-up ${c} (exec → first output)`, fmtStats(s), "—", "—"]);
  const mem = r.topologyRssMiB;
  main.push([
    "topologyRssMiB (peak, docker stats)",
    mem.peakMiB === null ? "no samples" : `${mem.peakMiB.toFixed(0)} MiB (anon ${mem.peakAnonMiB!.toFixed(0)} MiB; ${mem.samples} samples, every ${fmtMs(mem.intervalMsP50)})`,
    "peak < 1.5 GiB",
    status(goal("topologyRssMiB")),
  ]);
  main.push([
    "trialsPerHour (kill-leader, fast)",
    r.trialsPerHour === null ? "—" : `${r.trialsPerHour.toFixed(0)} (mean wall ${fmtMs(r.trialsPerHour ? 3_600_000 / r.trialsPerHour : null)})`,
    "—",
    "—",
  ]);

  const parts = table([`trial wall time (${r.trialOverheadMs.basis === "full-cycle" ? "trials followed by another" : "all trials"})`, "p50", "max"]);
  parts.push(["wall (steady → done)", fmtMs(r.trialOverheadMs.wallMs.p50), fmtMs(r.trialOverheadMs.wallMs.max)]);
  for (const p of BREAKDOWN_PARTS) parts.push([`  ${p}`, fmtMs(r.trialOverheadMs.breakdown[p].p50), fmtMs(r.trialOverheadMs.breakdown[p].max)]);

  const steps = table(["topology launch step", "p50", "max"]);
  for (const s of r.topologyUpMs.steps) steps.push([s.step, fmtMs(s.ms.p50), fmtMs(s.ms.max)]);
  if (r.topologyUpMs.downMs.n) steps.push(["(teardown: stop())", fmtMs(r.topologyUpMs.downMs.p50), fmtMs(r.topologyUpMs.downMs.max)]);

  const m = r.machine;
  const machine = m
    ? `machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryMiB / 1024).toFixed(1)} GiB, kernel ${m.kernel}, Docker ${m.dockerVersion} (cgroup v${m.cgroupVersion}), node ${m.nodeVersion}; load at start ${m.loadAverageAtStart.join(" ")}, ${m.foreignContainersAtStart} other container(s) running`
    : "machine: unknown";
  const git = `commit: ${r.git.commit ?? "unknown"}${r.git.dirty ? " (with uncommitted changes)" : ""}`;
  const missed = r.goals.filter((g) => g.met === false).map((g) => g.figure);
  const verdict = r.status !== "completed" ? `bench ${r.status}${r.error ? `: ${r.error.message}` : ""} — figures are partial` : missed.length ? `goals missed: ${missed.join(", ")}` : "all goals met";
  return [main.toString(), parts.toString(), steps.toString(), machine, git, verdict].join("\n");
}
