import { mkdtemp, mkdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { evaluateTrial, type CheckSpec } from "../checks/checks.js";
import { historyFromNdjson } from "../history/history.js";
import { cleanColdFailover, dualSchedulerPartition, tooFastFailover, type SampleTrial } from "../measures/sample-histories.js";
import { coldNodeDeathWindow } from "../timing-oracle/windows.js";
import { renderReportHtml } from "./html.js";
import { buildRunResult, summarizeValues, type RunResult } from "./result.js";
import { renderConsoleSummary, renderHistoryNdjson, renderJunit, renderResultJson, renderSummaryMd, xmlEscape } from "./text.js";
import { writeReports } from "./write.js";

const model = coldNodeDeathWindow();
const SPECS: CheckSpec[] = [{ check: "timing-oracle" }, { check: "single-active-scheduler" }, { check: "no-pod-lost" }];

function run(samples: SampleTrial[], extra: Partial<RunResult> = {}): RunResult {
  return buildRunResult({
    scenario: "kill-leader",
    runId: "20261125-193000-ab12",
    startedAt: "2026-11-25T19:30:00.000Z",
    topology: { mode: "cold-standby", masters: 2 },
    model,
    trials: samples.map((s, index) => ({ index, originEpochMs: s.originEpochMs, history: s.entries, ...evaluateTrial(s, SPECS, { model }) })),
    ...extra,
  });
}

describe("result", () => {
  it("summarizes with type-7 quantiles and ignores nulls", () => {
    expect(summarizeValues([10, null, 20, 30, 40])).toEqual({ n: 4, min: 10, p50: 25, p90: 37, max: 40 });
    expect(summarizeValues([null])).toEqual({ n: 0, min: null, p50: null, p90: null, max: null });
  });

  it("combines trial verdicts; an unfinished run is at best unknown", () => {
    expect(run([cleanColdFailover()]).verdict).toBe("pass");
    expect(run([cleanColdFailover(), tooFastFailover()]).verdict).toBe("fail");
    expect(run([cleanColdFailover()], { status: "interrupted" }).verdict).toBe("unknown");
    expect(run([]).verdict).toBe("unknown");
  });
});

describe("renderers", () => {
  const r = run([cleanColdFailover(), tooFastFailover(), dualSchedulerPartition()]);

  it("result.json carries measures, checks and summary, histories only in history.ndjson", () => {
    const j = JSON.parse(renderResultJson(r));
    expect(j.trials).toHaveLength(3);
    expect(j.trials[0].history).toBeUndefined();
    expect(j.trials[0].measures.timeToNewSchedulerMs).toBe(40_000);
    expect(j.summary.timeToNewSchedulerMs).toMatchObject({ n: 3, min: 2_000, max: 40_000 });
    expect(j.model.terms.R).toBeDefined();
    const back = historyFromNdjson(renderHistoryNdjson(r));
    expect(back.map((t) => t.entries.length)).toEqual(r.trials.map((t) => t.history.length));
  });

  it("summary.md lists trials, measures and the failed checks", () => {
    const md = renderSummaryMd(r);
    expect(md).toMatch(/^# kill-leader: FAIL/);
    expect(md).toContain("| 0 | pass | 40.00 s | 0.00 s | 0 | 44.00 s | 33.3 % | 0 |");
    expect(md).toMatch(/trial 1, timing-oracle: \*\*fail\*\*: too fast/);
    expect(md).toMatch(/trial 2, single-active-scheduler: \*\*fail\*\*/);
    expect(md).toContain("| R | 10.00 s | 22.50 s | 30.00 s |");
  });

  it("summary.md says how to rerun: profile, seed, overrides, timers, and each fault's resolved target", () => {
    const withSettings = run([cleanColdFailover()], {
      topology: { spec: { mode: "cold-standby", podmaster: { ttlSecs: 6, sleepMs: 1000 }, kubelet: { fileCheckFrequencyMs: 1000, syncFrequencyMs: 1000 } }, profile: "fast", seed: 7, sets: ["ttl-secs=6"] },
    });
    withSettings.trials[0]!.history = [
      ...withSettings.trials[0]!.history,
      { t: 5, kind: "fault", name: "kill-container", action: "inject", targets: ["master-1"], detail: { description: "SIGKILL the scheduler-leader container", offsetMs: 1234, resolved: [{ node: "master-1", container: "c", how: "active framework pid x" }] } },
    ];
    const md = renderSummaryMd(withSettings);
    expect(md).toContain("Settings: mode cold-standby, profile fast, seed 7; podmaster ttl 6 s, sleep 1 s; kubelet file-check 1 s, sync 1 s; --set `ttl-secs=6`.");
    expect(md).toContain("- trial 0: SIGKILL the scheduler-leader container → master-1 (active framework pid x), fired 1.23 s into the renewal period");
  });

  it("junit.xml is well-formed, one testcase per check per trial, failures carry the message", () => {
    const weird = run([cleanColdFailover()]);
    weird.trials[0]!.checks.push({ name: "odd <name> & \"quotes\"", verdict: "fail", message: "bad \u0001 <x> & 'y' ]]>", details: { s: "</failure>" } });
    for (const xml of [renderJunit(r), renderJunit(weird), renderJunit({ ...weird, status: "failed", error: { code: "E_SETUP", message: "docker <gone>" } })]) {
      expect(XMLValidator.validate(xml)).toBe(true);
    }
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ["testsuite", "testcase"].includes(n) }).parse(renderJunit(r));
    const suites = doc.testsuites.testsuite as { testcase: { "@_name": string; failure?: { "@_message": string } }[] }[];
    expect(suites).toHaveLength(3);
    expect(suites.map((s) => s.testcase.length)).toEqual(r.trials.map((t) => t.checks.length));
    const failure = suites[1]!.testcase.find((c) => c["@_name"] === "timing-oracle")!.failure!;
    expect(failure["@_message"]).toMatch(/too fast/);
    expect(doc.testsuites["@_failures"]).toBe("2");
    expect(xmlEscape("a\u0001<")).toBe("a\uFFFD&lt;");
  });

  it("report.html is self-contained: one SVG timeline per trial, no script, no external URL", () => {
    const html = renderReportHtml(r);
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(3);
    expect(html).not.toMatch(/https?:/);
    expect(html).not.toMatch(/<script|<link|\bsrc=|\bhref=/i);
    expect(html).toContain('data-chart="timeToNewSchedulerMs"');
    expect(html).toContain("etcd /scheduler");
    expect(html).toContain("scheduler master-2");
    expect(html).toContain("pod default/during-1");
    expect(html).toContain("kill-leader → master-1");
    // The ECDF of time to new scheduler, one step per trial that has the measure, against the model band.
    const ecdf = html.slice(html.indexOf('data-chart="ecdf-timeToNewSchedulerMs"'));
    const samples = r.trials.filter((t) => t.measures.timeToNewSchedulerMs !== null).length;
    expect(samples).toBeGreaterThanOrEqual(2);
    expect(ecdf.slice(0, ecdf.indexOf("</svg>")).match(/<circle/g)).toHaveLength(samples);
    expect(ecdf).toContain("<title>model [");
    expect(renderReportHtml(run([cleanColdFailover()]))).not.toContain("ecdf-");
  });

  it("console summary", () => {
    const one = run([cleanColdFailover()]);
    expect(renderConsoleSummary(one).split("\n").slice(0, 6).join("\n")).toMatchInlineSnapshot(`
      "kill-leader 20261125-193000-ab12: PASS (1 trial(s), completed)
      ┌───────┬─────────┬──────────────────────┬─────────────────┬──────────┬───────────────┬──────────────┬───────────────────────────┬───────────────────┐
      │ trial │ verdict │ timeToNewSchedulerMs │ dualSchedulerMs │ podsLost │ podRecoveryMs │ apiErrorRate │ incompatibleOfferDeclines │ checks not passed │
      ├───────┼─────────┼──────────────────────┼─────────────────┼──────────┼───────────────┼──────────────┼───────────────────────────┼───────────────────┤
      │ 0     │ pass    │ 40.00 s              │ 0.00 s          │ 0        │ 44.00 s       │ 33.3 %       │ 0                         │ —                 │
      └───────┴─────────┴──────────────────────┴─────────────────┴──────────┴───────────────┴──────────────┴───────────────────────────┴───────────────────┘"
    `);
  });
});

