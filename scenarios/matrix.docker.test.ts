/**
 * The proof matrix (docs/MATRIX.md), fast profile: every scenario passes
 * `--repeat PROOF_REPEAT.correct` on the correct system, and fails, with the check the matrix names,
 * on each planted bug it exists to catch. The runs go through `executeRun` in this process, two
 * topologies at a time (each its own network, names and report folder), and every report they
 * write is validated against docs/result.schema.json.
 *
 * A summary of every run (verdicts, failed checks, report folder) is written to
 * build/matrix-results.json, to read after the run.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySetOverrides, dockerEngine, executeRun, profileSpec, validateRunReport, type RunResult } from "../harness/index.js";
import { scenarios } from "./index.js";
import { PROOF_MATRIX, PROOF_REPEAT, type ProofCase } from "./matrix.js";

/** Topologies at once: this 2-core machine runs two without the probes' error growing. */
const PARALLEL = 2;
const SEED = 1;

interface Job {
  readonly key: string;
  readonly scenario: string;
  readonly sets: readonly string[];
  readonly repeat: number;
}

interface Outcome {
  readonly key: string;
  readonly status: RunResult["status"];
  readonly verdict: RunResult["verdict"];
  readonly error?: string;
  /** Per trial: the checks that failed. */
  readonly failed: string[][];
  readonly verdicts: string[];
  readonly reportDir: string;
  readonly schemaErrors: string[];
  readonly seconds: number;
}

const PROVEN = PROOF_MATRIX.filter((c) => !c.unproven);
const jobs: Job[] = [
  ...scenarios.map((s) => ({ key: `${s.name} (correct)`, scenario: s.name, sets: [], repeat: PROOF_REPEAT.correct })),
  ...PROVEN.map((c) => ({ key: caseKey(c), scenario: c.scenario, sets: [`bug.${c.bug}=true`, ...c.sets], repeat: c.trials })),
];
const outcomes = new Map<string, Outcome>();
let out: string;

function caseKey(c: ProofCase): string {
  return `${c.scenario} × ${c.bug}`;
}

async function run(job: Job, signal: AbortSignal): Promise<Outcome> {
  const def = scenarios.find((s) => s.name === job.scenario)!;
  const spec = applySetOverrides(applySetOverrides(profileSpec("fast"), def.topology), job.sets);
  const t0 = performance.now();
  const { result, reportDir } = await executeRun(
    { scenario: def, spec, repeat: job.repeat, seed: SEED, options: { profile: "fast", sets: job.sets } },
    { engine: await dockerEngine(), signal, outDir: out },
  );
  return {
    key: job.key,
    status: result.status,
    verdict: result.verdict,
    ...(result.error ? { error: `${result.error.code}: ${result.error.message}` } : {}),
    failed: result.trials.map((t) => t.checks.filter((c) => c.verdict === "fail").map((c) => c.name)),
    verdicts: result.trials.map((t) => t.verdict),
    reportDir,
    schemaErrors: await validateRunReport(reportDir),
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), "k8sm-matrix-"));
  const signal = AbortSignal.timeout(55 * 60_000);
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const o = await run(job, signal);
        outcomes.set(job.key, o);
        console.log(`${o.key}: ${o.status} ${o.verdict} [${o.verdicts.join(" ")}] failed: ${o.failed.map((f) => f.join("+") || "—").join(" | ")} (${o.seconds} s)`);
      }
    }),
  );
  await mkdir("build", { recursive: true });
  await writeFile(path.join("build", "matrix-results.json"), `${JSON.stringify([...outcomes.values()], null, 2)}\n`);
}, 60 * 60_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe("the proof matrix (fast profile)", () => {
  it.each(scenarios.map((s) => [s.name, PROOF_REPEAT.correct] as const))("%s passes --repeat %i on the correct system", (name, repeat) => {
    const o = outcomes.get(`${name} (correct)`)!;
    expect(o.schemaErrors).toEqual([]);
    expect({ status: o.status, verdict: o.verdict, verdicts: o.verdicts, error: o.error }, JSON.stringify(o.failed)).toEqual({ status: "completed", verdict: "pass", verdicts: Array(repeat).fill("pass"), error: undefined });
  });

  it.each(PROVEN.map((c) => [caseKey(c), c.check] as const))("%s fails with %s", (key, check) => {
    const o = outcomes.get(key)!;
    expect(o.schemaErrors).toEqual([]);
    expect({ status: o.status, verdict: o.verdict, error: o.error }).toEqual({ status: "completed", verdict: "fail", error: undefined });
    expect(o.failed.flat(), `failed checks per trial: ${JSON.stringify(o.failed)}`).toContain(check);
  });
});
