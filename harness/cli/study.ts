/**
 * `npm run study -- <shorthand|file.yaml> [overrides] | --grid key=v1,v2 ... | --resume DIR`:
 * a tuning study (docs/STUDY.md). Parse and validate everything (the study file, the flags, every
 * cell's topology) → `--dry-run` prints the plan, or → `runStudy` (batches of trials, `--parallel`
 * topologies at once, each trial appended to trials.ndjson) → analysis → study.json, study.md,
 * study.html → the recommendation.
 *
 * The catalogue and the shorthands' folder are passed in by the entry point (scenarios/study.ts),
 * so harness/ never imports scenarios/. Exit codes: 0 every planned trial finished, 2 bad input, a
 * harness error, or runs that failed and left trials to do (`--resume` does them), 130 interrupted
 * (the partial report is written).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import Table from "cli-table3";
import YAML from "yaml";
import { dockerEndpoint, newRunId } from "../docker/index.js";
import { HarnessError, InputError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import type { RunEngine } from "../runner/engine.js";
import { dockerEngine } from "../runner/docker-engine.js";
import { defaultParallelism } from "../runner/pool.js";
import { describeEngineSpecs, EngineSet, engineUseLines, LOCAL_ENGINE, parseEngineSpecs, reapCommandFor, type EngineSpec } from "../remote/engine-set.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { analyzeStudy } from "../study/analyze.js";
import { validateStudy, type StudyDefinition } from "../study/definition.js";
import { falseFailoverCells, initialPlan, parseShard, planBatches, shardLabel, studyCells, type Shard } from "../study/design.js";
import { mergedDir, mergeStudies } from "../study/merge.js";
import { estimateMs, LOG_FILE, progressOf, readPlanFile, runStudy } from "../study/execute.js";
import { readLog } from "../study/log.js";
import { buildStudyReport, recommendationLine, writeStudyReports, type StudyReport } from "../study/report.js";
import { intOption, writableDirOption } from "./args.js";
import { tableStyle } from "./color.js";
import { defineCommand, formatClock, runCommand, type CommandArgs, type CommandSpec } from "./shell.js";

export interface StudyCliInput {
  readonly definition: StudyDefinition;
  /** The study's folder: new (reports/studies/<name>/<id>/) or the one resumed. */
  readonly dir: string;
  readonly resume: boolean;
  /** The engines (`--engine`; none given: this host's), each with its parallelism. */
  readonly engines: readonly EngineSpec[];
  readonly dryRun: boolean;
  /** `--shard i/n` (or, resumed, the folder's own): run only that slice of the study. */
  readonly shard?: Shard;
  /** `merge DIR...`: combine shard folders into `dir` instead of running anything. */
  readonly merge?: { readonly dirs: readonly string[]; readonly partial: boolean };
}

const OPTIONS = {
  grid: { type: "string", multiple: true },
  scenario: { type: "string" },
  name: { type: "string" },
  replicates: { type: "string" },
  profile: { type: "string" },
  seed: { type: "string" },
  set: { type: "string", multiple: true },
  "batch-size": { type: "string" },
  target: { type: "string" },
  "false-failover-replicates": { type: "string" },
  parallel: { type: "string" },
  engine: { type: "string", multiple: true },
  out: { type: "string" },
  resume: { type: "string" },
  "dry-run": { type: "boolean" },
  shard: { type: "string" },
  partial: { type: "boolean" },
  list: { type: "boolean" },
} as const;

export interface StudyCliContext {
  readonly catalogue: readonly ScenarioDefinition[];
  /** Folder of the shorthands: `<name>.yaml`. */
  readonly studiesDir: string;
  /** @default reports/ under the project */
  readonly defaultOut?: string;
  /** @default the Docker engine */
  readonly engine?: () => Promise<RunEngine>;
}

async function shorthands(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, "")).sort();
}

