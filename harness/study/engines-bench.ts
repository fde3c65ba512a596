/**
 * `npm run bench -- engines [--engine URL] [--per-engine P] [--batches-per-slot N] [--batch-size K] [--out DIR]`:
 * the study's trials per hour on one engine and on two (issue 13). Two levels, one after the other,
 * each one small study through `runStudy`, exactly as `npm run study` runs it (kill-leader, fast
 * profile, one cell ttl-secs=6, no false-failover arm, P × N batches of K trials per engine):
 * "1 engine" = `local,parallel=P`; "2 engines" = that + `<second>,parallel=P`.
 *
 * Without `--engine` the second engine is started on this machine (harness/bench/second-engine.ts:
 * a dockerd in a network namespace of its own) and removed at the end, on every path; it adds slots
 * but no cores. Putting the images on a fresh engine (`EngineSet.open`) is timed apart, not counted
 * in the level's wall. Written to `<out>/<id>/engines-bench.json` (default reports/bench/), the
 * levels' study folders beside it, and printed as a table with what it shows.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import Table from "cli-table3";
import { intOption, writableDirOption } from "../cli/args.js";
import { tableStyle } from "../cli/color.js";
import { defineCommand, runCommand, type CommandArgs } from "../cli/shell.js";
import { getDocker, newRunId } from "../docker/index.js";
import { HarnessError, InputError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import { EngineSet, LOCAL_ENGINE, parseEngineSpecs, type EngineUse } from "../remote/engine-set.js";
import { parseEngineUrl } from "../remote/engine-url.js";
import { dockerEngine } from "../runner/docker-engine.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { quantileStat } from "../stats/index.js";
import { startSecondEngine } from "../bench/second-engine.js";
import { validateStudy } from "./definition.js";
import { runStudy } from "./execute.js";
import type { BatchRecord, LogRecord, TrialRecord } from "./log.js";

export interface EnginesBenchInput {
  /** The second engine's URL; null: start one on this machine. */
  engine: string | null;
  /** Slots per engine. @default 1 */
  perEngine: number;
  /** Batches per slot at each level. @default 2 */
  batchesPerSlot: number;
  /** Trials per batch. @default 2 */
  batchSize: number;
}

export interface EngineRow {
  url: string;
  parallel: number;
  /** Runs it ended (`EngineSet` uses). */
  runs: number;
  /** Complete trials that ran on it. */
  trials: number;
  /** Median wall of its completed batches (runner start, image checks and report copy included), ms. */
  medianBatchWallMs: number | null;
  /** |probe − truth| p95 of time to new scheduler over its trials, ms. */
  probeErrorP95Ms: number | null;
  failedBatches: number;
  lost: boolean;
}

export interface EnginesLevelRow {
  level: string;
  slots: number;
  trials: number;
  /** The study's wall (`runStudy`), ms: images already on every engine. */
  wallMs: number;
  trialsPerHour: number | null;
  /** trialsPerHour / that of the first level. */
  speedup: number | null;
  /** `EngineSet.open`: connecting, and images onto a remote engine that lacks them, ms. Not in wallMs. */
  prepareMs: number;
  engines: EngineRow[];
  studyDir: string;
}

/** With each engine on its own host: the run overhead of the remote one, and the speedup that follows. */
export interface SeparateHostsEstimate {
  /** Median batch wall on the local engine at the 1-engine level (no second engine's load), ms. */
  localBatchMs: number;
  /** Median remote − median local batch wall at the 2-engine level (same load on both), ms. */
  remoteOverheadMs: number;
  /** Trials/h ratio with the second engine on a host of its own, cores included. */
  expectedSpeedup: number;
}

export interface EnginesBenchReport {
  id: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  options: EnginesBenchInput & { secondEngine: "started here" | "given"; scenario: string; profile: "fast" };
  /** Starting the second engine here, ms (null: given). */
  secondEngineStartMs: number | null;
  rows: EnginesLevelRow[];
  separateHosts: SeparateHostsEstimate | null;
  /** What the figure shows, as printed. */
  reading: string;
}

const OPTIONS = {
  engine: { type: "string" },
  "per-engine": { type: "string" },
  "batches-per-slot": { type: "string" },
  "batch-size": { type: "string" },
  out: { type: "string" },
} as const;

