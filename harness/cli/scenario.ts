/**
 * `npm run scenario -- <name> [--repeat N] [--set key=value ...] [--profile seed|fast] [--seed S]
 * [--out DIR] [--keep] [--list]`
 *
 * The catalogue is passed in by the entry point (scenarios/main.ts), so harness/ never imports
 * scenarios/. All input is validated before any container starts. Exit codes: 0 pass, 1 a check
 * failed (or the verdict is unknown: no healthy baseline), 2 harness error or invalid input,
 * 130 interrupted. Reports are written in every case that got as far as a run id.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { dockerEndpoint, newRunId } from "../docker/index.js";
import { intOption, writableDirOption } from "./args.js";
import { HarnessError, InputError, exitCodeFor, formatError, type ErrorCode } from "../errors.js";
import { describeFault } from "../faults/types.js";
import { TeardownStack, installInterruptHandlers } from "../lifecycle/index.js";
import { renderConsoleSummary } from "../reporting/text.js";
import { dockerEngine } from "../runner/docker-engine.js";
import type { RunEngine } from "../runner/engine.js";
import { executeRun } from "../runner/execute-run.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { PROFILES, applySetOverrides, profileSpec, setKeysHelp, type Profile, type TopologySpec } from "../topology/spec.js";

import { PROJECT_ROOT } from "../paths.js";

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

/** The whole CLI: parse → executeRun → print. Returns the exit code. */
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
  const interrupts = installInterruptHandlers({ controller, teardown: new TeardownStack(), log: (l) => progress(l) });
  const runId = newRunId();
  let code: number;
  try {
    const engine = await dockerEngine().catch((err: unknown) => unavailableEngine(err));
    progress(`${input.scenario.name}: run ${runId}, profile ${input.profile}, seed ${input.seed}, ${input.repeat} trial(s); reports → ${path.join(input.outDir, input.scenario.name, runId)}`);
    const { result, reportDir, reportError } = await executeRun(
      {
        scenario: input.scenario,
        spec: input.spec,
        repeat: input.repeat,
        seed: input.seed,
        options: { profile: input.profile, sets: input.sets, scenarioOverrides: input.scenario.topology },
      },
      { engine, signal: controller.signal, outDir: input.outDir, runId, keep: input.keep, progress, invocation: { argv, rerun: rerunCommand(input) } },
    );
    if (reportError) process.stderr.write(`${formatError(reportError)}\n`);
    else progress(`reports written to ${reportDir} (latest: ${path.join(input.outDir, input.scenario.name, "latest")})`);
    if (result.error && result.status === "failed") process.stderr.write(`${formatError(new HarnessError(result.error.code as ErrorCode, result.error.message, result.error.hint))}\n`);
    process.stdout.write(`${renderConsoleSummary(result)}\n`);
    if (input.keep && result.status !== "failed") progress(`topology kept running (run ${runId}); remove it with: npm run topology -- down --run-id ${runId}`);
    if (result.status === "interrupted") code = 130;
    else if (result.status === "failed" || reportError) code = 2;
    else code = result.verdict === "pass" ? 0 : 1;
    if (result.verdict === "unknown" && result.status === "completed") progress("verdict unknown: no healthy baseline before the fault in at least one trial (see the report)");
  } finally {
    interrupts.uninstall();
  }
  const exitCode = controller.signal.aborted ? 130 : code;
  // A kept topology's containers still have their logs followed: those streams would keep this
  // process alive for ever (as in `topology up`). Everything is written: exit explicitly.
  if (input.keep) process.exit(exitCode);
  return exitCode;
}

/** The command that reruns this run with its seed pinned. */
export function rerunCommand(input: ScenarioCliInput): string {
  const args = [input.scenario.name, "--profile", input.profile, "--repeat", String(input.repeat), "--seed", String(input.seed), ...input.sets.flatMap((s) => ["--set", s])];
  return `npm run scenario -- ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ")}`;
}

/**
 * An engine for a run that cannot reach Docker: launching fails with the engine's error, so the run
 * still gets its id and its report (status failed) like any other failure.
 */
function unavailableEngine(err: unknown): RunEngine {
  const fail = async (): Promise<never> => {
    throw err;
  };
  return { endpoint: dockerEndpoint(), reap: async () => 0, launch: fail, probes: () => [], workload: () => ({ createPod: fail, deletePod: fail }), version: async () => null };
}