export function studySpec(ctx: StudyCliContext, out: (s: string) => void): CommandSpec<typeof OPTIONS, StudyCliInput | null> {
  return {
    name: "study",
    usage:
      "npm run study -- <shorthand|FILE.yaml> [--replicates N] [--profile P] [--parallel N] [--engine URL[,parallel=N] ...] [--shard i/n --seed S] [--dry-run] | --grid key=v1,v2 [--grid ...] --scenario S --replicates N | --resume DIR | --list | merge DIR... [--partial] [--out DIR]",
    summary:
      "Runs a tuning study: every cell of a grid of --set values, replicates per cell in batches on one topology each, batches in a seeded random order, " +
      "a false-failover arm; reports per-cell failover times with intervals, false-failover rates, a linear model beside the §6 model, and a recommendation (docs/STUDY.md).",
    options: OPTIONS,
    optionHelp: {
      grid: ["key=v1,v2,...", "a factor: a --set key and its values (repeatable; replaces the file's factors)"],
      scenario: ["S", "the failover scenario (default kill-leader with --grid)"],
      name: ["NAME", "the study's name (default: the file's, or grid)"],
      replicates: ["N", "trials per cell (default 10 with --grid)"],
      profile: ["P", "seed | fast (default: the file's, else seed)"],
      seed: ["S", "the study's seed (default: the file's, else random, printed)"],
      set: ["key=value", "a topology setting for every cell (repeatable)"],
      "batch-size": ["K", "trials per topology (default 5)"],
      target: ["F", "false-failover upper bound the recommendation must stay under, as a fraction (default 0.01)"],
      "false-failover-replicates": ["N", "trials per lease setting in the false-failover arm (default 10; 0 turns it off)"],
      parallel: ["N", "topologies at once per engine without its own parallel= (default: from cores and free memory, printed)"],
      engine: ["URL[,parallel=N]", "run batches on this Docker engine (repeatable; local = this host's, the only one without --engine; unix://, tcp://, ssh:// as for npm run scenario): slots over all engines, an engine that dies hands its batches to the others (docs/ENGINES.md)"],
      out: ["DIR", "reports root (default reports/); the study goes to DIR/studies/<name>/<id>/"],
      resume: ["DIR", "continue the study in DIR (its definition and shard are read from DIR; only --parallel, --engine and --dry-run may be given)"],
      "dry-run": "print the cells, the trial count and an estimated duration; run nothing",
      shard: ["i/n", "run only shard i of n of the study (a CI matrix job each; same seed → same slice); the folder is <id>-shard-<i>-of-<n>; `merge` combines them (docs/STUDY.md)"],
      partial: "with merge: merge the shards that are there when some are missing (the report is partial and names them)",
      list: "list the shorthands",
    },
    positionals: { name: "study", min: 0, max: Infinity },
    epilog: "shorthands live in scenarios/studies/ (npm run study -- --list); the study file's fields: docs/STUDY.md",
    parse: async ({ values, positionals }: CommandArgs<typeof OPTIONS>) => {
      const names = await shorthands(ctx.studiesDir);
      if (positionals[0] === "merge") return parseMerge(ctx, values, positionals.slice(1));
      if (positionals.length > 1) throw new InputError(`unexpected argument ${JSON.stringify(positionals[1])}`, "name one study (a shorthand or a file); `merge DIR...` combines shard folders");
      if (values.partial) throw new InputError("--partial goes with merge only", "npm run study -- merge DIR... --partial");
      const shard = shardOption(values.shard);
      if (values.list) {
        const table = new Table({ head: ["shorthand", "scenario", "factors", "description"], style: tableStyle(), wordWrap: true, colWidths: [24, 16, 40, 50] });
        for (const n of names) {
          const raw = YAML.parse(await readFile(path.join(ctx.studiesDir, `${n}.yaml`), "utf8")) as Record<string, unknown>;
          table.push([n, String(raw.scenario ?? ""), Object.entries((raw.factors ?? {}) as Record<string, unknown[]>).map(([k, v]) => `${k}: ${v.join(", ")}`).join("; "), String(raw.description ?? "")]);
        }
        out(`${table.toString()}\n`);
        return null;
      }
      const auto = defaultParallelism();
      const engines = parseEngineSpecs(values.engine, { ...(values.parallel === undefined ? {} : { parallel: intOption("parallel", values.parallel, auto.parallel, 1, 32) }), local: auto });

      if (values.resume !== undefined) {
        const extra = Object.keys(values).filter((k) => !["resume", "parallel", "engine", "dry-run"].includes(k));
        if (extra.length || positionals.length) throw new InputError(`--resume takes the study's own definition: ${[...extra.map((k) => `--${k}`), ...positionals].join(", ")} cannot be given with it`, "only --parallel, --engine and --dry-run go with --resume");
        const dir = path.resolve(values.resume);
        const plan = await readPlanFile(dir).catch((err: Error) => {
          throw new InputError(`--resume ${dir}: cannot read its study.plan.json: ${err.message}`, "give the folder of a study (reports/studies/<name>/<id>/)");
        });
        if (!plan) throw new InputError(`--resume ${dir}: no study.plan.json there`, "give the folder of a study (reports/studies/<name>/<id>/)");
        const definition = validateStudy(plan.definition, path.join(values.resume, "study.plan.json"), ctx.catalogue);
        return { definition, dir, resume: true, engines, dryRun: values["dry-run"] ?? false, ...(plan.shard ? { shard: plan.shard } : {}) };
      }

      let raw: Record<string, unknown>;
      let source: string;
      const file = positionals[0];
      if (file !== undefined) {
        const isShorthand = names.includes(file);
        if (!isShorthand && !/\.(ya?ml|json)$/.test(file)) throw new InputError(`unknown study "${file}"`, `shorthands: ${names.join(", ")}; or a path to a .yaml/.json study file`);
        const p = isShorthand ? path.join(ctx.studiesDir, `${file}.yaml`) : path.resolve(file);
        source = isShorthand ? `${file} (scenarios/studies/${file}.yaml)` : file;
        const text = await readFile(p, "utf8").catch((err: NodeJS.ErrnoException) => {
          throw new InputError(`cannot read the study file ${p}: ${err.code ?? err.message}`, "check the path");
        });
        try {
          raw = YAML.parse(text) as Record<string, unknown>;
        } catch (err) {
          throw new InputError(`${source}: not valid YAML/JSON: ${(err as Error).message.split("\n")[0]}`, "fix the syntax (docs/STUDY.md shows an example)");
        }
        if (typeof raw !== "object" || raw === null) throw new InputError(`${source}: expected a mapping of fields`, "docs/STUDY.md shows an example");
      } else {
        if (!values.grid?.length) throw new InputError("no study given", `name a shorthand (${names.join(", ")}), a study file, or --grid key=v1,v2 ...`);
        raw = { name: "grid", scenario: "kill-leader", replicates: 10 };
        source = "the command line";
      }
      raw = { ...raw };
      if (values.grid?.length) {
        const factors: Record<string, string[]> = {};
        for (const g of values.grid) {
          const eq = g.indexOf("=");
          if (eq <= 0 || !g.slice(eq + 1).trim()) throw new InputError(`--grid ${JSON.stringify(g)}: expected key=v1,v2,...`, "e.g. --grid ttl-secs=10,20,30");
          const key = g.slice(0, eq).trim();
          if (factors[key]) throw new InputError(`--grid ${key} is given twice`, "list all its values in one --grid");
          factors[key] = g.slice(eq + 1).split(",").map((v) => v.trim());
        }
        raw.factors = factors;
      }
      const num = (name: string, v: string | undefined): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!v.trim() || !Number.isFinite(n)) throw new InputError(`--${name} must be a number, got "${v}"`);
        return n;
      };
      if (values.scenario !== undefined) raw.scenario = values.scenario;
      if (values.name !== undefined) raw.name = values.name;
      if (values.profile !== undefined) raw.profile = values.profile;
      if (values.set?.length) raw.sets = [...((raw.sets as string[] | undefined) ?? []), ...values.set];
      for (const [flag, field] of [["replicates", "replicates"], ["seed", "seed"], ["batch-size", "batchSize"], ["target", "target"]] as const) {
        const v = num(flag, values[flag]);
        if (v !== undefined) raw[field] = v;
      }
      const ffr = num("false-failover-replicates", values["false-failover-replicates"]);
      if (ffr !== undefined) raw.falseFailover = { ...((raw.falseFailover as object | undefined) ?? {}), replicates: ffr };
      // Every shard's job must draw the same slice: a seed drawn per job would give each another study.
      if (shard && raw.seed === undefined) throw new InputError(`--shard ${values.shard} needs a fixed seed: without one each shard's job draws its own, and the slices do not fit together`, "add --seed S (the same in every shard's job), or a seed: field in the study file");
      const definition = validateStudy(raw, source, ctx.catalogue);
      const outRoot = await writableDirOption("out", values.out, ctx.defaultOut ?? path.join(PROJECT_ROOT, "reports"));
      // A shard's folder says which it is, so the CI jobs' artifacts do not collide.
      const dir = path.join(outRoot, "studies", definition.name, `${newRunId()}${shard ? `-shard-${shard.index}-of-${shard.count}` : ""}`);
      return { definition, dir, resume: false, engines, dryRun: values["dry-run"] ?? false, ...(shard ? { shard } : {}) };
    },
  };
}

