// Robustness: a report is whole or absent, whenever the process dies. A child writes one sample
// run's reports after another and is SIGKILLed at arbitrary moments; every run folder left must
// either have no result.json, or a valid one and every other report file, none of them empty,
// and `latest` must point at such a folder.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../paths.js";
import { writeReports } from "../reporting/write.js";
import { sampleRunResult } from "../testing/sample-run.js";
import { expectValidRunReport } from "../testing/valid-report.js";

const FILES = ["result.json", "summary.md", "junit.xml", "history.ndjson", "report.html"];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempOut(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "k8sm-atomic-"));
  dirs.push(d);
  return d;
}

/** Runs the writer child until it has written one report, then SIGKILLs it `afterMs` later. */
async function killWriterAfter(out: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "harness/testing/report-writer-child.ts", out], { cwd: PROJECT_ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("ready")) resolve();
    });
    child.on("close", () => reject(new Error(`the writer exited: ${err}`)));
  });
  await new Promise((r) => setTimeout(r, afterMs));
  child.kill("SIGKILL");
  await exited;
}

/** What is wrong with the run folders under `<out>/kill-leader` (empty: all whole or absent). */
async function partialReports(out: string): Promise<string[]> {
  const root = path.join(out, "kill-leader");
  const problems: string[] = [];
  for (const runId of await readdir(root)) {
    const dir = path.join(root, runId);
    if (!(await stat(dir)).isDirectory() || runId === "latest") continue;
    const present = new Set(await readdir(dir));
    for (const f of present) {
      // A kill between a temporary file's open and its write leaves it empty: hidden, never read as a
      // report (writeReports renames it into place only once whole), so not a partial report.
      if (/^\..+\.tmp-\d+-[0-9a-f]+$/.test(f)) continue;
      if (f !== "logs" && (await stat(path.join(dir, f))).size === 0) problems.push(`${runId}/${f} is empty`);
    }
    if (!present.has("result.json")) continue;
    for (const f of FILES) if (!present.has(f)) problems.push(`${runId} has result.json but no ${f}`);
    try {
      JSON.parse(await readFile(path.join(dir, "result.json"), "utf8"));
    } catch (err) {
      problems.push(`${runId}/result.json: ${(err as Error).message}`);
    }
  }
  const latest = await readlink(path.join(root, "latest")).catch(() => undefined);
  if (latest !== undefined && !(await readdir(path.join(root, latest)).catch((): string[] => [])).includes("result.json")) problems.push(`latest → ${latest}, which has no result.json`);
  return problems;
}

describe("reports are written atomically", () => {
  it("a SIGKILL at any moment of writeReports leaves every report whole or absent, and latest on a whole one", async () => {
    const out = await tempOut();
    // Spread over the few hundred ms one writeReports of this run takes here (report.html is most of it).
    for (const afterMs of [0, 15, 60, 150, 300]) {
      await killWriterAfter(out, afterMs);
      expect(await partialReports(out), `killed ${afterMs} ms after the first report`).toEqual([]);
    }
  }, 90_000);

  it("a file that cannot be written: the others are written whole, no result.json (the report is not complete), latest stays where it was", async () => {
    const out = await tempOut();
    const first = await writeReports(out, sampleRunResult({ runId: "20261201-000000-0001", trials: 1 }));
    const r = sampleRunResult({ runId: "20261201-000000-0002", trials: 1 });
    // A directory where summary.md goes: that one write fails.
    await mkdir(path.join(out, "kill-leader", r.runId, "summary.md"), { recursive: true });
    await expect(writeReports(out, r)).rejects.toMatchObject({ code: "E_REPORT", message: expect.stringMatching(/summary\.md: .*; result\.json: not written/) });
    expect(await readlink(path.join(out, "kill-leader", "latest"))).toBe(path.basename(first.runDir));
    const left = await readdir(path.join(out, "kill-leader", r.runId));
    expect(left).toEqual(expect.arrayContaining(["junit.xml", "history.ndjson", "report.html"]));
    expect(left).not.toContain("result.json");
    await expectValidRunReport(first.runDir);
    // No temporary file is left behind.
    expect((await readdir(path.join(out, "kill-leader", r.runId))).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect((await readdir(path.join(out, "kill-leader"))).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});
