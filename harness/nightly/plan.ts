/**
 * The nightly plan (scenarios/nightly.yaml, docs/NIGHTLY.md): which profile, how many trials per
 * scenario, and the regression gate's thresholds, as data. Parsed and validated here before any
 * container starts; every error names the field (`scenarios.kill-leader.repeat: ...`) and the file.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { didYouMean } from "../cli/shell.js";
import { InputError } from "../errors.js";
import { MEASURE_NAMES, type MeasureName } from "../measures/measures.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { PROFILES, type Profile } from "../topology/spec.js";

/** The statistic a threshold compares: the median or the 90th percentile of a scenario's trials. */
export type GateStat = "p50" | "p90";
export const GATE_STATS: readonly GateStat[] = ["p50", "p90"];

/**
 * One threshold, like a k6 threshold: `stat` of `measure` may not grow by more than `maxIncrease`
 * (a fraction: 0.2 = +20 %) over the baseline's, with the bootstrap interval of the shift at
 * `level` excluding zero; and, when `minShift` is set, by at least that much (the measure's unit).
 */
export interface Threshold {
  readonly measure: MeasureName;
  readonly stat: GateStat;
  readonly maxIncrease: number;
  /** Confidence level of the bootstrap interval of the shift. @default 0.95 */
  readonly level: number;
  /** An absolute floor on the shift's estimate, in the measure's unit (ms for times). @default 0 */
  readonly minShift: number;
}

export interface PlannedScenario {
  readonly scenario: ScenarioDefinition;
  /** Trials on one topology (one run). */
  readonly repeat: number;
  /** Pinned seed of the fault's phase, when the plan gives one; else derived from the night's seed. */
  readonly seed?: number;
  /** The gate's thresholds for this scenario (the plan's defaults unless it lists its own). */
  readonly thresholds: readonly Threshold[];
}

export interface NightlyPlan {
  readonly file: string;
  readonly profile: Profile;
  /** The scenarios the plan lists, in catalogue order. */
  readonly scenarios: readonly PlannedScenario[];
}

const TOP_KEYS = ["profile", "defaults", "thresholds", "scenarios"];
const DEFAULT_KEYS = ["repeat"];
const SCENARIO_KEYS = ["repeat", "seed", "thresholds"];
const THRESHOLD_KEYS = ["measure", "stat", "maxIncrease", "level", "minShift"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads and validates a plan file; every problem is an InputError naming the file and the field. */
export async function loadNightlyPlan(file: string, catalogue: readonly ScenarioDefinition[]): Promise<NightlyPlan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read the nightly plan ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "give an existing file with --plan (default scenarios/nightly.yaml)");
  }
  return parseNightlyPlan(text, file, catalogue);
}