/** The plan as `--dry-run` prints it. */
export function dryRunText(input: StudyCliInput, catalogue: readonly ScenarioDefinition[], done: ReturnType<typeof progressOf> = { finished: new Map(), ordinalsUsed: new Map() }): string {
  const def = input.definition;
  const cells = studyCells(def);
  const ff = falseFailoverCells(def);
  const batches = planBatches(def, done, input.shard);
  const trials = batches.reduce((n, b) => n + b.repeat, 0);
  const slots = describeEngineSpecs(input.engines);
  const est = estimateMs(def, catalogue, batches, slots.slots);
  const lines = [
    `study ${def.name}: scenario ${def.scenario}, profile ${def.profile}, seed ${def.seed}`,
    `cells (${cells.length} × ${def.replicates} replicate(s)):`,
    ...cells.map((c) => `  ${c.key}`),
    ff.length ? `false-failover arm, ${def.falseFailover.scenario} (${ff.length} setting(s) × ${def.falseFailover.replicates}):` : "false-failover arm: off",
    ...ff.map((c) => `  ${c.key}`),
    `${trials} trial(s) to run in ${batches.length} batch(es) of at most ${def.batchSize}, in a seeded random order; ${slots.text}`,
    ...(input.shard ? [`shard ${shardLabel(input.shard)}: these are its slice's, of the study's ${initialPlan(def).length} batch(es), ${initialPlan(def).reduce((n, b) => n + b.repeat, 0)} trial(s) (\`npm run study -- merge\` combines the shards' folders)`] : []),
    `estimated duration: ${formatClock(est)} (30 s per topology launch plus each trial's expected length, over ${slots.slots} slot(s); a loaded machine is slower)`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The end-of-study table: per cell, the figures the recommendation rests on. */
function summaryTable(r: StudyReport): string {
  const s = (ms: number | null | undefined): string => (ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);
  const table = new Table({ head: ["cell", "n", "median", "p90", "p99", "inside §6", "false failovers (hi 95 %)"], style: tableStyle() });
  for (const c of r.cells) {
    const t = c.measures.timeToNewSchedulerMs;
    table.push([c.key, t.n, s(t.p50), s(t.p90), s(t.p99), c.insideModel.judged ? `${c.insideModel.inside}/${c.insideModel.judged}` : "—", c.falseFailover ? `${c.falseFailover.events}/${c.falseFailover.n} (${(c.falseFailover.hi * 100).toFixed(1)} %)` : "—"]);
  }
  return table.toString();
}

export async function studyCli(argv: readonly string[], ctx: StudyCliContext): Promise<number> {
  const command = defineCommand({
    ...studySpec(ctx, (s) => process.stdout.write(s)),
    async run({ input, signal, progress, out, setCleanupHint }) {
      if (!input) return 0;
      if (input.merge) return runMerge(input, ctx, progress, out);
      const def = input.definition;
      const done = input.resume ? progressOf((await readLog(path.join(input.dir, LOG_FILE))).records) : undefined;
      if (input.dryRun) {
        out(dryRunText(input, ctx.catalogue, done));
        return 0;
      }
      const reapHint = reapCommandFor(input.engines);
      setCleanupHint(`the study's runs are labelled k8sm-chaos.run-id=<run id> (see ${path.join(input.dir, LOG_FILE)}); ${reapHint} removes what is left once the Docker engine answers`);
      const engines = await EngineSet.open(input.engines, { signal, progress, localEngine: ctx.engine ?? (() => dockerEngine()) });
      progress(`study ${def.name}${input.shard ? ` shard ${shardLabel(input.shard)}` : ""}: ${input.resume ? "resuming" : "starting"} ${input.dir}; seed ${def.seed}; ${describeEngineSpecs(engines.uses).text}`);
      const exec = await runStudy({ definition: def, catalogue: ctx.catalogue, engines, signal, dir: input.dir, progress, ...(input.shard ? { shard: input.shard } : {}) });
      for (const line of engineUseLines(engines.uses)) progress(line);
      const plan = await readPlanFile(input.dir);
      const analysis = analyzeStudy(def, ctx.catalogue, exec.records, input.shard ? { shard: input.shard } : {});
      const report = buildStudyReport({ id: path.basename(input.dir), definition: def, analysis, records: exec.records, createdAt: plan?.createdAt ?? new Date().toISOString(), interrupted: exec.interrupted, engine: engines.uses.map((u) => (u.url === LOCAL_ENGINE ? dockerEndpoint() : u.url)).join(", "), parallel: engines.slots, ...(input.shard ? { shard: input.shard } : {}) });
      await writeStudyReports(input.dir, report);
      progress(`reports written to ${input.dir} (study.html, study.md, study.json, ${LOG_FILE})`);
      out(summaryTable(report));
      out(recommendationLine(report));
      if (exec.interrupted) {
        progress(`interrupted: ${report.counts.trials}/${report.counts.planned} trials done; continue with: npm run study -- --resume ${input.dir}`);
        return 130;
      }
      if (report.status !== "completed") {
        const lost = engines.uses.filter((u) => u.lost).map((u) => u.url);
        throw new HarnessError("E_INTERNAL", `${report.counts.planned - report.counts.trials} planned trial(s) not done: ${report.counts.failedBatches} run(s) failed${lost.length ? `, engine(s) lost: ${lost.join(", ")}` : ""} (see the batch records in ${LOG_FILE})`, `npm run study -- --resume ${input.dir}${lost.length ? " (with engines that answer)" : ""} runs what remains`);
      }
      return 0;
    },
  });
  return runCommand(command, argv);
}

function shardOption(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  try {
    return parseShard(text);
  } catch (err) {
    throw new InputError(`--shard ${text}: ${(err as Error).message}`, "e.g. --shard 2/4: the second of 4 slices (a CI matrix job each)");
  }
}

/** `merge DIR... [--partial] [--out DIR]`: only those go with it; the folders themselves are checked by `mergeStudies`. */
async function parseMerge(ctx: StudyCliContext, values: CommandArgs<typeof OPTIONS>["values"], dirs: readonly string[]): Promise<StudyCliInput> {
  const extra = Object.keys(values).filter((k) => !["out", "partial"].includes(k));
  if (extra.length) throw new InputError(`merge takes the shards' own definition: ${extra.map((k) => `--${k}`).join(", ")} cannot be given with it`, "only --out and --partial go with merge");
  if (!dirs.length) throw new InputError("merge: no folder given", "npm run study -- merge reports/studies/<name>/<id>-shard-1-of-2 reports/studies/<name>/<id>-shard-2-of-2");
  const plan = await readPlanFile(path.resolve(dirs[0]!)).catch((err: Error) => {
    throw new InputError(`merge: ${dirs[0]}: cannot read its study.plan.json: ${err.message}`, "give the folders of a study's shards");
  });
  if (!plan) throw new InputError(`merge: ${dirs[0]}: no study.plan.json there (not a study folder)`, "give the folders of a study's shards (reports/studies/<name>/<id>-shard-<i>-of-<n>/)");
  const definition = validateStudy(plan.definition, path.join(dirs[0]!, "study.plan.json"), ctx.catalogue);
  const outRoot = await writableDirOption("out", values.out, ctx.defaultOut ?? path.join(PROJECT_ROOT, "reports"));
  return { definition, dir: mergedDir(outRoot, definition.name), resume: false, engines: [], dryRun: false, merge: { dirs, partial: values.partial ?? false } };
}

/** Merges, writes the reports, prints the summary; exits 2 (after writing) when the merged study is partial. */
async function runMerge(input: StudyCliInput, ctx: StudyCliContext, progress: (line: string) => void, out: (s: string) => void): Promise<number> {
  const { report, dir } = await mergeStudies({ dirs: input.merge!.dirs, out: input.dir, catalogue: ctx.catalogue, partial: input.merge!.partial, progress });
  progress(`reports written to ${dir} (study.html, study.md, study.json, ${LOG_FILE})`);
  out(summaryTable(report));
  out(recommendationLine(report));
  if (report.status !== "completed") {
    throw new HarnessError("E_INTERNAL", `the merged study is partial: ${report.counts.trials}/${report.counts.planned} trials (${(report.notes ?? []).join("; ")})`, "run or resume the shards it names, then merge again (the partial report is written)");
  }
  return 0;
}
