/**
 * `npm run scenario -- <name> [--repeat N] [--set key=value ...] [--profile seed|fast] [--seed S]
 * [--out DIR] [--keep] [--list]`
 *
 * The catalogue is passed in by the entry point (scenarios/main.ts), so harness/ never imports
 * scenarios/. All input is validated before any container starts. Exit codes: 0 pass, 1 a check
 * failed (or the verdict is unknown: no healthy baseline), 2 harness error or invalid input,
 * 130 interrupted. Reports are written in every case that got as far as a run id.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { getDocker, newRunId, reap } from "../docker/index.js";
import { intOption, writableDirOption } from "./args.js";
import { HarnessError, InputError, exitCodeFor, formatError } from "../errors.js";
import { describeFault } from "../faults/types.js";
import { TeardownStack, installInterruptHandlers } from "../lifecycle/index.js";
import { buildRunResult } from "../reporting/result.js";
import { renderConsoleSummary } from "../reporting/text.js";
import { writeReports } from "../reporting/write.js";
import { runScenario, type ScenarioTopology } from "../runner/run-scenario.js";
import { scenarioTopology } from "../runner/topology-adapter.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { PROFILES, applySetOverrides, profileSpec, setKeysHelp, type Profile, type TopologySpec } from "../topology/spec.js";

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

const USAGE = `usage: npm run scenario -- <name> [options]

options:
  --repeat N          trials on one topology (default 1; 1..1000)
  --set key=value     override a topology setting (repeatable; see --list for keys)
  --profile P         seed (the real defaults: ttl 30 s, sleep 5 s, file-check 20 s) | fast (small timers) (default seed)
  --seed S            seed for the fault's random phase (integer; default: random, printed)
  --out DIR           reports root (default reports/)
  --keep              leave the topology running afterwards (remove it with npm run topology -- down)
  --list              list the scenarios and the --set keys
`;

export interface ScenarioCliInput {
  scenario: ScenarioDefinition;
  spec: TopologySpec;
  profile: Profile;
  sets: string[];
  repeat: number;
  seed: number;
  outDir: string;
  keep: boolean;
}

/** Parses and validates everything; throws InputError (exit 2). Returns null for --list/--help (already printed). */
export async function parseScenarioArgs(argv: readonly string[], catalogue: readonly ScenarioDefinition[], out: (s: string) => void): Promise<ScenarioCliInput | null> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        repeat: { type: "string" },
        set: { type: "string", multiple: true },
        profile: { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        keep: { type: "boolean" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new InputError((err as Error).message, USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return null;
  }
  if (values.list) {
    const table = new Table({ head: ["scenario", "fault", "description"], colWidths: [26, 40, 70], wordWrap: true });
    for (const s of catalogue) table.push([s.name, describeFault(s.fault), s.description]);
    out(`${table.toString()}\n\n--set keys:\n${setKeysHelp().map((l) => `  ${l}`).join("\n")}\n`);
    return null;
  }
  const names = catalogue.map((s) => s.name);
  if (positionals.length !== 1) throw new InputError(positionals.length ? `one scenario at a time, got ${positionals.join(" ")}` : "no scenario given", `valid scenarios: ${names.join(", ")}`);
  const scenario = catalogue.find((s) => s.name === positionals[0]);
  if (!scenario) throw new InputError(`unknown scenario "${positionals[0]}"`, `valid scenarios: ${names.join(", ")} (npm run scenario -- --list)`);
  const profile = (values.profile ?? "seed") as Profile;
  if (!PROFILES.includes(profile)) throw new InputError(`unknown profile "${values.profile}"`, `valid profiles: ${PROFILES.join(", ")}`);
  const sets = values.set ?? [];
  // The scenario's own overrides first, then the user's: both validated here, before any container.
  const spec = applySetOverrides(applySetOverrides(profileSpec(profile), scenario.topology), sets);
  const repeat = intOption("repeat", values.repeat, 1, 1, 1000);
  const seed = intOption("seed", values.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 53 - 1);
  const outDir = await writableDirOption("out", values.out, path.join(PROJECT_ROOT, "reports"));
  return { scenario, spec, profile, sets, repeat, seed, outDir, keep: values.keep ?? false };
}

/** The whole CLI; returns the exit code. */
export async function scenarioCli(argv: readonly string[], catalogue: readonly ScenarioDefinition[]): Promise<number> {
  const started = performance.now();
  const stamp = () => {
    const s = Math.floor((performance.now() - started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}]`;
  };
  const progress = (line: string) => process.stderr.write(`${stamp()} ${line}\n`);

  let input: ScenarioCliInput | null;
  try {
    input = await parseScenarioArgs(argv, catalogue, (s) => process.stdout.write(s));
    if (!input) return 0;
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }

  const controller = new AbortController();
  const teardown = new TeardownStack();
  const interrupts = installInterruptHandlers({ controller, teardown, log: (l) => progress(l) });
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const reportDir = path.join(input.outDir, input.scenario.name, runId);
  let code = 2;
  let reported = false;
  try {
    const docker = await getDocker();
    const reaped = await reap({ docker });
    if (reaped.removed.length) progress(`reaped ${reaped.removed.length} resource(s) left by earlier runs`);
    await mkdir(path.join(reportDir, "logs"), { recursive: true });
    progress(`${input.scenario.name}: run ${runId}, profile ${input.profile}, seed ${input.seed}, ${input.repeat} trial(s); reports → ${reportDir}`);

    let topology: ScenarioTopology | undefined;
    if (!input.keep) teardown.defer(async () => { await topology?.stop(); }, "remove the topology");
    const result = await runScenario({
      scenario: input.scenario,
      spec: input.spec,
      runId,
      options: { profile: input.profile, seed: input.seed, sets: input.sets, repeat: input.repeat, scenarioOverrides: input.scenario.topology },
      repeat: input.repeat,
      seed: input.seed,
      docker,
      signal: controller.signal,
      launch: (spec, signal) => scenarioTopology(spec, { runId, signal, logDir: path.join(reportDir, "logs"), keep: input.keep, onProgress: progress }),
      onTopology: (t) => { topology = t; },
      progress,
    });

    reported = true; // writeReports attempts every file and reports its own failure
    await writeReports(input.outDir, result);
    progress(`reports written to ${reportDir} (latest: ${path.join(input.outDir, input.scenario.name, "latest")})`);
    process.stdout.write(`${renderConsoleSummary(result)}\n`);
    if (input.keep) progress(`topology kept running (run ${runId}); remove it with: npm run topology -- down --run-id ${runId}`);
    if (result.status === "interrupted") code = 130;
    else if (result.status === "failed") code = 2; // the summary above shows the error
    else code = result.verdict === "pass" ? 0 : 1;
    if (result.verdict === "unknown" && result.status === "completed") progress("verdict unknown: no healthy baseline before the fault in at least one trial (see the report)");
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    code = controller.signal.aborted ? 130 : exitCodeFor(err);
    // The run has an id: its report exists even when it failed before any trial (no engine, ...).
    if (!reported) {
      const error = err instanceof HarnessError ? { code: err.code, message: err.message, hint: err.hint } : { code: "E_INTERNAL", message: String(err) };
      const result = buildRunResult({
        scenario: input.scenario.name, runId, startedAt, finishedAt: new Date().toISOString(), status: code === 130 ? "interrupted" : "failed", error,
        topology: { spec: input.spec, profile: input.profile, seed: input.seed, sets: input.sets }, model: null, trials: [],
      });
      await writeReports(input.outDir, result).then(() => progress(`report written to ${reportDir}`), (e: unknown) => process.stderr.write(`${formatError(e)}\n`));
    }
  } finally {
    progress("cleaning up");
    await teardown.dispose().catch((err: unknown) => {
      // Which steps failed and why (the teardown names them), and what to do: no stack trace.
      const what = err instanceof AggregateError ? err.message : formatError(err);
      process.stderr.write(`cleanup: ${what}\n  hint: what is left is labelled k8sm-chaos.run-id=${runId}; \`npm run reap\` removes it once the Docker engine answers\n`);
    });
    interrupts.uninstall();
  }
  const exitCode = controller.signal.aborted ? 130 : code;
  // A kept topology's containers still have their logs followed: those streams would keep this
  // process alive for ever (as in `topology up`). Everything is written: exit explicitly.
  if (input.keep) process.exit(exitCode);
  return exitCode;
}
