/**
 * CI shards without Docker: the deal of the initial plan (same seed → same slice; the slices
 * disjoint and covering), a shard's resume (fresh ordinals never another shard's), `merge`'s checks,
 * and the identity: the same study run whole and as 2 and as 3 shards on the fake engine and the
 * virtual clock, merged, gives the same analysis and the same trials.
 */
import { access, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dryRunText, studySpec, type StudyCliInput } from "../cli/study.js";
import { parseCommand } from "../cli/shell.js";
import { EngineSet } from "../remote/engine-set.js";
import { seededRandom } from "../runner/plan.js";
import type { RunEngine } from "../runner/engine.js";
import { defineScenario, type ScenarioDefinition } from "../runner/types.js";
import { FakeCluster, fakeEngine } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { analyzeStudy, canonicalOrder } from "./analyze.js";
import { validateStudy, type StudyDefinition } from "./definition.js";
import { armKey, initialPlan, parseShard, planBatches, shardSlice, sliceQuota, type Batch, type Shard } from "./design.js";
import { LOG_FILE, PLAN_FILE, progressOf, runStudy } from "./execute.js";
import { readLog, type LogRecord, type TrialRecord } from "./log.js";
import { mergeStudies } from "./merge.js";
import { buildStudyReport, writeStudyReports, type StudyReport } from "./report.js";

const killLeader = defineScenario({
  name: "kill-leader", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-leader" },
  model: "cold-node-death", expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
});
// The false-failover arm on the fake engine: a fault that must not fail over (the standby killed), so its trials have a fault and a `failover` to count.
const killStandby = defineScenario({
  name: "kill-standby", description: "d", topology: [], fault: { kind: "kill-container", target: "scheduler-standby" },
  model: null, expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: false },
});
const catalogue: ScenarioDefinition[] = [killLeader, killStandby];

/** 2 × 2 cells, 3 replicates in batches of 2, the false-failover arm on (3 per lease setting). */
const study = (over: Record<string, unknown> = {}): StudyDefinition =>
  validateStudy({ name: "t", scenario: "kill-leader", profile: "fast", factors: { "ttl-secs": [6, 10], sleep: ["1s", "2s"] }, replicates: 3, seed: 11, batchSize: 2, falseFailover: { scenario: "kill-standby", replicates: 3 }, ...over }, "test", catalogue);

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), "merge-")); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

