/**
 * A study is data: which scenario, which profile, which factors (any `--set` key → its values),
 * how many replicates per cell, the false-failover arm, the target and the batch size
 * (docs/STUDY.md). Read from YAML or JSON, or built from the command line's `--grid`; validated
 * here with errors that name the field, before anything starts.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { InputError } from "../errors.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { parseGoDurationMs } from "../topology/go-duration.js";
import { applySetOverrides, PROFILES, profileSpec, type Profile } from "../topology/spec.js";

/** The arm that counts failovers which must not happen: an etcd fault on a system that must keep its leader. */
export interface FalseFailoverArm {
  /** A catalogue scenario whose `expect.failover` is false. @default "kill-etcd-leader" */
  readonly scenario: string;
  /** Trials per cell of the arm (its cells: the study's cells projected on `factors`). 0 turns the arm off. @default 10 */
  readonly replicates: number;
  /**
   * The factors that can change the false-failover rate (the podmaster's lease timers): the arm
   * runs once per combination of their values; other factors take their first value.
   * @default the study's factors among ttl-secs and sleep
   */
  readonly factors: readonly string[];
}

export interface StudyDefinition {
  /** kebab-case; the report folder is reports/studies/<name>/<id>/. */
  readonly name: string;
  readonly description?: string;
  /** A catalogue scenario that fails over (e.g. kill-leader). */
  readonly scenario: string;
  readonly profile: Profile;
  /** `--set` key → the values it takes, in `--set` syntax (`10`, `5s`); the grid is their product. */
  readonly factors: Readonly<Record<string, readonly string[]>>;
  /** More `--set key=value` applied to every cell (after the profile and the scenario's own). @default [] */
  readonly sets: readonly string[];
  /** Trials per cell. */
  readonly replicates: number;
  /** Seeds the order of the batches and each batch's fault phases. */
  readonly seed: number;
  /** Trials per topology (one `executeRun` with this repeat): a launch costs about as much as 2–3 trials. @default 5 */
  readonly batchSize: number;
  /** Upper bound (Wilson 95 %) the recommended setting's false-failover rate must stay under, as a fraction. @default 0.01 */
  readonly target: number;
  readonly falseFailover: FalseFailoverArm;
}

export const STUDY_DEFAULTS = { batchSize: 5, target: 0.01, falseFailover: { scenario: "kill-etcd-leader", replicates: 10 } } as const;
/** Factors that set the lease's timing, so the false-failover rate (§1.3: T/2 − S is the slack). */
export const LEASE_FACTORS = ["ttl-secs", "sleep"] as const;

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const KEYS = ["name", "description", "scenario", "profile", "factors", "sets", "replicates", "seed", "batchSize", "target", "falseFailover"];
const FF_KEYS = ["scenario", "replicates", "factors"];

/** A study file's text (YAML is a superset of JSON), validated; `source` names it in errors. */
export function parseStudyText(text: string, source: string, catalogue: readonly ScenarioDefinition[], defaults: { seed?: number } = {}): StudyDefinition {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new InputError(`${source}: not valid YAML/JSON: ${(err as Error).message.split("\n")[0]}`, "fix the syntax (docs/STUDY.md shows an example)");
  }
  return validateStudy(raw, source, catalogue, defaults);
}

