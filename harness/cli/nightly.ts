/**
 * `npm run nightly -- [--plan FILE] [--profile P] [--only NAME ...] [--repeat N] [--set key=value ...]
 * [--budget 60m] [--parallel N] [--engine URL[,parallel=N] ...] [--shard i/n] [--seed S] [--baseline FILE]
 * [--baseline-dir DIR] [--update-baseline] [--out DIR] [--trend FILE]`: the whole catalogue (or one
 * shard of it) as the plan says, on one or more Docker engines, the regression gate, the night's
 * reports (docs/NIGHTLY.md). The catalogue is passed in by scenarios/nightly.ts.
 *
 * Exit codes: 0 every scenario passed (or was flaky) and no regression; 1 a regression, a safety
 * failure, or a failing, inconclusive or not-run scenario; 2 invalid input, or a harness error
 * (and nothing of exit 1); 130 interrupted (the partial report is written).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { newRunId } from "../docker/run-id.js";
import { InputError } from "../errors.js";
import { baselineFileFor, nightly, nightlyJobs, readBaseline, writeError, type Baseline } from "../nightly/index.js";
import { loadNightlyPlan } from "../nightly/plan.js";
import { parseShard, type Shard } from "../nightly/schedule.js";
import { describeEngineSpecs, EngineSet, parseEngineSpecs, reapCommandFor, type EngineSpec } from "../remote/engine-set.js";
import { PROJECT_ROOT } from "../paths.js";
import { dockerEngine } from "../runner/docker-engine.js";
import { defaultParallelism } from "../runner/pool.js";
import { systemClock } from "../runner/clock.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { parseGoDurationMs } from "../topology/go-duration.js";
import { PROFILES, type Profile } from "../topology/spec.js";
import { harnessVersion } from "../version.js";
import { intOption, writableDirOption } from "./args.js";
import { rerunCommand } from "./scenario.js";
import { defineCommand, parseCommand, runCommand, type CommandArgs, type CommandSpec } from "./shell.js";
import type { NightlyPlan } from "../nightly/plan.js";

export interface NightlyCliInput {
  plan: NightlyPlan;
  profile: Profile;
  sets: string[];
  repeat?: number;
  budgetMs: number;
  /** The engines (`--engine`; none given: this host's), each with its parallelism. */
  engines: EngineSpec[];
  /** `--shard i/n`; absent: the whole plan (as `1/1`). */
  shard?: Shard;
  seed: number;
  baseline: Baseline | null;
  /** The file the update writes (and the default baseline read). */
  baselineFile: string;
  updateBaseline: boolean;
  outDir: string;
  trendFile: string;
}

const OPTIONS = {
  plan: { type: "string" },
  profile: { type: "string" },
  only: { type: "string", multiple: true },
  repeat: { type: "string" },
  set: { type: "string", multiple: true },
  budget: { type: "string" },
  parallel: { type: "string" },
  engine: { type: "string", multiple: true },
  shard: { type: "string" },
  seed: { type: "string" },
  baseline: { type: "string" },
  "baseline-dir": { type: "string" },
  "update-baseline": { type: "boolean" },
  out: { type: "string" },
  trend: { type: "string" },
} as const;

/** Default budget: what a 2-core CI runner gives the night (the workflow's job timeout is above it). */
export const DEFAULT_BUDGET = "60m";

