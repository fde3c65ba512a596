/**
 * `npm run study -- merge <dir>...`: the shards of one study (`--shard i/n`, one folder each, e.g.
 * from the jobs of a CI matrix) combined into one study folder whose report is the one an unsharded
 * run of the same trials writes. The shards' slices are disjoint and together are the whole study's
 * plan (design.ts `planBatches`), and the analysis depends on the set of trials, not on the order
 * the log holds them (analyze.ts `canonicalOrder`), so merging is: check the folders belong
 * together, put every record in one log in the canonical order (replicates numbered again in that
 * order), copy the runs' reports in beside it, analyse and write the reports as a study does.
 */
import { access, cp, mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { newRunId } from "../docker/run-id.js";
import { InputError } from "../errors.js";
import { writeAtomic } from "../reporting/atomic.js";
import { writeRunIndexes } from "../reporting/run-index.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { analyzeStudy, canonicalOrder } from "./analyze.js";
import { validateStudy, type StudyDefinition } from "./definition.js";
import { armKey, shardLabel, sliceQuota, type Shard } from "./design.js";
import { LOG_FILE, PLAN_FILE, progressOf, readPlanFile, type StudyPlanFile } from "./execute.js";
import { readLog, type LogRecord, type TrialRecord } from "./log.js";
import { buildStudyReport, writeStudyReports, type StudyReport } from "./report.js";

export interface MergeOptions {
  /** The shards' folders (each as `npm run study -- --shard i/n` writes it), in any order. */
  readonly dirs: readonly string[];
  /** The merged study's folder (created; must not hold a study yet). See `mergedDir`. */
  readonly out: string;
  readonly catalogue: readonly ScenarioDefinition[];
  /** Merge the shards that are there when some are missing (the report says which, its status is partial). @default false */
  readonly partial?: boolean;
  readonly progress?: (line: string) => void;
}

export interface MergeResult {
  readonly dir: string;
  readonly report: StudyReport;
  /** The merged log, in canonical order. */
  readonly records: readonly LogRecord[];
  /** Shard indexes not given (only with `partial`). */
  readonly missing: readonly number[];
}

/** The merged study's folder: `<outRoot>/studies/<name>/<new run id>-merged`. */
export function mergedDir(outRoot: string, name: string, id: string = newRunId()): string {
  return path.join(outRoot, "studies", name, `${id}-merged`);
}

interface ShardInput {
  readonly dir: string;
  /** As given on the command line (for messages and `mergedFrom`). */
  readonly given: string;
  readonly plan: StudyPlanFile;
  readonly shard: Shard;
  records: LogRecord[];
}

const SHARD_HINT = "give the folders `npm run study -- <study> --shard i/n` wrote (reports/studies/<name>/<id>-shard-<i>-of-<n>/), one per shard of one study";

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** Reads and checks the folders: each a shard of the same study, each shard once, none missing unless `partial`. */
async function readShards(opts: MergeOptions): Promise<{ definition: StudyDefinition; shards: ShardInput[]; count: number; missing: number[] }> {
  if (!opts.dirs.length) throw new InputError("merge: no folder given", SHARD_HINT);
  const shards: ShardInput[] = [];
  for (const given of opts.dirs) {
    const dir = path.resolve(given);
    const plan = await readPlanFile(dir).catch((err: Error) => {
      throw new InputError(`merge: ${given}: cannot read its ${PLAN_FILE}: ${err.message}`, SHARD_HINT);
    });
    if (!plan) throw new InputError(`merge: ${given}: no ${PLAN_FILE} there (not a study folder)`, SHARD_HINT);
    if (!plan.shard) {
      throw new InputError(
        `merge: ${given} is ${plan.mergedFrom ? "a merged study" : "a whole (unsharded) study"}, not a shard: it cannot be merged with shards`,
        `leave it out; merge combines the folders of the --shard i/n runs of one study (${SHARD_HINT.split("(")[1]!.replace(/\)$/, "")})`,
      );
    }
    const logFile = path.join(dir, LOG_FILE);
    let records: LogRecord[] = [];
    if (await exists(logFile)) {
      const log = await readLog(logFile);
      records = log.records;
      if (log.dropped !== null) opts.progress?.(`merge: ${given}: dropped a torn last line of ${LOG_FILE} (the shard was killed; --resume on it repairs it)`);
    } else if (sliceQuota(plan.definition, plan.shard).size > 0) {
      throw new InputError(`merge: ${given}: no ${LOG_FILE} there: shard ${shardLabel(plan.shard)} never finished a trial`, `run it (npm run study -- --resume ${given}), or leave it out and merge with --partial`);
    }
    shards.push({ dir, given, plan, shard: plan.shard, records });
  }
  const [first] = shards;
  for (const s of shards.slice(1)) {
    if (!isDeepStrictEqual(s.plan.definition, first!.plan.definition)) {
      const a = first!.plan.definition as unknown as Record<string, unknown>;
      const b = s.plan.definition as unknown as Record<string, unknown>;
      const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !isDeepStrictEqual(a[k], b[k]));
      throw new InputError(
        `merge: ${s.given} is a shard of another study than ${first!.given}: their definitions differ in ${fields.map((k) => `${k} (${JSON.stringify(b[k])} vs ${JSON.stringify(a[k])})`).join(", ")}`,
        "merge only the shards of one study: the same study file, flags and --seed in every job",
      );
    }
    if (s.shard.count !== first!.shard.count) {
      throw new InputError(`merge: ${s.given} is shard ${shardLabel(s.shard)} but ${first!.given} is shard ${shardLabel(first!.shard)}: a study is split one way`, "merge the shards of one --shard i/n split (the same n)");
    }
  }
  const count = first!.shard.count;
  const byIndex = new Map<number, ShardInput>();
  for (const s of shards) {
    const twin = byIndex.get(s.shard.index);
    if (twin) throw new InputError(`merge: shard ${shardLabel(s.shard)} is given twice: ${twin.given} and ${s.given}`, "give each shard's folder once (a rerun shard: the folder of the run to keep)");
    byIndex.set(s.shard.index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length && !opts.partial) {
    throw new InputError(`merge: shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} missing: ${shards.length} of ${count} given`, "give every shard's folder, or --partial to merge what is there (the report is partial and names the missing shards)");
  }
  // The slices never overlap: the same batch (cell, ordinal) in two shards means they are not one study's split.
  const owner = new Map<string, ShardInput>();
  for (const s of shards) {
    for (const r of s.records) {
      if (r.kind !== "trial") continue;
      const k = `${armKey({ arm: r.arm, key: r.cell })}#${r.batchOrdinal}`;
      const o = owner.get(k);
      if (o && o !== s) throw new InputError(`merge: ${o.given} (shard ${shardLabel(o.shard)}) and ${s.given} (shard ${shardLabel(s.shard)}) both ran batch ${r.batchOrdinal + 1} of ${r.arm} ${r.cell}: their slices overlap`, "these folders are not shards of one run of the study; merge the folders of one CI run");
      owner.set(k, s);
    }
  }
  const definition = validateStudy(first!.plan.definition, path.join(first!.given, PLAN_FILE), opts.catalogue);
  return { definition, shards: [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index), count, missing };
}

/**
 * Copies each shard's `runs/<scenario>/<run id>/` into the merged folder. A run id two shards both
 * used (ids are a second's timestamp and 16 random bits; two CI jobs can draw the same) is renamed
 * `<id>-shard-<i>` in the later shard, folder and records alike, so report links and the analysis's
 * run keys stay one per run.
 */
async function copyRuns(shards: readonly ShardInput[], out: string): Promise<void> {
  const taken = new Set<string>();
  const scenarios = new Set<string>();
  for (const s of shards) {
    const rename = new Map<string, string>();
    const copied: string[] = [];
    for (const r of s.records) if (taken.has(r.runId) && !rename.has(r.runId)) rename.set(r.runId, `${r.runId}-shard-${s.shard.index}`);
    const runsDir = path.join(s.dir, "runs");
    for (const scenario of await readdir(runsDir, { withFileTypes: true }).catch(() => [])) {
      if (!scenario.isDirectory()) continue;
      for (const run of await readdir(path.join(runsDir, scenario.name), { withFileTypes: true })) {
        if (!run.isDirectory()) continue;
        const id = rename.get(run.name) ?? (taken.has(run.name) ? `${run.name}-shard-${s.shard.index}` : run.name);
        if (id !== run.name) rename.set(run.name, id);
        await cp(path.join(runsDir, scenario.name, run.name), path.join(out, "runs", scenario.name, id), { recursive: true, errorOnExist: true, force: false });
        scenarios.add(scenario.name);
        copied.push(id);
      }
    }
    if (rename.size) {
      s.records = s.records.map((r) => {
        const id = rename.get(r.runId);
        if (!id) return r;
        if (r.kind !== "trial") return { ...r, runId: id };
        return { ...r, runId: id, report: r.report.split("/").map((p) => (p === r.runId ? id : p)).join("/") };
      });
    }
    for (const id of [...copied, ...s.records.map((r) => r.runId)]) taken.add(id);
  }
  // The runs' own indexes (runs/index.html, runs/<scenario>/index.html), as the runs would have written them here.
  for (const scenario of scenarios) await writeRunIndexes(path.join(out, "runs"), scenario);
}

/** What each shard finished of its slice: the merged study is completed only if every shard finished all of it. */
function shardNotes(definition: StudyDefinition, shards: readonly ShardInput[], count: number, missing: readonly number[]): { complete: boolean; notes: string[] } {
  const notes: string[] = [];
  if (missing.length) notes.push(`shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} missing: their trials are not in this report; run them, then merge again with every shard's folder`);
  for (const s of shards) {
    const quota = sliceQuota(definition, s.shard);
    const { finished } = progressOf(s.records);
    const want = [...quota.values()].reduce((a, b) => a + b, 0);
    const done = [...quota.entries()].reduce((n, [k, q]) => n + Math.min(q, finished.get(k) ?? 0), 0);
    if (done < want) notes.push(`shard ${shardLabel(s.shard)} (${s.given}) finished ${done}/${want} of its trials: npm run study -- --resume ${s.given}, then merge again`);
  }
  return { complete: notes.length === 0, notes };
}

/** Numbers each cell's complete trials 1, 2, ... in canonical order (a shard numbered them in its own finish order). */
function renumber(records: readonly LogRecord[]): LogRecord[] {
  const next = new Map<string, number>();
  return records.map((r) => {
    if (r.kind !== "trial") return r;
    let replicate: number | null = null;
    if (r.complete) {
      const key = armKey({ arm: r.arm, key: r.cell });
      replicate = (next.get(key) ?? 0) + 1;
      next.set(key, replicate);
    }
    return { ...r, replicate } satisfies TrialRecord;
  });
}

/** Merges shard folders into `opts.out` and writes its reports (study.json, study.md, study.html, trials.ndjson, study.plan.json, runs/). */
export async function mergeStudies(opts: MergeOptions): Promise<MergeResult> {
  const progress = opts.progress ?? (() => {});
  const { definition, shards, count, missing } = await readShards(opts);
  const out = path.resolve(opts.out);
  if (await exists(path.join(out, PLAN_FILE))) throw new InputError(`merge: ${opts.out} already holds a study`, "give a new folder with --out, or remove that one");
  await mkdir(out, { recursive: true });
  progress(`merge: ${shards.length} of ${count} shard(s) of study ${definition.name} into ${out}`);
  await copyRuns(shards, out);

  const records = renumber(canonicalOrder(definition, shards.flatMap((s) => s.records)));
  const { complete, notes } = shardNotes(definition, shards, count, missing);
  const mergedFrom = shards.map((s) => ({ dir: s.given, shard: s.shard }));
  const createdAt = shards.map((s) => s.plan.createdAt).sort()[0]!;
  const plan: StudyPlanFile = { id: path.basename(out), createdAt, definition, mergedFrom };
  await writeAtomic(path.join(out, PLAN_FILE), `${JSON.stringify(plan, null, 2)}\n`);
  await writeAtomic(path.join(out, LOG_FILE), records.map((r) => `${JSON.stringify(r)}\n`).join(""));

  const engines = new Set<string>();
  for (const s of shards) {
    const json = await readFile(path.join(s.dir, "study.json"), "utf8").catch(() => null);
    const engine = json === null ? undefined : (JSON.parse(json) as { engine?: unknown }).engine;
    if (typeof engine === "string") engines.add(engine);
  }
  const parallel = Math.max(1, ...records.flatMap((r) => (r.kind === "validation" ? [] : [r.parallel])));
  const analysis = analyzeStudy(definition, opts.catalogue, records);
  const report = buildStudyReport({
    id: path.basename(out),
    definition,
    analysis,
    records,
    createdAt,
    interrupted: false,
    engine: engines.size ? [...engines].sort().join(", ") : "merged",
    parallel,
    mergedFrom,
    status: complete && analysis.counts.trials >= analysis.counts.planned ? "completed" : "partial",
    notes,
  });
  await writeStudyReports(out, report);
  for (const n of notes) progress(`merge: ${n}`);
  return { dir: out, report, records, missing };
}

/** For the CLI: the merged folder's default place, from the first shard's definition (before `mergeStudies` checks them all). */
export async function studyNameOf(dir: string): Promise<string> {
  const plan = await readPlanFile(path.resolve(dir)).catch(() => null);
  if (!plan) throw new InputError(`merge: ${dir}: no readable ${PLAN_FILE} there (not a study folder)`, SHARD_HINT);
  return plan.definition.name;
}