/** The options but --out (which needs the file system): every input check, no I/O. */
export function parseEnginesBenchValues(values: { engine?: string; "per-engine"?: string; "batches-per-slot"?: string; "batch-size"?: string }): EnginesBenchInput {
  let engine: string | null = null;
  if (values.engine !== undefined) {
    const raw = values.engine.trim();
    if (raw === LOCAL_ENGINE || raw.includes(",")) throw new InputError(`--engine ${JSON.stringify(values.engine)}: give the second engine's URL alone`, "e.g. --engine ssh://user@host or tcp://host:2376 (its parallelism is --per-engine); without --engine one is started on this machine");
    engine = parseEngineUrl(raw).url;
  }
  return {
    engine,
    perEngine: intOption("per-engine", values["per-engine"], 1, 1, 8),
    batchesPerSlot: intOption("batches-per-slot", values["batches-per-slot"], 2, 1, 20),
    batchSize: intOption("batch-size", values["batch-size"], 2, 1, 50),
  };
}

/** Median and p95 (R type 7, as the study's analysis), null for no values. */
const sortedStat = (p: number) => (xs: readonly number[]): number | null => (xs.length ? quantileStat(p)([...xs].sort((x, y) => x - y)) : null);
const median = sortedStat(0.5);
const p95 = sortedStat(0.95);

/** One level's row from its study log and its engines' uses. `speedup` is left null (set against the first level). */
export function levelRow(level: string, records: readonly LogRecord[], uses: readonly EngineUse[], timing: { wallMs: number; prepareMs: number }, studyDir: string): EnginesLevelRow {
  const trials = records.filter((r): r is TrialRecord => r.kind === "trial" && r.arm === "failover" && r.complete);
  const batches = records.filter((r): r is BatchRecord => r.kind === "batch");
  const errorOf = new Map<string, number | null | undefined>();
  for (const r of records) if (r.kind === "validation") for (const t of r.trials) errorOf.set(`${r.runId}#${t.index}`, t.errorMs.timeToNewSchedulerMs);
  const engines = uses.map((u): EngineRow => {
    const mine = trials.filter((t) => (t.engine ?? LOCAL_ENGINE) === u.url);
    const myBatches = batches.filter((b) => (b.engine ?? LOCAL_ENGINE) === u.url);
    const errs = mine.map((t) => errorOf.get(`${t.runId}#${t.trialIndex}`)).filter((v): v is number => typeof v === "number").map(Math.abs);
    return {
      url: u.url,
      parallel: u.parallel,
      runs: u.runs,
      trials: mine.length,
      medianBatchWallMs: median(myBatches.filter((b) => b.status === "completed").map((b) => b.wallMs)),
      probeErrorP95Ms: p95(errs),
      failedBatches: myBatches.filter((b) => b.status === "failed").length,
      lost: u.lost !== null,
    };
  });
  return {
    level,
    slots: uses.reduce((n, u) => n + u.parallel, 0),
    trials: trials.length,
    wallMs: timing.wallMs,
    trialsPerHour: timing.wallMs > 0 ? (trials.length / timing.wallMs) * 3_600_000 : null,
    speedup: null,
    prepareMs: timing.prepareMs,
    engines,
    studyDir,
  };
}

/** Each row's speedup against the first row's trials per hour. */
export function withSpeedups(rows: readonly EnginesLevelRow[]): EnginesLevelRow[] {
  const base = rows[0]?.trialsPerHour ?? null;
  return rows.map((r) => ({ ...r, speedup: base && r.trialsPerHour !== null ? r.trialsPerHour / base : null }));
}

/**
 * On separate hosts each engine has its own cores: the second engine's slots run batches as fast
 * as the first's alone (the 1-engine level's median batch wall m) plus the remote run's own overhead
 * o (runner start, image checks, report copy: its median minus the local one's at the 2-engine
 * level, where both carry the same load). Throughput ∝ slots / batch wall, so with P slots each the
 * speedup is (P/m + P/(m + o)) / (P/m) = 1 + m / (m + o).
 */
export function separateHostsEstimate(rows: readonly EnginesLevelRow[]): SeparateHostsEstimate | null {
  const one = rows[0];
  const two = rows[1];
  if (!one || !two || one.engines.length !== 1 || two.engines.length !== 2) return null;
  const m = one.engines[0]!.medianBatchWallMs;
  const [local, remote] = two.engines;
  if (m === null || local!.medianBatchWallMs === null || remote!.medianBatchWallMs === null) return null;
  const o = Math.max(0, remote!.medianBatchWallMs - local!.medianBatchWallMs);
  const share = (remote!.parallel / local!.parallel) * (m / (m + o));
  return { localBatchMs: m, remoteOverheadMs: o, expectedSpeedup: 1 + share };
}

