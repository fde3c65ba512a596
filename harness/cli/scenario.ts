/**
 * `npm run scenario -- <name> [--repeat N] [--set key=value ...] [--profile seed|fast] [--seed S]
 * [--out DIR] [--keep] [--list]`: parse → `executeRun` (harness/runner/execute-run.ts) → print.
 *
 * The catalogue is passed in by the entry point (scenarios/main.ts), so harness/ never imports
 * scenarios/. All input is validated before any container starts. Exit codes: 0 pass, 1 a check
 * failed (or the verdict is unknown: no healthy baseline), 2 harness error or invalid input,
 * 130 interrupted. Reports are written in every case that got as far as a run id.
 */
import path from "node:path";
import Table from "cli-table3";
import { dockerEndpoint, newRunId, RUN_ID_PATTERN } from "../docker/index.js";
import { HarnessError, InputError, type ErrorCode } from "../errors.js";
import { describeFault } from "../faults/types.js";
import { PROJECT_ROOT } from "../paths.js";
import { renderConsoleSummary } from "../reporting/text.js";
import { dockerEngine } from "../runner/docker-engine.js";
import type { RunEngine } from "../runner/engine.js";
import { executeRun } from "../runner/execute-run.js";
import { parseEngineUrl, type EngineTarget } from "../remote/engine-url.js";
import { RUN_ID_ENV, runScenarioOnEngine, STARTED_MS_ENV } from "../remote/scenario.js";
import type { TrialResult } from "../reporting/result.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { PROFILES, applySetOverrides, profileSpec, setKeysHelp, type Profile, type TopologySpec } from "../topology/spec.js";
import { intOption, writableDirOption } from "./args.js";
import { tableStyle } from "./color.js";
import { defineCommand, parseCommand, runCommand, safeWriter, type CommandArgs, type CommandSpec } from "./shell.js";

export interface ScenarioCliInput {
  scenario: ScenarioDefinition;
  spec: TopologySpec;
  profile: Profile;
  sets: string[];
  repeat: number;
  seed: number;
  outDir: string;
  keep: boolean;
  /** `--engine`: run on that engine, in a runner container (harness/remote/); absent: here, as always. */
  engine?: EngineTarget;
}

const OPTIONS = {
  repeat: { type: "string" },
  set: { type: "string", multiple: true },
  profile: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  keep: { type: "boolean" },
  list: { type: "boolean" },
  json: { type: "boolean" },
  engine: { type: "string" },
} as const;

