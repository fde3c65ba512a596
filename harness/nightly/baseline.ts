/**
 * The gate's baseline: per scenario, the raw per-trial values of each measure (so the bootstrap
 * can resample them) and the run's wall time (so the schedule can use it). Either a committed file
 * `baselines/nightly-<profile>.json` written by `--update-baseline`, or a previous night's
 * `nightly.json` given with `--baseline`: both are read into the same shape.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../errors.js";
import { MEASURE_NAMES, type MeasureName } from "../measures/measures.js";
import type { NightlyResult } from "./types.js";

export const BASELINE_SCHEMA_VERSION = 1;

export interface BaselineScenario {
  readonly repeat: number;
  /** The run's wall time, ms. */
  readonly durationMs: number;
  /** Run ids the values come from. */
  readonly runIds: readonly string[];
  /** Per-trial values; null where the trial had none. */
  readonly measures: Partial<Record<MeasureName, (number | null)[]>>;
}

/** The file `--update-baseline` writes. */
export interface BaselineFile {
  readonly schemaVersion: typeof BASELINE_SCHEMA_VERSION;
  readonly kind: "nightly-baseline";
  readonly profile: string;
  /** The night it was made from. */
  readonly nightly: string;
  readonly createdAt: string;
  readonly commit: string;
  /** `--set` overrides of that night (normally none). */
  readonly sets: readonly string[];
  readonly scenarios: Readonly<Record<string, BaselineScenario>>;
}

/** A baseline as the gate reads it, whichever file it came from. */
export interface Baseline {
  readonly file: string;
  readonly kind: "baseline" | "nightly";
  readonly id: string;
  readonly createdAt: string;
  readonly profile: string;
  readonly sets: readonly string[];
  readonly scenarios: Readonly<Record<string, BaselineScenario>>;
}

export function baselineFileFor(dir: string, profile: string): string {
  return path.join(dir, `nightly-${profile}.json`);
}

/** Reads a baseline file or a nightly.json; InputError (exit 2) when it is neither, or of another profile. */
export async function readBaseline(file: string, profile: string): Promise<Baseline> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new InputError(`cannot read the baseline ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "give a baselines/nightly-<profile>.json or a previous night's nightly.json, or make one with --update-baseline");
  }
  const j = json as Partial<BaselineFile> & Partial<NightlyResult>;
  let b: Baseline;
  if (j.kind === "nightly-baseline" && typeof j.scenarios === "object" && j.scenarios !== null) {
    b = { file, kind: "baseline", id: String(j.nightly), createdAt: String(j.createdAt), profile: String(j.profile), sets: j.sets ?? [], scenarios: j.scenarios as Record<string, BaselineScenario> };
  } else if (typeof j.id === "string" && Array.isArray(j.scenarios)) {
    b = { file, kind: "nightly", id: j.id, createdAt: String(j.startedAt), profile: String(j.profile), sets: j.sets ?? [], scenarios: fromNightly(j as NightlyResult) };
  } else {
    throw new InputError(`${file} is neither a nightly baseline nor a nightly.json`, "give a baselines/nightly-<profile>.json or reports/nightly/<id>/nightly.json");
  }
  if (b.profile !== profile) throw new InputError(`the baseline ${file} is of the ${b.profile} profile, tonight's is ${profile}`, `compare like with like: --profile ${b.profile}, or a baseline of the ${profile} profile`);
  return b;
}

/** A night's scenarios that can serve as a baseline: those that passed (or passed on rerun). */
function fromNightly(n: Pick<NightlyResult, "scenarios">): Record<string, BaselineScenario> {
  const out: Record<string, BaselineScenario> = {};
  for (const s of n.scenarios) {
    if (s.status !== "pass" && s.status !== "flaky") continue;
    const counted = s.attempts.at(-1)!;
    out[s.name] = { repeat: s.repeat, durationMs: counted.durationMs, runIds: [counted.runId], measures: s.measures };
  }
  return out;
}

/**
 * The baseline `--update-baseline` writes from tonight: tonight's passing scenarios, over the old
 * file's entries (a scenario that failed or did not run tonight keeps its previous values).
 */
export function baselineFrom(night: NightlyResult, previous: Baseline | null): BaselineFile {
  const scenarios: Record<string, BaselineScenario> = { ...(previous?.kind === "baseline" ? previous.scenarios : {}), ...fromNightly(night) };
  for (const s of Object.values(scenarios)) {
    for (const k of Object.keys(s.measures)) if (!(MEASURE_NAMES as readonly string[]).includes(k)) delete (s.measures as Record<string, unknown>)[k];
  }
  return { schemaVersion: BASELINE_SCHEMA_VERSION, kind: "nightly-baseline", profile: night.profile, nightly: night.id, createdAt: night.finishedAt, commit: night.harness.commit, sets: night.sets, scenarios };
}

/** Written under a temporary name and renamed: whole or absent. */
export async function writeBaseline(file: string, b: BaselineFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    await writeFile(tmp, `${JSON.stringify(b, null, 2)}\n`);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