async function schemaErrors(report: StudyReport): Promise<string[]> {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  (createRequire(import.meta.url)("ajv-formats") as typeof import("ajv-formats").default)(ajv);
  const validate = ajv.compile(JSON.parse(await readFile(new URL("../../docs/study.schema.json", import.meta.url), "utf8")) as object);
  return validate(JSON.parse(JSON.stringify(report))) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`);
}

let ids = 0;
const runIds = (): string => `20260101-000000-${(ids++).toString(16).padStart(4, "0")}`;

/**
 * A fake engine whose failover takes 0.75 s per s of ttl plus 0.5 s per s of sleep, plus 137 ms more
 * for each earlier fault on the same topology (so a cell's trials differ), with the exact probe: a
 * trial's measures then depend on its cell and its index in its batch only, not on the timing of the
 * other runs (the comparison below would otherwise be up to a probe tick apart).
 */
function engineOf(clock: VirtualClock): RunEngine {
  const base = fakeEngine(clock);
  return {
    ...base,
    launch: async (spec, req) => {
      req.signal.throwIfAborted();
      let faults = 0;
      const behaviour = { exactProbe: true, get failoverMs() { return 750 * spec.podmaster.ttlSecs + 0.5 * spec.podmaster.sleepMs + 137 * (faults - 1); } };
      const cluster = new FakeCluster(clock, behaviour, req.runId, spec);
      const kill = cluster.kill.bind(cluster);
      cluster.kill = (node, signal) => {
        faults += 1;
        return kill(node, signal);
      };
      return cluster;
    },
  };
}

/** Runs (or resumes) the study in `dir`, as `npm run study` does, and writes its reports. */
async function run(def: StudyDefinition, dir: string, opts: { shard?: Shard; parallel?: number; abortOn?: RegExp } = {}) {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const lines: string[] = [];
  const exec = await clock.run(
    runStudy({
      definition: def, catalogue, engines: EngineSet.ofRunEngines([{ engine: engineOf(clock), parallel: opts.parallel ?? 2 }]), signal: controller.signal, dir, clock, newRunId: runIds,
      ...(opts.shard ? { shard: opts.shard } : {}),
      progress: (l) => {
        lines.push(l);
        if (opts.abortOn?.test(l) && !controller.signal.aborted) controller.abort(new Error("Ctrl-C"));
      },
    }),
  );
  const analysis = analyzeStudy(def, catalogue, exec.records, opts.shard ? { shard: opts.shard } : {});
  const report = buildStudyReport({ id: path.basename(dir), definition: def, analysis, records: exec.records, createdAt: "2026-01-01T00:00:00Z", interrupted: exec.interrupted, engine: "fake://", parallel: opts.parallel ?? 2, ...(opts.shard ? { shard: opts.shard } : {}) });
  await writeStudyReports(dir, report);
  return { exec, lines, report };
}

const trialsOf = (records: readonly LogRecord[]): TrialRecord[] => records.filter((r): r is TrialRecord => r.kind === "trial");
const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, "utf8")) as T;
const batchId = (b: Batch): string => `${armKey(b.cell)}#${b.ordinal}|${b.seed}|${b.repeat}`;

/**
 * A trial as the comparison sees it. Left out: its place on its run's timeline (the fault's `t` and
 * the ends of the API-count window, ms since the run began), which on the virtual clock shifts with
 * the real I/O between a run's trials; everything measured from the fault is in.
 */
const trialId = (t: TrialRecord): string =>
  JSON.stringify([t.arm, t.cell, t.batchOrdinal, t.seed, t.trialIndex, t.offsetMs, t.complete, t.failover, t.verdict, t.checks, { ...t.measures, faultT: null, apiRequests: { ...t.measures.apiRequests, fromT: null, toT: null } }]);

/** What must be identical between a merged study and an unsharded one: the analysis, not ids, times, folders or throughput. */
const analysisOf = (r: StudyReport) => ({ counts: r.counts, recommendation: r.recommendation, cells: r.cells, byPosition: r.byPosition, falseFailover: r.falseFailover, fit: r.fit, probeError: r.probeError, status: r.status });

describe("the deal: a shard's slice of the initial plan", () => {
  const def = study();

  it("same seed → same slice; the slices are disjoint and together the whole initial plan (same cells, ordinals, seeds, repeats)", () => {
    const whole = initialPlan(def).map(batchId);
    expect(planBatches(def).map(batchId)).toEqual(whole);
    for (const count of [1, 2, 3, 5, whole.length + 2]) {
      const slices = Array.from({ length: count }, (_, i) => shardSlice(def, { index: i + 1, count }).map(batchId));
      expect(slices.flat().sort()).toEqual([...whole].sort());
      expect(new Set(slices.flat()).size).toBe(whole.length);
      // Round robin: sizes differ by at most one; a shard beyond the batch count is empty.
      expect(Math.max(...slices.map((s) => s.length)) - Math.min(...slices.map((s) => s.length))).toBeLessThanOrEqual(1);
      for (const [i, s] of slices.entries()) expect(planBatches(def, undefined, { index: i + 1, count }).map(batchId)).toEqual(s);
    }
    expect(shardSlice(study(), { index: 2, count: 3 }).map(batchId)).toEqual(shardSlice(def, { index: 2, count: 3 }).map(batchId));
    expect(shardSlice(study({ seed: 12 }), { index: 2, count: 3 }).map(batchId)).not.toEqual(shardSlice(def, { index: 2, count: 3 }).map(batchId));
    // The quotas add up to the replicates per cell.
    const quotas = [1, 2, 3].map((index) => sliceQuota(def, { index, count: 3 }));
    for (const b of initialPlan(def)) expect(quotas.reduce((n, q) => n + (q.get(armKey(b.cell)) ?? 0), 0)).toBe(3);
  });

  it("resuming inside a shard: its never-started batches as planned, a deficit on ordinals no other shard can draw", () => {
    const count = 3;
    const fresh = new Map<number, string[]>();
    for (let index = 1; index <= count; index++) {
      const shard = { index, count };
      const slice = shardSlice(def, shard);
      // Every batch of the slice started once and finished one trial fewer than planned (a cut-short trial each; none for 1-trial batches).
      const ordinalsUsed = new Map<string, Set<number>>();
      const finished = new Map<string, number>();
      for (const b of slice) {
        ordinalsUsed.set(armKey(b.cell), (ordinalsUsed.get(armKey(b.cell)) ?? new Set<number>()).add(b.ordinal));
        finished.set(armKey(b.cell), (finished.get(armKey(b.cell)) ?? 0) + b.repeat - 1);
      }
      const plan = planBatches(def, { finished, ordinalsUsed }, shard);
      expect(plan.reduce((n, b) => n + b.repeat, 0)).toBe(slice.length);
      for (const b of plan) {
        // Beyond the cell's 2 initial batches, in this shard's residue class.
        expect(b.ordinal).toBeGreaterThanOrEqual(2);
        expect((b.ordinal - 2) % count).toBe(index - 1);
      }
      fresh.set(index, plan.map((b) => `${armKey(b.cell)}#${b.ordinal}`));
      // Half of the slice never started: those run as planned (same ordinal, seed and repeat).
      const started = slice.filter((_, i) => i % 2 === 0);
      const used = new Map<string, Set<number>>();
      for (const b of started) used.set(armKey(b.cell), (used.get(armKey(b.cell)) ?? new Set<number>()).add(b.ordinal));
      const fin = new Map<string, number>();
      for (const b of started) fin.set(armKey(b.cell), (fin.get(armKey(b.cell)) ?? 0) + b.repeat);
      expect(planBatches(def, { finished: fin, ordinalsUsed: used }, shard).map(batchId).sort()).toEqual(slice.filter((_, i) => i % 2 === 1).map(batchId).sort());
    }
    const all = [...fresh.values()].flat();
    expect(new Set(all).size).toBe(all.length);
    // A second resume of shard 1 skips the fresh ordinals its log now has too.
    const shard = { index: 1, count };
    const slice = shardSlice(def, shard);
    const b0 = slice[0]!;
    const key = armKey(b0.cell);
    const again = planBatches(def, { finished: new Map(slice.map((b) => [armKey(b.cell), 99])).set(key, 0), ordinalsUsed: new Map([[key, new Set([0, 1, 2, 5])]]) }, shard);
    expect(again.map((b) => b.ordinal).sort((x, y) => x - y)).toEqual(sliceQuota(def, shard).get(key)! > 2 ? [8, 11] : [8]);
  });

  it("--shard i/n: refuses what is not a shard, shows the slice in --dry-run, names the folder after it", async () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    const dir = await mkdtemp(path.join(tmp, "cli-"));
    await writeFile(path.join(dir, "small.yaml"), "name: small\nscenario: kill-leader\nprofile: fast\nfactors:\n  ttl-secs: [6, 10]\n  sleep: [1s, 2s]\nreplicates: 3\nbatchSize: 2\nseed: 11\nfalseFailover:\n  scenario: kill-standby\n  replicates: 3\n");
    const parse = (argv: string[]): Promise<StudyCliInput | null> => parseCommand(studySpec({ catalogue, studiesDir: dir, defaultOut: path.join(dir, "out") }, () => {}), argv, { stdout: () => {} });
    await expect(parse(["small", "--shard", "3/2"])).rejects.toThrow(/--shard 3\/2: the shard index must be in 1\.\.2, got 3/);
    await expect(parse(["small", "--shard", "0/2"])).rejects.toThrow(/--shard 0\/2: the shard index must be in 1\.\.2, got 0/);
    await expect(parse(["small", "--shard", "x"])).rejects.toThrow(/--shard x: expected i\/n/);
    await expect(parse(["small", "--shard", "1/0"])).rejects.toThrow(/the shard count must be in 1\.\.1000/);
    await expect(parse(["small", "--partial"])).rejects.toThrow(/--partial goes with merge only/);
    await expect(parse(["merge", "a", "--shard", "1/2"])).rejects.toThrow(/merge takes the shards' own definition: --shard cannot be given with it/);
    const input = await parse(["small", "--shard", "2/3", "--parallel", "1"]);
    expect(input!.shard).toEqual({ index: 2, count: 3 });
    expect(input!.dir).toMatch(/studies\/small\/\d{8}-\d{6}-[0-9a-f]{4}-shard-2-of-3$/);
    const slice = shardSlice(input!.definition, { index: 2, count: 3 });
    const text = dryRunText(input!, catalogue);
    expect(text).toContain(`${slice.reduce((n, b) => n + b.repeat, 0)} trial(s) to run in ${slice.length} batch(es)`);
    expect(text).toContain(`shard 2/3: these are its slice's, of the study's ${initialPlan(input!.definition).length} batch(es), 24 trial(s)`);
  });
});

describe("a sharded study, merged, is the unsharded study", () => {
  const def = study();
  let whole: Awaited<ReturnType<typeof run>>;
  const shardDirs = new Map<number, string[]>();

  beforeAll(async () => {
    whole = await run(def, path.join(tmp, "whole"), { parallel: 2 });
    for (const count of [2, 3]) {
      const dirs: string[] = [];
      for (let index = 1; index <= count; index++) {
        const dir = path.join(tmp, `s${count}`, `20260101-000000-aaaa-shard-${index}-of-${count}`);
        // Each shard at its own parallelism: the finish order differs from the whole study's.
        await run(def, dir, { shard: { index, count }, parallel: index });
        dirs.push(dir);
      }
      shardDirs.set(count, dirs);
    }
  }, 120_000);

  it("the whole study ran every trial (the comparison is not vacuous)", () => {
    expect(whole.report.status).toBe("completed");
    expect(whole.report.counts).toMatchObject({ trials: 24, planned: 24, cutShort: 0 });
    expect(whole.report.falseFailover.every((f) => f.rate.n === 3 && f.rate.events === 0)).toBe(true);
    expect(whole.report.cells.every((c) => c.measures.timeToNewSchedulerMs.n === 3)).toBe(true);
    expect(whole.report.fit.coefficients.find((c) => c.name === "ttl-secs")!.estimate).toBeCloseTo(0.75, 1);
  });

  it("the analysis is a function of the set of records: any order of the log gives the same", () => {
    const records = [...whole.exec.records];
    const expected = analyzeStudy(def, catalogue, records);
    const random = seededRandom(7);
    for (let k = 0; k < 20; k++) {
      for (let i = records.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [records[i], records[j]] = [records[j]!, records[i]!];
      }
      expect(analyzeStudy(def, catalogue, records)).toEqual(expected);
    }
  });

  it("a shard's own report counts its slice: completed when the slice is done, with its shard", async () => {
    const dir = shardDirs.get(3)![1]!;
    const report = await readJson<StudyReport>(path.join(dir, "study.json"));
    const quota = [...sliceQuota(def, { index: 2, count: 3 }).values()].reduce((a, b) => a + b, 0);
    expect(report).toMatchObject({ status: "completed", shard: { index: 2, count: 3 }, counts: { trials: quota, planned: quota } });
    expect(await schemaErrors(report)).toEqual([]);
    expect((await readJson<{ shard: Shard }>(path.join(dir, PLAN_FILE))).shard).toEqual({ index: 2, count: 3 });
  });

  it.each([2, 3])("as %i shards: merge gives the same analysis and the same trials", async (count) => {
    const out = path.join(tmp, `merged-${count}`);
    const { report, records } = await mergeStudies({ dirs: [...shardDirs.get(count)!].reverse(), out, catalogue });
    const written = await readJson<StudyReport>(path.join(out, "study.json"));
    expect(written.status).toBe("completed");
    expect(analysisOf(written)).toEqual(analysisOf(JSON.parse(JSON.stringify(whole.report)) as StudyReport));
    expect(await schemaErrors(report)).toEqual([]);
    expect(written.mergedFrom!.map((m) => m.shard)).toEqual(Array.from({ length: count }, (_, i) => ({ index: i + 1, count })));

    const mergedTrials = trialsOf((await readLog(path.join(out, LOG_FILE))).records);
    expect(mergedTrials.map(trialId).sort()).toEqual(trialsOf(whole.exec.records).map(trialId).sort());
    // The log is in canonical order, replicates numbered 1..n per cell in that order.
    expect((await readLog(path.join(out, LOG_FILE))).records).toEqual(canonicalOrder(def, records));
    for (const [key, n] of progressOf(records).finished) {
      expect(mergedTrials.filter((t) => armKey({ arm: t.arm, key: t.cell }) === key).map((t) => t.replicate)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
    // Every trial's report link resolves in the merged folder.
    for (const t of mergedTrials) await access(path.join(out, t.report));
    await access(path.join(out, "runs", "index.html"));
    const md = await readFile(path.join(out, "study.md"), "utf8");
    expect(md).toMatch(new RegExp(`Merged from ${count} folder\\(s\\)`));
    expect(md).toContain(whole.report.recommendation.why);
  });

  it("npm run study -- merge DIR... [--partial] [--out DIR]: the merged folder is <id>-merged under --out", async () => {
    const parse = (argv: string[]): Promise<StudyCliInput | null> => parseCommand(studySpec({ catalogue, studiesDir: tmp, defaultOut: path.join(tmp, "out") }, () => {}), argv, { stdout: () => {} });
    const dirs = shardDirs.get(2)!;
    const input = await parse(["merge", ...dirs, "--partial", "--out", path.join(tmp, "merged-out")]);
    expect(input!.merge).toEqual({ dirs, partial: true });
    expect(input!.dir).toMatch(new RegExp(`^${path.join(tmp, "merged-out")}/studies/t/\\d{8}-\\d{6}-[0-9a-f]{4}-merged$`));
    await expect(parse(["merge"])).rejects.toThrow(/merge: no folder given/);
    await expect(parse(["merge", tmp])).rejects.toThrow(/no study\.plan\.json there/);
  });

  it("merge refuses folders that are not one study's shards, naming the folder", async () => {
    const [a, b] = shardDirs.get(2)!;
    const [c] = shardDirs.get(3)!;
    const out = (n: string): string => path.join(tmp, `refused-${n}`);
    await expect(mergeStudies({ dirs: [a!], out: out("missing"), catalogue })).rejects.toThrow(/shard\(s\) 2\/2 missing: 1 of 2 given/);
    await expect(mergeStudies({ dirs: [a!, b!, a!], out: out("twice"), catalogue })).rejects.toThrow(new RegExp(`shard 1/2 is given twice: ${a} and ${a}`));
    await expect(mergeStudies({ dirs: [a!, c!], out: out("count"), catalogue })).rejects.toThrow(/is shard 1\/3 but .* is shard 1\/2: a study is split one way/);
    await expect(mergeStudies({ dirs: [a!, path.join(tmp, "whole")], out: out("whole"), catalogue })).rejects.toThrow(/whole is a whole \(unsharded\) study, not a shard/);
    await expect(mergeStudies({ dirs: [a!, tmp], out: out("nothing"), catalogue })).rejects.toThrow(new RegExp(`${tmp}: no study.plan.json there`));
    // Another seed: another study, though the folders look alike.
    const other = path.join(tmp, "other-seed");
    await run(study({ seed: 12 }), other, { shard: { index: 2, count: 2 } });
    await expect(mergeStudies({ dirs: [a!, other], out: out("seed"), catalogue })).rejects.toThrow(/other-seed is a shard of another study than .*: their definitions differ in seed \(12 vs 11\)/);
    // A shard's log without its trials.ndjson (never ran a trial).
    const bare = path.join(tmp, "bare");
    await mkdir(bare);
    await writeFile(path.join(bare, PLAN_FILE), JSON.stringify({ id: "bare", createdAt: "2026-01-01T00:00:00Z", definition: def, shard: { index: 2, count: 2 } }));
    await expect(mergeStudies({ dirs: [a!, bare], out: out("bare"), catalogue })).rejects.toThrow(/bare: no trials\.ndjson there: shard 2\/2 never finished a trial/);
  });

  it("--partial merges what is there: partial, the missing and the unfinished shards named", async () => {
    const [a] = shardDirs.get(3)!;
    const out = path.join(tmp, "partial");
    const { report } = await mergeStudies({ dirs: [a!], out, catalogue, partial: true });
    expect(report.status).toBe("partial");
    expect(report.notes).toEqual([expect.stringMatching(/^shard\(s\) 2\/3, 3\/3 missing/)]);
    expect(await readFile(path.join(out, "study.md"), "utf8")).toMatch(/\*\*Note:\*\* shard\(s\) 2\/3, 3\/3 missing/);
    // A shard killed mid-way (its log cut after its first trial): complete folders, but the study is partial and says which shard to resume.
    const [s1, s2] = shardDirs.get(2)!;
    const cut = path.join(tmp, "cut");
    await run(def, cut, { shard: { index: 2, count: 2 }, parallel: 1 });
    const text = await readFile(path.join(cut, LOG_FILE), "utf8");
    await truncate(path.join(cut, LOG_FILE), text.indexOf("\n") + 1);
    const merged = await mergeStudies({ dirs: [s1!, cut], out: path.join(tmp, "with-cut"), catalogue });
    expect(merged.report.status).toBe("partial");
    expect(merged.report.notes).toEqual([expect.stringMatching(/^shard 2\/2 \(.*cut\) finished 1\/\d+ of its trials: npm run study -- --resume .*cut, then merge again/)]);
    void s2;
  });

  it("a shard resumed after a Ctrl-C finishes its slice, and the merge is still complete", async () => {
    const dir = path.join(tmp, "resumed", "shard-2-of-2");
    const first = await run(def, dir, { shard: { index: 2, count: 2 }, parallel: 1, abortOn: /\] trial 2\/2/ });
    expect(first.exec.interrupted).toBe(true);
    expect(first.report.status).toBe("partial");
    const again = await run(def, dir, { shard: { index: 2, count: 2 } });
    expect(again.report.status).toBe("completed");
    // Its fresh ordinals are in shard 2's residue class (base 2: 3, 5, ...), never shard 1's.
    const fresh = [...progressOf(again.exec.records).ordinalsUsed.values()].flatMap((os) => [...os]).filter((o) => o >= 2);
    expect(fresh.length).toBeGreaterThan(0);
    for (const o of fresh) expect((o - 2) % 2).toBe(1);
    const merged = await mergeStudies({ dirs: [shardDirs.get(2)![0]!, dir], out: path.join(tmp, "merged-resumed"), catalogue });
    expect(merged.report.status).toBe("completed");
    expect(merged.report.counts).toMatchObject({ trials: 24, planned: 24 });
  });
});