/** Everything about the command line; `parse` returns null after printing `--list`. */
function scenarioSpec(catalogue: readonly ScenarioDefinition[], out: (s: string) => void): CommandSpec<typeof OPTIONS, ScenarioCliInput | null> {
  const names = catalogue.map((s) => s.name);
  return {
    name: "scenario",
    usage: "npm run scenario -- <name> [--repeat N] [--set key=value ...] [--profile seed|fast] [--seed S] [--out DIR] [--keep] [--engine URL] | --list [--json]",
    summary: "Launches the HA topology, injects the scenario's fault in each trial, checks what the probes saw, and writes the reports.",
    options: OPTIONS,
    optionHelp: {
      repeat: ["N", "trials on one topology (default 1; 1..1000)"],
      set: ["key=value", "override a topology setting (repeatable; see --list for keys)"],
      profile: ["P", "seed (the real defaults: ttl 30 s, sleep 5 s, file-check 20 s) | fast (small timers) (default seed)"],
      seed: ["S", "seed for the fault's random phase (integer; default: random, printed)"],
      out: ["DIR", "reports root (default reports/)"],
      keep: "leave the topology running afterwards (remove it with npm run topology -- down)",
      list: "list the scenarios and the --set keys",
      json: "with --list: print the catalogue as JSON (scenarios, --set keys, profiles)",
      engine: ["URL", "run on this Docker engine (unix:///path, tcp://host:port, ssh://user@host; TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH), in a runner container beside the topology; the reports come back to --out (docs/ENGINES.md)"],
    },
    positionals: { name: "scenario", choices: names, min: 0, max: 1 },
    epilog: `scenarios: ${names.join(", ")}`,
    parse: async ({ values, positionals }: CommandArgs<typeof OPTIONS>) => {
      if (values.json && !values.list) throw new InputError("--json goes with --list", "npm run scenario -- --list --json");
      if (values.list) {
        if (values.json) {
          out(`${JSON.stringify(catalogueJson(catalogue), null, 2)}\n`);
          return null;
        }
        const table = new Table({ head: ["scenario", "fault", "description"], colWidths: [24, 40, 52], wordWrap: true, style: tableStyle() });
        for (const s of catalogue) table.push([s.name, describeFault(s.fault), s.description]);
        out(`${table.toString()}\n\n--set keys:\n${setKeysHelp().map((l) => `  ${l}`).join("\n")}\n`);
        return null;
      }
      const scenario = catalogue.find((s) => s.name === positionals[0]);
      if (!scenario) throw new InputError("no scenario given", `valid scenarios: ${names.join(", ")} (npm run scenario -- --list)`);
      const profile = (values.profile ?? "seed") as Profile;
      if (!PROFILES.includes(profile)) throw new InputError(`unknown profile "${values.profile}"`, `valid profiles: ${PROFILES.join(", ")}`);
      const sets = values.set ?? [];
      // The scenario's own overrides first, then the user's: both validated here, before any container.
      const spec = applySetOverrides(applySetOverrides(profileSpec(profile), scenario.topology), sets);
      const repeat = intOption("repeat", values.repeat, 1, 1, 1000);
      const seed = intOption("seed", values.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 53 - 1);
      const outDir = await writableDirOption("out", values.out, path.join(PROJECT_ROOT, "reports"));
      const engine = values.engine === undefined ? undefined : parseEngineUrl(values.engine);
      return { scenario, spec, profile, sets, repeat, seed, outDir, keep: values.keep ?? false, ...(engine ? { engine } : {}) };
    },
  };
}

/** `--list --json`: what `--list` prints, for programs. */
export function catalogueJson(catalogue: readonly ScenarioDefinition[]): object {
  return {
    scenarios: catalogue.map((s) => ({ name: s.name, description: s.description, fault: { ...s.fault, description: describeFault(s.fault) }, topology: s.topology, model: s.model, expect: s.expect })),
    setKeys: setKeysHelp().map((line) => ({ key: line.slice(0, line.indexOf("=")), value: line.slice(line.indexOf("=") + 1) })),
    profiles: PROFILES,
  };
}

/** Parses and validates everything; throws InputError (exit 2). Returns null for --list/--help/--version (already printed). */
export async function parseScenarioArgs(argv: readonly string[], catalogue: readonly ScenarioDefinition[], out: (s: string) => void): Promise<ScenarioCliInput | null> {
  return (await parseCommand(scenarioSpec(catalogue, out), argv, { stdout: out })) ?? null;
}

