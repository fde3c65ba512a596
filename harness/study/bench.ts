/**
 * `npm run bench -- study [--parallel 1,2,4,6,8] [--batches-per-slot N] [--batch-size K] [--out DIR]`:
 * the study's throughput against `--parallel`, on kill-leader with the fast profile (issue 12's
 * performance goal). For each parallelism P, one small study (one cell, P × N batches of K trials,
 * no false-failover arm) through `runStudy`, so exactly what `npm run study` does: trials per hour,
 * the probes' error p95 against ground truth at that load, and the peak memory of every container
 * of this process's runs (Docker stats, as the bench's `topologyRssMiB`). Written to
 * `<out>/<id>/study-bench.json` (default reports/bench/), printed as a table.
 *
 * Levels run one after the other, never overlapping; a level's study folder is kept beside the
 * JSON (its runs' reports, its trials.ndjson).
 */
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import Table from "cli-table3";
import { intOption, writableDirOption } from "../cli/args.js";
import { tableStyle } from "../cli/color.js";
import { defineCommand, runCommand, type CommandArgs } from "../cli/shell.js";
import { getDocker, newRunId } from "../docker/index.js";
import { LABELS } from "../docker/labels.js";
import { containerRole } from "../ground-truth/index.js";
import { InputError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import { startMemorySampler } from "../bench/memory.js";
import { dockerEngine } from "../runner/docker-engine.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { analyzeStudy } from "./analyze.js";
import { validateStudy } from "./definition.js";
import { EngineSet } from "../remote/engine-set.js";
import { runStudy } from "./execute.js";

export interface StudyBenchRow {
  parallel: number;
  trials: number;
  wallMs: number;
  trialsPerHour: number | null;
  /** trialsPerHour / that of the lowest parallelism measured. */
  speedup: number | null;
  /** |probe − truth| p95 of time to new scheduler, ms. */
  probeErrorP95Ms: number | null;
  /** The worst p95 over every validated measure, ms, and which. */
  worstProbeErrorP95: { measure: string; ms: number } | null;
  /** Peak of the summed docker-stats memory of every container of this process, MiB. */
  peakMemoryMiB: number | null;
  failedBatches: number;
  studyDir: string;
}

export interface StudyBenchReport {
  id: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  options: { parallel: number[]; batchesPerSlot: number; batchSize: number; scenario: string; profile: "fast" };
  rows: StudyBenchRow[];
  goals: { speedupAt6: number | null; speedupGoal: 4; probeErrorGoalMs: 100; memoryGoalMiB: 4096 };
}

const OPTIONS = { parallel: { type: "string" }, "batches-per-slot": { type: "string" }, "batch-size": { type: "string" }, out: { type: "string" } } as const;

export function studyBenchCli(argv: readonly string[], scenario: ScenarioDefinition): Promise<number> {
  const cmd = defineCommand({
    name: "bench",
    usage: "npm run bench -- study [--parallel 1,2,4,6,8] [--batches-per-slot N] [--batch-size K] [--out DIR]",
    summary: "Measures the study's throughput (trials per hour), probe error and peak memory against --parallel, on kill-leader with the fast profile.",
    options: OPTIONS,
    optionHelp: {
      parallel: ["P,P,...", "the parallelisms to measure, in order (default 1,2,4,6,8)"],
      "batches-per-slot": ["N", "batches per slot at each level (default 2)"],
      "batch-size": ["K", "trials per batch (default 3)"],
      out: ["DIR", "bench reports root (default reports/bench)"],
    },
    positionals: { name: "mode", choices: ["study"], min: 1, max: 1 },
    parse: async ({ values }: CommandArgs<typeof OPTIONS>) => {
      const parallel = (values.parallel ?? "1,2,4,6,8").split(",").map((p) => {
        const n = Number(p.trim());
        if (!Number.isInteger(n) || n < 1 || n > 16) throw new InputError(`--parallel: "${p}" is not a whole number in 1..16`, "e.g. --parallel 1,2,4");
        return n;
      });
      return {
        parallel,
        batchesPerSlot: intOption("batches-per-slot", values["batches-per-slot"], 2, 1, 20),
        batchSize: intOption("batch-size", values["batch-size"], 3, 1, 50),
        outDir: await writableDirOption("out", values.out, path.join(PROJECT_ROOT, "reports", "bench")),
      };
    },
    async run({ input, signal, progress, out }) {
      const id = newRunId();
      const dir = path.join(input.outDir, id);
      await mkdir(dir, { recursive: true });
      const docker = await getDocker();
      const engine = await dockerEngine(docker);
      const startedAt = new Date().toISOString();
      const rows: StudyBenchRow[] = [];
      const memoryAt: Awaited<ReturnType<ReturnType<typeof startMemorySampler>["stop"]>>[] = [];
      for (const p of input.parallel) {
        if (signal.aborted) break;
        const definition = validateStudy(
          { name: `throughput-p${p}`, scenario: scenario.name, profile: "fast", factors: { "ttl-secs": ["6"] }, replicates: p * input.batchesPerSlot * input.batchSize, batchSize: input.batchSize, seed: 1000 + p, falseFailover: { replicates: 0 } },
          "the study bench",
          [scenario],
        );
        const studyDir = path.join(dir, `parallel-${p}`);
        progress(`--parallel ${p}: ${definition.replicates} trial(s) in ${p * input.batchesPerSlot} batch(es) → ${studyDir}`);
        const sampler = startMemorySampler(docker, `${LABELS.pid}=${process.pid}`, { name: containerRole, intervalMs: 2000 });
        const t0 = performance.now();
        let exec: Awaited<ReturnType<typeof runStudy>>;
        try {
          exec = await runStudy({ definition, catalogue: [scenario], engines: EngineSet.ofRunEngines([{ engine, parallel: p }]), signal, dir: studyDir, progress: (l) => (/^study: /.test(l) ? progress(`  p${p} ${l}`) : undefined) });
        } finally {
          memoryAt.push(await sampler.stop());
        }
        const wallMs = performance.now() - t0;
        const memory = memoryAt.at(-1)!;
        const a = analyzeStudy(definition, [scenario], exec.records);
        const pe = a.probeError.find((r) => r.parallel === p);
        const worst = pe ? Object.entries(pe.byMeasure).filter(([, v]) => v.p95 !== null).sort(([, x], [, y]) => y.p95! - x.p95!)[0] : undefined;
        rows.push({
          parallel: p,
          trials: a.counts.trials,
          wallMs,
          trialsPerHour: wallMs > 0 ? (a.counts.trials / wallMs) * 3_600_000 : null,
          speedup: null,
          probeErrorP95Ms: pe?.byMeasure.timeToNewSchedulerMs?.p95 ?? null,
          worstProbeErrorP95: worst ? { measure: worst[0], ms: worst[1].p95! } : null,
          peakMemoryMiB: memory.peakMiB,
          failedBatches: a.counts.failedBatches,
          studyDir,
        });
        const base = rows[0]!.trialsPerHour;
        for (const r of rows) r.speedup = base && r.trialsPerHour !== null ? r.trialsPerHour / base : null;
        progress(`--parallel ${p}: ${rows.at(-1)!.trials} trials in ${(wallMs / 1000).toFixed(0)} s = ${rows.at(-1)!.trialsPerHour?.toFixed(0)} trials/h`);
      }
      const at6 = rows.find((r) => r.parallel === 6)?.speedup ?? null;
      const report: StudyBenchReport = {
        id,
        startedAt,
        finishedAt: new Date().toISOString(),
        interrupted: signal.aborted,
        options: { parallel: input.parallel, batchesPerSlot: input.batchesPerSlot, batchSize: input.batchSize, scenario: scenario.name, profile: "fast" },
        rows,
        goals: { speedupAt6: at6, speedupGoal: 4, probeErrorGoalMs: 100, memoryGoalMiB: 4096 },
      };
      await writeFile(path.join(dir, "study-bench.json"), `${JSON.stringify(report, null, 2)}\n`);
      const table = new Table({ head: ["parallel", "trials", "wall", "trials/h", "speedup", "probe err p95 (ttns)", "worst probe err p95", "peak memory", "failed runs"], style: tableStyle() });
      for (const r of rows) {
        table.push([r.parallel, r.trials, `${(r.wallMs / 1000).toFixed(0)} s`, r.trialsPerHour?.toFixed(0) ?? "—", r.speedup?.toFixed(2) ?? "—", r.probeErrorP95Ms?.toFixed(0) ?? "—", r.worstProbeErrorP95 ? `${r.worstProbeErrorP95.ms.toFixed(0)} (${r.worstProbeErrorP95.measure})` : "—", r.peakMemoryMiB !== null ? `${r.peakMemoryMiB.toFixed(0)} MiB` : "—", r.failedBatches]);
      }
      out(table.toString());
      progress(`written ${path.join(dir, "study-bench.json")}`);
      return signal.aborted ? 130 : 0;
    },
  });
  return runCommand(cmd, argv);
}