/** What the figure shows, in words, from the measured rows. */
export function readingOf(rows: readonly EnginesLevelRow[], est: SeparateHostsEstimate | null, sameMachine: boolean): string {
  const two = rows[1];
  if (!rows[0] || !two) return "Only one level was measured (interrupted): no comparison.";
  const s = (ms: number | null): string => (ms === null ? "—" : `${(ms / 1000).toFixed(0)} s`);
  const [local, remote] = two.engines;
  const parts = [
    sameMachine
      ? `Both engines share this machine's cores: the second adds ${two.slots - rows[0].slots} slot(s) but no CPU, so the speedup ${two.speedup?.toFixed(2) ?? "—"} (from ${rows[0].slots} to ${two.slots} slots) measures whether ${two.slots} topologies at once fit the CPU, less the remote runs' own cost.`
      : `The second engine is a host of its own: the speedup ${two.speedup?.toFixed(2) ?? "—"} (from ${rows[0].slots} to ${two.slots} slots) is what adding it gives.`,
    `At the 2-engine level a batch took ${s(local?.medianBatchWallMs ?? null)} (median) here and ${s(remote?.medianBatchWallMs ?? null)} on the second engine: the difference is a remote run's overhead (runner start, image checks, report copy).`,
  ];
  if (est) parts.push(`With separate hosts (each engine's batches as fast as the 1-engine level's ${s(est.localBatchMs)}, plus that ${s(est.remoteOverheadMs)} on the remote one) the speedup would be ≈ ${est.expectedSpeedup.toFixed(2)} (${two.slots}/${rows[0].slots} slots less the overhead).`);
  parts.push(`Putting the images on the second engine took ${s(two.prepareMs)}, once per engine and image set, not counted in trials/h.`);
  return parts.join(" ");
}

export function renderEnginesTable(rows: readonly EnginesLevelRow[]): string {
  const table = new Table({ head: ["level", "slots", "trials", "wall", "trials/h", "speedup", "engine", "runs", "trials", "median batch wall", "probe err p95 (ttns)", "failed batches", "images prep"], style: tableStyle() });
  const s = (ms: number | null): string => (ms === null ? "—" : `${(ms / 1000).toFixed(0)} s`);
  for (const r of rows) {
    r.engines.forEach((e, i) => {
      const head = i === 0 ? [r.level, r.slots, r.trials, s(r.wallMs), r.trialsPerHour?.toFixed(0) ?? "—", r.speedup?.toFixed(2) ?? "—"] : ["", "", "", "", "", ""];
      table.push([...head, `${e.url === LOCAL_ENGINE ? "local" : "second"} ×${e.parallel}${e.lost ? " (LOST)" : ""}`, e.runs, e.trials, s(e.medianBatchWallMs), e.probeErrorP95Ms === null ? "—" : `${e.probeErrorP95Ms.toFixed(0)} ms`, e.failedBatches, e.url === LOCAL_ENGINE ? "—" : `${(r.prepareMs / 1000).toFixed(1)} s`]);
    });
  }
  return table.toString();
}