/** The whole CLI: parse → executeRun → print. Returns the exit code. */
export async function scenarioCli(argv: readonly string[], catalogue: readonly ScenarioDefinition[]): Promise<number> {
  let kept = false;
  const command = defineCommand({
    ...scenarioSpec(catalogue, (s) => process.stdout.write(s)),
    async run({ input, signal, progress, out, setCleanupHint, workDone, teardown, elapsedMs }) {
      if (!input) return 0;
      // A runner container (harness/remote/) runs with the id its caller chose.
      const inherited = process.env[RUN_ID_ENV];
      const runId = inherited && RUN_ID_PATTERN.test(inherited) ? inherited : newRunId();
      kept = input.keep;
      setCleanupHint(`what is left is labelled k8sm-chaos.run-id=${runId}; \`npm run reap${input.engine ? ` -- --engine ${input.engine.url}` : ""}\` removes it once the Docker engine answers`);
      if (input.engine) {
        progress(`${input.scenario.name}: run ${runId} on ${input.engine.url}, profile ${input.profile}, seed ${input.seed}, ${input.repeat} trial(s); reports → ${path.join(input.outDir, input.scenario.name, runId)}`);
        const [stdout, stderr] = [safeWriter(process.stdout), safeWriter(process.stderr)];
        const remote = await runScenarioOnEngine({
          target: input.engine, runId, scenario: input.scenario.name, args: rerunArgs(input).slice(1), outDir: input.outDir,
          signal, teardown, progress, stdout: (c) => stdout(c.toString()), stderr: (c) => stderr(c.toString()), startedAtMs: Date.now() - elapsedMs(),
        });
        progress(remote.reportDir ? `reports copied to ${remote.reportDir}` : `no report came back from ${input.engine.url}`);
        if (remote.code === null) throw new HarnessError("E_DOCKER_UNAVAILABLE", `the run on ${input.engine.url} ended without an exit code`, "See the output above; `npm run reap -- --engine URL` removes what is left.");
        if (remote.code !== 130) workDone();
        return remote.code;
      }
      const engine = await dockerEngine().catch((err: unknown) => unavailableEngine(err));
      progress(`${input.scenario.name}: run ${runId}, profile ${input.profile}, seed ${input.seed}, ${input.repeat} trial(s); reports → ${path.join(input.outDir, input.scenario.name, runId)}`);
      const { result, reportDir, reportError } = await executeRun(
        { scenario: input.scenario, spec: input.spec, repeat: input.repeat, seed: input.seed, options: { profile: input.profile, sets: input.sets, scenarioOverrides: input.scenario.topology } },
        { engine, signal, outDir: input.outDir, runId, keep: input.keep, progress, invocation: { argv, rerun: rerunCommand(input) } },
      );
      if (reportError) {
        // No complete report on disk (a full disk): what the run found is said here at least.
        out(renderConsoleSummary(result));
        throw reportError;
      }
      // A Ctrl-C that came while the reports were written cut nothing: the report stands, and so does its exit code.
      if (result.status !== "interrupted") workDone();
      progress(`reports written to ${reportDir} (latest: ${path.join(input.outDir, input.scenario.name, "latest")})`);
      out(renderConsoleSummary(result));
      if (input.keep && result.status === "completed") progress(`topology kept running (run ${runId}); remove it with: npm run topology -- down --run-id ${runId}`);
      if (result.status === "failed") throw new HarnessError(result.error!.code as ErrorCode, result.error!.message, result.error!.hint);
      if (result.status === "interrupted") return 130;
      if (result.verdict === "unknown") progress(`verdict unknown: ${unknownReasons(result.trials).join("; ")} (see the report)`);
      return result.verdict === "pass" ? 0 : 1;
    },
  });
  const code = await runCommand(command, argv, { startedAtMs: inheritedStart() });
  // A kept topology's containers still have their logs followed: those streams would keep this
  // process alive for ever (as in `topology up`). Everything is written: exit explicitly.
  if (kept) process.exit(code);
  return code;
}

/** In a runner container (harness/remote/): when the command that started it started (epoch ms), so both print one clock. */
function inheritedStart(): number | undefined {
  const t = Number(process.env[STARTED_MS_ENV]);
  return Number.isFinite(t) && t <= Date.now() && t > Date.now() - 24 * 3_600_000 ? t : undefined;
}

/** Why each trial whose verdict is unknown is: its note when it never injected, else its checks that could not tell. */
export function unknownReasons(trials: readonly TrialResult[]): string[] {
  return trials.flatMap((t) => {
    if (t.verdict !== "unknown") return [];
    const notes = t.history.flatMap((e) => (e.kind === "note" && /^(no steady state|trial cut short|fault delivered)/.test(String(e.text)) ? [String(e.text)] : []));
    const checks = t.checks.filter((c) => c.verdict === "unknown").map((c) => `${c.name}: ${c.message}`);
    return [`trial ${t.index + 1}: ${[...notes, ...checks].join("; ") || "see its checks"}`];
  });
}

/** The command that reruns this run with its seed pinned. */
export function rerunCommand(input: ScenarioCliInput): string {
  const args = rerunArgs(input);
  return `npm run scenario -- ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ")}`;
}

/** The arguments that rerun this run with its seed pinned (the name first; --keep with --engine: the runner keeps its topology). */
function rerunArgs(input: ScenarioCliInput): string[] {
  return [input.scenario.name, "--profile", input.profile, "--repeat", String(input.repeat), "--seed", String(input.seed), ...input.sets.flatMap((s) => ["--set", s]), ...(input.engine && input.keep ? ["--keep"] : [])];
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