export function nightlySpec(catalogue: readonly ScenarioDefinition[]): CommandSpec<typeof OPTIONS, NightlyCliInput> {
  const names = catalogue.map((s) => s.name);
  return {
    name: "nightly",
    usage: "npm run nightly -- [--plan FILE] [--profile seed|fast] [--only NAME ...] [--budget 60m] [--parallel N] [--engine URL[,parallel=N] ...] [--shard i/n] [--baseline FILE] [--update-baseline] [--out DIR] [--trend FILE]",
    summary: "Runs the scenario catalogue as the nightly plan says (several topologies at once, within a time budget), reruns a failing scenario once (flaky or failing), judges the night against a baseline (regression gate) and writes reports/nightly/<id>/ and the trend.",
    options: OPTIONS,
    optionHelp: {
      plan: ["FILE", "the nightly plan (default scenarios/nightly.yaml)"],
      profile: ["P", "seed | fast (default: the plan's)"],
      only: ["NAME", "run only this scenario (repeatable)"],
      repeat: ["N", "trials per scenario, for every scenario (default: the plan's; 1..1000)"],
      set: ["key=value", "topology override for every scenario (repeatable; see npm run scenario -- --list)"],
      budget: ["DURATION", `time budget, Go style (default ${DEFAULT_BUDGET}); what does not fit is reported not-run`],
      parallel: ["N", "topologies at once per engine without its own parallel= (default: from cores and free memory; 1..16)"],
      engine: ["URL[,parallel=N]", "run scenarios on this Docker engine (repeatable; local = this host's, the default; unix://, tcp://, ssh://):\nslots over all engines; an engine that dies hands its runs to the others (docs/ENGINES.md)"],
      shard: ["i/n", "run shard i of n: the plan's scenarios dealt longest first to n shards, the same deal every time\n(a CI matrix runs i = 1..n; docs/NIGHTLY.md)"],
      seed: ["S", "the night's seed (each scenario's fault phase seed derives from it; default random)"],
      baseline: ["FILE", "baseline: a baselines/nightly-<profile>.json or a previous night's nightly.json\n(default <baseline-dir>/nightly-<profile>.json when it exists)"],
      "baseline-dir": ["DIR", "where baselines live (default baselines/)"],
      "update-baseline": "write <baseline-dir>/nightly-<profile>.json from tonight's passing scenarios",
      out: ["DIR", "nights root (default reports/nightly)"],
      trend: ["FILE", "the trend file appended to (default <out>/trend.ndjson)"],
    },
    epilog: `scenarios: ${names.join(", ")}\nexit: 0 pass, 1 regression/safety/failing/not-run, 2 harness error or bad input, 130 interrupted`,
    parse: async ({ values }: CommandArgs<typeof OPTIONS>) => {
      const only = (values.only ?? []).flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);
      for (const n of only) if (!names.includes(n)) throw new InputError(`--only: unknown scenario "${n}"`, `scenarios: ${names.join(", ")}`);
      const full = await loadNightlyPlan(path.resolve(values.plan ?? path.join(PROJECT_ROOT, "scenarios", "nightly.yaml")), catalogue);
      const plan = only.length ? { ...full, scenarios: full.scenarios.filter((s) => only.includes(s.scenario.name)) } : full;
      const profile = (values.profile ?? plan.profile) as Profile;
      if (!PROFILES.includes(profile)) throw new InputError(`unknown profile "${values.profile}"`, `valid profiles: ${PROFILES.join(", ")}`);
      let budgetMs: number;
      try {
        budgetMs = parseGoDurationMs((values.budget ?? DEFAULT_BUDGET).trim());
      } catch (err) {
        throw new InputError(`--budget: ${(err as Error).message.replace(/^time: /, "")}`, "a Go duration, e.g. 60m, 1h30m, 45m");
      }
      if (budgetMs < 60_000) throw new InputError(`--budget must be at least 1m, got ${values.budget}`, "e.g. --budget 60m");
      const dp = defaultParallelism();
      const engines = parseEngineSpecs(values.engine, { ...(values.parallel === undefined ? {} : { parallel: intOption("parallel", values.parallel, dp.parallel, 1, 16) }), local: dp });
      const shard = values.shard === undefined ? undefined : parseShard(values.shard);
      const repeat = values.repeat === undefined ? undefined : intOption("repeat", values.repeat, 1, 1, 1000);
      const seed = intOption("seed", values.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31 - 1);
      const sets = values.set ?? [];
      const baselineDir = path.resolve(values["baseline-dir"] ?? path.join(PROJECT_ROOT, "baselines"));
      const baselineFile = baselineFileFor(baselineDir, profile);
      const from = values.baseline !== undefined ? path.resolve(values.baseline) : existsSync(baselineFile) ? baselineFile : null;
      const baseline = from ? await readBaseline(from, profile) : null;
      // Every run plan built now: a bad --set fails here, before any container.
      nightlyJobs({ plan, profile, sets, repeat, seed, baseline });
      const outDir = await writableDirOption("out", values.out, path.join(PROJECT_ROOT, "reports", "nightly"));
      const trendFile = path.resolve(values.trend ?? path.join(outDir, "trend.ndjson"));
      return { plan, profile, sets, repeat, budgetMs, engines, ...(shard ? { shard } : {}), seed, baseline, baselineFile, updateBaseline: values["update-baseline"] ?? false, outDir, trendFile };
    },
  };
}