export function enginesBenchCli(argv: readonly string[], scenario: ScenarioDefinition): Promise<number> {
  const cmd = defineCommand({
    name: "bench",
    usage: "npm run bench -- engines [--engine URL] [--per-engine P] [--batches-per-slot N] [--batch-size K] [--out DIR]",
    summary: "Measures the study's trials per hour on one engine and on two (kill-leader, fast profile, one cell): first this host's engine with P slots, then it plus a second engine with P slots. Without --engine a second engine is started on this machine (needs root) and removed at the end. With the defaults, about 4 minutes on a 2-core machine (12 trials).",
    options: OPTIONS,
    optionHelp: {
      engine: ["URL", "the second engine (unix://, tcp://host:port, ssh://user@host); default: one started on this machine, in a network namespace of its own"],
      "per-engine": ["P", "slots (runs at once) on each engine (default 1)"],
      "batches-per-slot": ["N", "batches per slot at each level (default 2)"],
      "batch-size": ["K", "trials per batch (default 2)"],
      out: ["DIR", "bench reports root (default reports/bench)"],
    },
    positionals: { name: "mode", choices: ["engines"], min: 1, max: 1 },
    parse: async ({ values }: CommandArgs<typeof OPTIONS>) => ({
      ...parseEnginesBenchValues(values),
      outDir: await writableDirOption("out", values.out, path.join(PROJECT_ROOT, "reports", "bench")),
    }),
    async run({ input, signal, teardown, progress, out }) {
      const id = newRunId();
      const dir = path.join(input.outDir, id);
      await mkdir(dir, { recursive: true });
      const docker = await getDocker();
      const engine = await dockerEngine(docker);
      const startedAt = new Date().toISOString();
      let second = input.engine;
      let secondEngineStartMs: number | null = null;
      if (second === null) {
        const t0 = performance.now();
        const e2 = await startSecondEngine().catch((err: unknown) => {
          throw new HarnessError("E_SETUP", `cannot start a second engine on this machine: ${(err as Error).message}`, "run as root (ip netns, dockerd), or give a second engine with --engine URL", { cause: err });
        });
        teardown.defer(() => e2.stop(), `remove the second engine (${e2.dir})`);
        secondEngineStartMs = performance.now() - t0;
        second = e2.url;
        progress(`second engine started here in ${(secondEngineStartMs / 1000).toFixed(1)} s: ${second}`);
      }
      const P = input.perEngine;
      const levels = [
        { level: "1 engine", engines: [`${LOCAL_ENGINE},parallel=${P}`] },
        { level: "2 engines", engines: [`${LOCAL_ENGINE},parallel=${P}`, `${second},parallel=${P}`] },
      ];
      let rows: EnginesLevelRow[] = [];
      for (const [i, lv] of levels.entries()) {
        if (signal.aborted) break;
        const tag = `${lv.engines.length}e`;
        const t0 = performance.now();
        const engines = await EngineSet.open(parseEngineSpecs(lv.engines), { signal, progress: (l) => progress(`  ${tag} ${l}`), localEngine: async () => engine });
        const prepareMs = performance.now() - t0;
        const definition = validateStudy(
          { name: `engines-${lv.engines.length}`, scenario: scenario.name, profile: "fast", factors: { "ttl-secs": ["6"] }, replicates: engines.slots * input.batchesPerSlot * input.batchSize, batchSize: input.batchSize, seed: 3000 + i, falseFailover: { replicates: 0 } },
          "the engines bench",
          [scenario],
        );
        const studyDir = path.join(dir, `engines-${lv.engines.length}`);
        progress(`${lv.level}: ${engines.slots} slot(s), ${definition.replicates} trial(s) in ${engines.slots * input.batchesPerSlot} batch(es) (engines ready in ${(prepareMs / 1000).toFixed(1)} s) → ${studyDir}`);
        const t1 = performance.now();
        const exec = await runStudy({
          definition, catalogue: [scenario], engines, signal, dir: studyDir,
          progress: (l) => (/^study: |batch \d+, |failed|gone/.test(l) ? progress(`  ${tag} ${l}`) : undefined),
        });
        const wallMs = performance.now() - t1;
        rows = withSpeedups([...rows, levelRow(lv.level, exec.records, engines.uses, { wallMs, prepareMs }, studyDir)]);
        const r = rows.at(-1)!;
        progress(`${lv.level}: ${r.trials} trials in ${(wallMs / 1000).toFixed(0)} s = ${r.trialsPerHour?.toFixed(0) ?? "—"} trials/h`);
      }
      const est = separateHostsEstimate(rows);
      const reading = readingOf(rows, est, input.engine === null);
      const report: EnginesBenchReport = {
        id, startedAt, finishedAt: new Date().toISOString(), interrupted: signal.aborted,
        options: { engine: input.engine, perEngine: P, batchesPerSlot: input.batchesPerSlot, batchSize: input.batchSize, secondEngine: input.engine === null ? "started here" : "given", scenario: scenario.name, profile: "fast" },
        secondEngineStartMs, rows, separateHosts: est, reading,
      };
      await writeFile(path.join(dir, "engines-bench.json"), `${JSON.stringify(report, null, 2)}\n`);
      out(renderEnginesTable(rows));
      out(reading);
      progress(`written ${path.join(dir, "engines-bench.json")}`);
      return signal.aborted ? 130 : 0;
    },
  });
  return runCommand(cmd, argv);
}