export async function readStudyFile(file: string, catalogue: readonly ScenarioDefinition[], defaults: { seed?: number } = {}): Promise<StudyDefinition> {
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the study file ${file}: ${err.code ?? err.message}`, "give a path to a .yaml or .json study file, or a shorthand (npm run study -- --list)");
  });
  return parseStudyText(text, path.basename(file), catalogue, defaults);
}

/**
 * Checks every field of a study (parsed YAML/JSON, or the command line's) and fills the defaults.
 * Each error names the field (`factors.ttl-secs[1]`) and says what is expected.
 */
export function validateStudy(raw: unknown, source: string, catalogue: readonly ScenarioDefinition[], defaults: { seed?: number } = {}): StudyDefinition {
  const fail = (field: string, problem: string, hint = "docs/STUDY.md lists the fields"): never => {
    throw new InputError(`${source}: ${field}: ${problem}`, hint);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("(top level)", "expected a mapping of fields");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(k, "unknown field", `valid fields: ${KEYS.join(", ")}`);

  const str = (field: string, v: unknown): string => (typeof v === "string" && v.trim() ? v.trim() : fail(field, `expected a non-empty string, got ${JSON.stringify(v)}`));
  const int = (field: string, v: unknown, min: number, max: number): number =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : fail(field, `expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);

  const name = str("name", o.name);
  if (!NAME.test(name)) fail("name", `"${name}" is not kebab-case (a-z, 0-9, single dashes)`);
  const names = catalogue.map((s) => s.name);
  const scenarioName = str("scenario", o.scenario);
  const scenario = catalogue.find((s) => s.name === scenarioName) ?? fail("scenario", `unknown scenario "${scenarioName}"`, `valid scenarios: ${names.join(", ")}`);
  if (!scenario.expect.failover || scenario.model === null) fail("scenario", `${scenarioName} has no failover to time`, `a study times a failover: ${catalogue.filter((s) => s.expect.failover).map((s) => s.name).join(", ")}`);
  const profile = (o.profile === undefined ? "seed" : str("profile", o.profile)) as Profile;
  if (!PROFILES.includes(profile)) fail("profile", `unknown profile "${profile}"`, `valid profiles: ${PROFILES.join(", ")}`);

  if (typeof o.factors !== "object" || o.factors === null || Array.isArray(o.factors)) fail("factors", "expected a mapping of --set key → list of values", "e.g. factors: { ttl-secs: [10, 20, 30] }");
  const factors: Record<string, string[]> = {};
  for (const [key, vs] of Object.entries(o.factors as Record<string, unknown>)) {
    if (!Array.isArray(vs) || vs.length === 0) fail(`factors.${key}`, "expected a non-empty list of values");
    const values = (vs as unknown[]).map((v, i) => (typeof v === "number" || (typeof v === "string" && v.trim()) ? String(v).trim() : fail(`factors.${key}[${i}]`, `expected a number or a string, got ${JSON.stringify(v)}`)));
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) fail(`factors.${key}`, `the value ${dup} is listed twice`);
    factors[key] = values;
  }
  if (!Object.keys(factors).length) fail("factors", "at least one factor is needed");
  const sets = o.sets === undefined ? [] : Array.isArray(o.sets) ? o.sets.map((s, i) => str(`sets[${i}]`, s)) : fail("sets", "expected a list of key=value");
  const factorKeys = Object.keys(factors);
  for (const s of sets) if (factorKeys.includes(s.slice(0, s.indexOf("=")).trim())) fail("sets", `${s} sets a factor (${s.slice(0, s.indexOf("="))}); list it under factors only`);

  // Every cell's topology must be valid: applySetOverrides says which value is not (InputError names the key).
  const base = applySetOverrides(profileSpec(profile), scenario.topology);
  for (const [key, values] of Object.entries(factors)) {
    for (const [i, v] of values.entries()) {
      try {
        applySetOverrides(base, [...sets, `${key}=${v}`]);
      } catch (err) {
        fail(`factors.${key}[${i}]`, (err as Error).message, (err as InputError).hint);
      }
    }
  }

  const replicates = int("replicates", o.replicates, 1, 10_000);
  const seed = o.seed === undefined ? (defaults.seed ?? Math.floor(Math.random() * 2 ** 31)) : int("seed", o.seed, 0, 2 ** 53 - 1);
  const batchSize = o.batchSize === undefined ? STUDY_DEFAULTS.batchSize : int("batchSize", o.batchSize, 1, 1000);
  const target =
    o.target === undefined ? STUDY_DEFAULTS.target : typeof o.target === "number" && o.target > 0 && o.target < 1 ? o.target : fail("target", `expected a fraction in (0, 1), e.g. 0.01 for 1 %, got ${JSON.stringify(o.target)}`);

  const ffRaw = o.falseFailover ?? {};
  if (typeof ffRaw !== "object" || ffRaw === null || Array.isArray(ffRaw)) fail("falseFailover", "expected a mapping (scenario, replicates, factors)");
  const ff = ffRaw as Record<string, unknown>;
  for (const k of Object.keys(ff)) if (!FF_KEYS.includes(k)) fail(`falseFailover.${k}`, "unknown field", `valid fields: ${FF_KEYS.join(", ")}`);
  const ffName = ff.scenario === undefined ? STUDY_DEFAULTS.falseFailover.scenario : str("falseFailover.scenario", ff.scenario);
  const ffReplicates = ff.replicates === undefined ? STUDY_DEFAULTS.falseFailover.replicates : int("falseFailover.replicates", ff.replicates, 0, 10_000);
  // An arm that is off runs no scenario: a catalogue without the default one (the bench's) is fine.
  const ffScenario = catalogue.find((s) => s.name === ffName) ?? (ffReplicates === 0 ? undefined : fail("falseFailover.scenario", `unknown scenario "${ffName}"`, `valid scenarios: ${names.join(", ")}`));
  if (ffScenario && (ffScenario.expect.failover || ffScenario.fault.kind === "none")) {
    fail("falseFailover.scenario", `${ffName} ${ffScenario.fault.kind === "none" ? "has no fault" : "expects a failover"}`, `the arm needs a fault that must not cause one: ${catalogue.filter((s) => !s.expect.failover && s.fault.kind !== "none").map((s) => s.name).join(", ")}`);
  }
  const ffFactors =
    ff.factors === undefined
      ? factorKeys.filter((k) => (LEASE_FACTORS as readonly string[]).includes(k))
      : Array.isArray(ff.factors)
        ? ff.factors.map((f, i) => (typeof f === "string" && factorKeys.includes(f) ? f : fail(`falseFailover.factors[${i}]`, `${JSON.stringify(f)} is not one of the study's factors (${factorKeys.join(", ")})`)))
        : fail("falseFailover.factors", "expected a list of factor names");
  return Object.freeze({
    name,
    ...(o.description !== undefined ? { description: str("description", o.description) } : {}),
    scenario: scenarioName,
    profile,
    factors,
    sets,
    replicates,
    seed,
    batchSize,
    target,
    falseFailover: { scenario: ffName, replicates: ffReplicates, factors: ffFactors },
  });
}

/**
 * A factor value as a number for the linear model: a Go duration in seconds (`5s` → 5), a plain
 * number as itself (ttl-secs is in seconds), else null (a categorical factor, left out of the fit).
 */
export function numericValue(value: string): number | null {
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) return Number(value);
  try {
    return parseGoDurationMs(value) / 1000;
  } catch {
    return null;
  }
}