export async function parseNightlyArgs(argv: readonly string[], catalogue: readonly ScenarioDefinition[], out: (s: string) => void = () => {}): Promise<NightlyCliInput | null> {
  return parseCommand(nightlySpec(catalogue), argv, { stdout: out });
}

/** The whole CLI: parse → nightly → print the summary. Returns the exit code. */
export async function nightlyCli(argv: readonly string[], catalogue: readonly ScenarioDefinition[]): Promise<number> {
  const command = defineCommand({
    ...nightlySpec(catalogue),
    async run({ input, signal, progress, out, setCleanupHint }) {
      const id = newRunId();
      const dir = path.join(input.outDir, id);
      const reapHint = reapCommandFor(input.engines);
      setCleanupHint(`the night's runs are labelled k8sm-chaos.run-id=<run id> (see ${dir}/runs/); ${reapHint} removes what is left once the Docker engine answers`);
      const engines = await EngineSet.open(input.engines, { signal, progress, localEngine: () => dockerEngine() });
      progress(`nightly ${id}: reports → ${dir}; ${describeEngineSpecs(engines.uses).text}${input.shard ? `; shard ${input.shard.index}/${input.shard.count}` : ""}; baseline ${input.baseline ? input.baseline.file : "none"}`);
      const { result, writeErrors } = await nightly(
        { plan: input.plan, profile: input.profile, sets: input.sets, repeat: input.repeat, budgetMs: input.budgetMs, ...(input.shard ? { shard: input.shard } : {}), seed: input.seed, baseline: input.baseline, dir, id, harness: harnessVersion() },
        { trendFile: input.trendFile, trendHtml: path.join(input.outDir, "trend.html"), updateBaseline: input.updateBaseline ? input.baselineFile : null, previousBaseline: input.baseline?.file === input.baselineFile ? input.baseline : null },
        {
          engines, signal, clock: systemClock, progress,
          invocation: (p) => ({ argv: [...argv], command: `npm run nightly -- ${argv.join(" ")}`, rerun: rerunCommand({ scenario: p.scenario, spec: p.spec, profile: input.profile, sets: input.sets, repeat: p.repeat, seed: p.seed, outDir: input.outDir, keep: false }) }),
        },
      );
      for (const r of result.reasons) out(r);
      for (const e of result.engines ?? []) if (e.lost) out(`engine lost: ${e.url} at ${e.lost.at}: ${e.lost.reason}; its runs ${e.lost.runIds.join(", ") || "(none under way)"} went to the other engines`);
      for (const s of result.scenarios) if (s.status === "flaky") out(`flaky: ${s.name}: ${s.reason ?? ""}`);
      out(`nightly ${id}: ${result.verdict.toUpperCase()} (exit ${result.exitCode}); reports: ${path.join(dir, "index.html")}, ${path.join(dir, "summary.md")}`);
      if (writeErrors.length) {
        if (result.exitCode === 0) throw writeError(writeErrors, dir);
        progress(`warning: ${writeError(writeErrors, dir).message}`);
      }
      if (result.exitCode === 2) progress("a scenario's run broke in the harness: see its report's error and hint");
      return result.exitCode;
    },
  });
  return runCommand(command, argv);
}