describe("writeReports", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it("writes every file and points latest at the newest run", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "k8sm-report-"));
    dirs.push(root);
    const first = await writeReports(root, run([cleanColdFailover()]), { logs: { "k8sm-x-master-1": "line\n" } });
    expect(first.files.map((f) => path.basename(f)).sort()).toEqual(["history.ndjson", "junit.xml", "k8sm-x-master-1.log", "report.html", "result.json", "summary.md"]);
    expect(first.latest).toBe("symlink");
    const second = await writeReports(root, run([cleanColdFailover()], { runId: "20261125-194000-cd34" }));
    expect(await readlink(path.join(root, "kill-leader", "latest"))).toBe("20261125-194000-cd34");
    expect((await stat(path.join(root, "kill-leader", "latest", "report.html"))).isFile()).toBe(true);
    expect(second.runDir).toBe(path.join(root, "kill-leader", "20261125-194000-cd34"));
  });

  it("attempts every file when one fails, then throws E_REPORT naming it", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "k8sm-report-"));
    dirs.push(root);
    const r = run([cleanColdFailover()]);
    await mkdir(path.join(root, "kill-leader", r.runId, "result.json"), { recursive: true });
    await expect(writeReports(root, r)).rejects.toMatchObject({ code: "E_REPORT", message: expect.stringMatching(/result\.json/) });
    expect(await readFile(path.join(root, "kill-leader", r.runId, "junit.xml"), "utf8")).toMatch(/<testsuites/);
    expect(await readlink(path.join(root, "kill-leader", "latest"))).toBe(r.runId);
  });
});
