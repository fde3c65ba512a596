/**
 * Every file in .github/workflows/ against the GitHub Actions workflow schema (SchemaStore's, as
 * bundled by @action-validator/core: its validator compiled to WebAssembly, so this runs offline in
 * the unit tier), and the nightly workflow against what the issue asks of it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT } from "../paths.js";

const require = createRequire(import.meta.url);
const { validateWorkflow } = require("@action-validator/core") as typeof import("@action-validator/core");

const DIR = path.join(PROJECT_ROOT, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

/** The validator's errors, flattened (a oneOf error holds the errors of each branch). */
function problems(text: string): string[] {
  type E = { title: string; detail?: string; path?: string; states?: { errors: E[] }[] };
  const flat = (e: E): string[] => [`${e.path ?? ""} ${e.title}${e.detail ? `: ${e.detail}` : ""}`, ...(e.states ?? []).flatMap((s) => s.errors.flatMap(flat))];
  return (validateWorkflow(text).errors as E[]).flatMap(flat);
}

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }

describe(".github/workflows", () => {
  it.each(files)("%s is a valid GitHub Actions workflow", (file) => {
    expect(problems(readFileSync(path.join(DIR, file), "utf8"))).toEqual([]);
  });

  it("the validator refuses what the schema forbids: a misspelt key, a job without runs-on, a bad trigger", () => {
    const text = readFileSync(path.join(DIR, "nightly.yml"), "utf8");
    expect(problems(text.replace("runs-on: ubuntu-latest", "run-on: ubuntu-latest")).join("\n")).toMatch(/run-on/);
    expect(problems(text.replace("    steps:", "    stepz:")).join("\n")).toMatch(/stepz/);
    expect(problems(text.replace("workflow_dispatch:", "workflow_dispatched:")).length).toBeGreaterThan(0);
  });

  it("nightly.yml: scheduled and manual; runs only npm scripts; uploads the reports, publishes junit and the summary whatever the exit", () => {
    const wf = parseYaml(readFileSync(path.join(DIR, "nightly.yml"), "utf8")) as { on: Record<string, unknown>; jobs: Record<string, { "runs-on": string; steps: Step[] }> };
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const job = Object.values(wf.jobs)[0]!;
    expect(job["runs-on"]).toBe("ubuntu-latest");
    const steps = job.steps;
    const uses = steps.flatMap((s) => (s.uses ? [s.uses.split("@")[0]] : []));
    expect(uses).toEqual(expect.arrayContaining(["actions/checkout", "actions/setup-node", "actions/upload-artifact", "mikepenz/action-junit-report"]));
    const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(runs.filter((r) => /^npm /.test(r)).map((r) => r.split(" ").slice(0, 3).join(" "))).toEqual(["npm run setup", "npm run nightly"]);
    // After the nightly: every step runs whatever it exited with, so a failing night still reports.
    const after = steps.slice(steps.findIndex((s) => s.run?.startsWith("npm run nightly")) + 1);
    expect(after.length).toBeGreaterThanOrEqual(4);
    for (const s of after) expect(s.if, s.name ?? s.uses).toBe("always()");
    expect(after.find((s) => s.run?.includes("$GITHUB_STEP_SUMMARY"))?.run).toMatch(/summary\.md/);
    expect(after.find((s) => s.uses?.startsWith("mikepenz/action-junit-report"))?.with?.report_paths).toBe("reports/nightly/*/junit.xml");
    expect(after.find((s) => s.uses?.startsWith("actions/upload-artifact"))?.with?.path).toBe("reports/nightly/");
  });

  it("nightly.yml's shards: input n runs the matrix 1/n … n/n (1: the whole night), each shard's reports and check under its own name", () => {
    const text = readFileSync(path.join(DIR, "nightly.yml"), "utf8");
    const wf = parseYaml(text) as { on: { workflow_dispatch: { inputs: { shards: { options: string[]; default: string } } } }; jobs: Record<string, { strategy: { matrix: { shard: string } }; env: Record<string, string>; steps: Step[] }> };
    const input = wf.on.workflow_dispatch.inputs.shards;
    expect(input.default).toBe("1");
    const job = Object.values(wf.jobs)[0]!;
    // The matrix is a lookup in a JSON literal, keyed by the input (a scheduled night has no input: '1').
    const m = /^\$\{\{ fromJSON\('(.+)'\)\[inputs\.shards \|\| '1'\] \}\}$/.exec(job.strategy.matrix.shard);
    expect(m, job.strategy.matrix.shard).not.toBeNull();
    const table = JSON.parse(m![1]!) as Record<string, string[]>;
    expect(Object.keys(table)).toEqual(input.options);
    for (const [n, shards] of Object.entries(table)) expect(shards, n).toEqual(Array.from({ length: Number(n) }, (_, i) => `${i + 1}/${n}`));
    expect(job.env.SHARD).toBe("${{ matrix.shard }}");
    expect(job.steps.find((s) => s.run?.startsWith("npm run nightly"))?.run).toMatch(/--shard "\$SHARD"/);
    // Several shards' artifacts and checks must not collide.
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))?.with?.name).toMatch(/strategy\.job-index/);
    expect(job.steps.find((s) => s.uses?.startsWith("mikepenz/action-junit-report"))?.with?.check_name).toMatch(/matrix\.shard/);
  });

  it("study-shards.yml: a matrix of --shard i/n study jobs with one seed, then a merge job whatever they did, publishing the merged study.md", () => {
    const text = readFileSync(path.join(DIR, "study-shards.yml"), "utf8");
    type Job = { needs?: string; if?: string; strategy?: { "fail-fast": boolean; matrix: { shard: string } }; env?: Record<string, string>; steps: Step[] };
    const wf = parseYaml(text) as { on: { workflow_dispatch: { inputs: Record<string, { options?: string[] }> } }; jobs: { shard: Job; merge: Job } };
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(expect.arrayContaining(["study", "shards", "replicates", "seed"]));
    const { shard, merge } = wf.jobs;
    const m = /^\$\{\{ fromJSON\('(.+)'\)\[inputs\.shards\] \}\}$/.exec(shard.strategy!.matrix.shard);
    expect(m, shard.strategy!.matrix.shard).not.toBeNull();
    const table = JSON.parse(m![1]!) as Record<string, string[]>;
    expect(Object.keys(table)).toEqual(wf.on.workflow_dispatch.inputs.shards!.options);
    for (const [n, shards] of Object.entries(table)) expect(shards, n).toEqual(Array.from({ length: Number(n) }, (_, i) => `${i + 1}/${n}`));
    expect(shard.strategy!["fail-fast"]).toBe(false);
    // One seed for every shard (the seed decides the slices; merge refuses different definitions).
    expect(shard.env!.SEED).toBe("${{ inputs.seed || github.run_id }}");
    const study = shard.steps.find((s) => s.run?.includes("npm run study"))!.run!;
    expect(study).toMatch(/--shard "\$SHARD" --seed "\$SEED"/);
    expect(shard.steps.flatMap((s) => (s.run?.startsWith("npm run setup") ? [s.run] : []))).toHaveLength(1);
    const upload = shard.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))!;
    expect([upload.if, upload.with?.name]).toEqual(["always()", expect.stringMatching(/^study-shard-\$\{\{ strategy\.job-index \}\}$/)]);
    expect(merge.needs).toBe("shard");
    expect(merge.if).toBe("always()");
    expect(merge.steps.find((s) => s.uses?.startsWith("actions/download-artifact"))?.with?.pattern).toBe("study-shard-*");
    expect(merge.steps.find((s) => s.run?.startsWith("npm run study"))?.run).toMatch(/^npm run study -- merge shards\/\S+ --partial/);
    const after = merge.steps.slice(merge.steps.findIndex((s) => s.run?.startsWith("npm run study")) + 1);
    for (const s of after) expect(s.if, s.name ?? s.uses).toBe("always()");
    expect(after.find((s) => s.run?.includes("$GITHUB_STEP_SUMMARY"))?.run).toMatch(/-merged\/study\.md/);
    expect(problems(text.replace("    needs: shard", "    need: shard")).join("\n")).toMatch(/need/);
  });
});