/** Parses plan text (YAML or JSON); `file` names it in errors. */
export function parseNightlyPlan(text: string, file: string, catalogue: readonly ScenarioDefinition[]): NightlyPlan {
  const fail = (field: string, message: string, hint?: string): never => {
    throw new InputError(`${file}: ${field}: ${message}`, hint ?? "docs/NIGHTLY.md describes the plan file; scenarios/nightly.yaml is the checked-in one");
  };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`, "docs/NIGHTLY.md describes the plan file");
  }
  if (!isObj(doc)) fail("(top)", "expected a mapping with profile, defaults, thresholds and scenarios");
  const top = doc as Obj;
  unknownKeys(top, TOP_KEYS, "(top)", fail);

  const profile = top.profile ?? "seed";
  if (typeof profile !== "string" || !PROFILES.includes(profile as Profile)) fail("profile", `expected one of ${PROFILES.join(", ")}, got ${JSON.stringify(profile)}`);

  const defaults = top.defaults ?? {};
  if (!isObj(defaults)) fail("defaults", "expected a mapping (repeat)");
  unknownKeys(defaults as Obj, DEFAULT_KEYS, "defaults", fail);
  const defaultRepeat = (defaults as Obj).repeat === undefined ? 3 : int((defaults as Obj).repeat, "defaults.repeat", 1, 1000, fail);

  const defaultThresholds = top.thresholds === undefined ? [] : thresholds(top.thresholds, "thresholds", fail);

  const listed = top.scenarios ?? {};
  if (!isObj(listed)) fail("scenarios", "expected a mapping of scenario name → { repeat, seed, thresholds }");
  const names = catalogue.map((s) => s.name);
  for (const name of Object.keys(listed as Obj)) {
    if (!names.includes(name)) {
      const guess = didYouMean(name, names);
      fail(`scenarios.${name}`, `no such scenario${guess ? `; did you mean ${guess}?` : ""}`, `scenarios: ${names.join(", ")}`);
    }
  }
  // Exactly the scenarios listed, in catalogue order (scenarios/nightly.test.ts makes the checked-in plan list them all).
  const scenarios = catalogue.filter((s) => Object.hasOwn(listed as Obj, s.name)).map((scenario): PlannedScenario => {
    const field = `scenarios.${scenario.name}`;
    const entry = (listed as Obj)[scenario.name] ?? {};
    if (!isObj(entry)) fail(field, "expected a mapping (repeat, seed, thresholds); {} for the defaults");
    const e = entry as Obj;
    unknownKeys(e, SCENARIO_KEYS, field, fail);
    return {
      scenario,
      repeat: e.repeat === undefined ? defaultRepeat : int(e.repeat, `${field}.repeat`, 1, 1000, fail),
      ...(e.seed === undefined ? {} : { seed: int(e.seed, `${field}.seed`, 0, Number.MAX_SAFE_INTEGER, fail) }),
      thresholds: e.thresholds === undefined ? defaultThresholds : thresholds(e.thresholds, `${field}.thresholds`, fail),
    };
  });
  if (!scenarios.length) fail("scenarios", "lists no scenario", `list the scenarios to run, e.g. scenarios: { kill-leader: {} }; all: ${names.join(", ")}`);
  return { file, profile: profile as Profile, scenarios };
}

type Fail = (field: string, message: string, hint?: string) => never;

function unknownKeys(o: Obj, valid: readonly string[], field: string, fail: Fail): void {
  for (const k of Object.keys(o)) {
    if (valid.includes(k)) continue;
    const guess = didYouMean(k, valid);
    fail(field === "(top)" ? k : `${field}.${k}`, `unknown field${guess ? `; did you mean ${guess}?` : ""}`, `valid fields here: ${valid.join(", ")}`);
  }
}

function int(v: unknown, field: string, min: number, max: number, fail: Fail): number {
  if (typeof v !== "number" || !Number.isInteger(v)) return fail(field, `expected an integer, got ${JSON.stringify(v)}`);
  if (v < min || v > max) fail(field, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** `20%` or `0.2` → 0.2. */
function fraction(v: unknown, field: string, fail: Fail): number {
  const n = typeof v === "string" && /^\s*\d+(\.\d+)?\s*%\s*$/.test(v) ? Number(v.trim().slice(0, -1)) / 100 : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > 10) return fail(field, `expected a percentage like "20%" or a fraction like 0.2 (0 to 10), got ${JSON.stringify(v)}`);
  return n;
}

function thresholds(v: unknown, field: string, fail: Fail): Threshold[] {
  if (!Array.isArray(v)) return fail(field, "expected a list of { measure, stat, maxIncrease, level?, minShift? }");
  return v.map((t: unknown, i): Threshold => {
    const f = `${field}[${i}]`;
    if (!isObj(t)) return fail(f, "expected a mapping { measure, stat, maxIncrease, level?, minShift? }");
    unknownKeys(t, THRESHOLD_KEYS, f, fail);
    if (typeof t.measure !== "string" || !(MEASURE_NAMES as readonly string[]).includes(t.measure)) {
      const guess = typeof t.measure === "string" ? didYouMean(t.measure, MEASURE_NAMES) : undefined;
      fail(`${f}.measure`, `unknown measure ${JSON.stringify(t.measure)}${guess ? `; did you mean ${guess}?` : ""}`, `measures (docs/MEASURES.md): ${MEASURE_NAMES.join(", ")}`);
    }
    const stat = t.stat ?? "p50";
    if (!GATE_STATS.includes(stat as GateStat)) fail(`${f}.stat`, `expected ${GATE_STATS.join(" or ")}, got ${JSON.stringify(stat)}`);
    if (t.maxIncrease === undefined) fail(`${f}.maxIncrease`, "missing (e.g. \"20%\")");
    const level = t.level ?? 0.95;
    if (typeof level !== "number" || !(level > 0.5 && level < 1)) fail(`${f}.level`, `expected a confidence level between 0.5 and 1 (e.g. 0.95), got ${JSON.stringify(level)}`);
    const minShift = t.minShift ?? 0;
    if (typeof minShift !== "number" || !Number.isFinite(minShift) || minShift < 0) fail(`${f}.minShift`, `expected a number ≥ 0 in the measure's unit, got ${JSON.stringify(minShift)}`);
    return { measure: t.measure as MeasureName, stat: stat as GateStat, maxIncrease: fraction(t.maxIncrease, `${f}.maxIncrease`, fail), level: level as number, minShift: minShift as number };
  });
}
