import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sampleRunResult } from "../testing/sample-run.js";
import { readAllRuns, renderRootIndexHtml, renderScenarioIndexHtml, writeRunIndexes } from "./run-index.js";
import { writeReports } from "./write.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function root(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "k8sm-index-"));
  dirs.push(d);
  return d;
}

describe("run indexes", () => {
  it("writeReports rebuilds <out>/<scenario>/index.html and <out>/index.html: every run, newest first, with verdict, date and figures", async () => {
    const out = await root();
    await writeReports(out, { ...sampleRunResult({ trials: 1, runId: "20261125-180000-aa01" }), startedAt: "2026-11-25T18:00:00.000Z" });
    await writeReports(out, sampleRunResult({ trials: 3 }));
    await writeReports(out, { ...sampleRunResult({ trials: 2, runId: "20261125-170000-cc03", scenario: "pause-leader" }), startedAt: "2026-11-25T17:00:00.000Z" });

    const scenario = await readFile(path.join(out, "kill-leader", "index.html"), "utf8");
    const rows = [...scenario.matchAll(/<tr data-run="([^"]+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(["20261125-193000-ab12", "20261125-180000-aa01"]);
    expect(scenario).toContain('href="20261125-193000-ab12/report.html"');
    expect(scenario).toContain('data-verdict="fail">FAIL<');
    expect(scenario).toContain('data-verdict="pass">PASS<');
    expect(scenario).toContain("2026-11-25 19:30:00 UTC");
    // Key figures: time to new scheduler p50 and max over the run's 3 trials (40 s, 2 s, 31 s).
    expect(scenario).toContain("<td>31.00 s</td><td>40.00 s</td>");

    const top = await readFile(path.join(out, "index.html"), "utf8");
    expect([...top.matchAll(/<tr data-run="([^"]+)">/g)].map((m) => m[1])).toEqual(["20261125-193000-ab12", "20261125-180000-aa01", "20261125-170000-cc03"]);
    expect(top).toContain('href="pause-leader/20261125-170000-cc03/report.html"');
    expect(top).toContain('<tr data-scenario="kill-leader">');
    expect(top).toContain('href="pause-leader/index.html"');
    // Written through a temporary file: none is left behind.
    expect((await readdir(out)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("lists only run folders with a result.json, skips latest, and shows an unreadable one as such", async () => {
    const out = await root();
    await writeReports(out, sampleRunResult({ trials: 1 }));
    await mkdir(path.join(out, "kill-leader", "20261125-200000-dd04"), { recursive: true }); // a run still going
    await mkdir(path.join(out, "bench", "20261125-200000-ee05", "kill-leader"), { recursive: true }); // not a scenario's run
    await mkdir(path.join(out, "kill-leader", "20261125-210000-ff06"));
    await writeFile(path.join(out, "kill-leader", "20261125-210000-ff06", "result.json"), "{ cut off");
    const runs = await readAllRuns(out);
    expect(runs.map((r) => r.runId)).toEqual(["20261125-193000-ab12", "20261125-210000-ff06"]);
    expect(runs[1]).toMatchObject({ verdict: "unknown", error: expect.stringMatching(/^result\.json unreadable/) });
    await writeRunIndexes(out, "kill-leader");
    expect(await readFile(path.join(out, "kill-leader", "index.html"), "utf8")).toContain("result.json unreadable");
  });

  it("pages are self-contained: no script, no URL", () => {
    const runs = [{ scenario: "kill-leader", runId: "20261125-193000-ab12", startedAt: "2026-11-25T19:30:00.000Z", status: "completed" as const, verdict: "pass" as const, trials: 1, summary: {} }];
    for (const html of [renderScenarioIndexHtml("kill-leader", runs), renderRootIndexHtml(runs), renderRootIndexHtml([])]) {
      expect(html).not.toMatch(/<script|https?:|\bsrc=/);
    }
    expect(renderRootIndexHtml([])).toContain("No run yet.");
  });
});
