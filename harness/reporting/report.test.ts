import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { evaluateTrial, type CheckSpec } from "../checks/checks.js";
import { historyFromNdjson } from "../history/history.js";
import { ENTRY_KINDS } from "../history/types.js";
import { MEASURE_NAMES } from "../measures/measures.js";
import { cleanColdFailover, dualSchedulerPartition, FAULT_T, tooFastFailover, type SampleTrial } from "../testing/sample-histories.js";
import { SAMPLE_META as META, sampleFault as faultOf, withRunnerDetail } from "../testing/sample-run.js";
import { expectValidRunReport } from "../testing/valid-report.js";
import { coldNodeDeathWindow, partitionEtcdWindow } from "../timing-oracle/windows.js";
import { renderReportHtml, requestBins } from "./html.js";
import { buildRunResult, RESULT_SCHEMA_VERSION, summarizeValues, type RunResult } from "./result.js";
import { RESULT_SCHEMA_FILE, validateHistoryNdjson, validateRunResult } from "./schema.js";
import { CONSOLE_WIDTH, renderConsoleSummary, renderHistoryNdjson, renderJunit, renderResultJson, renderSummaryMd, xmlEscape } from "./text.js";
import { writeReports } from "./write.js";

const model = coldNodeDeathWindow();
const SPECS: CheckSpec[] = [{ check: "timing-oracle" }, { check: "single-active-scheduler" }, { check: "no-pod-lost" }];


function run(samples: SampleTrial[], extra: Partial<RunResult> = {}): RunResult {
  return buildRunResult({
    ...META,
    scenario: "kill-leader",
    runId: "20261125-193000-ab12",
    startedAt: "2026-11-25T19:30:00.000Z",
    topology: { mode: "cold-standby", masters: 2 },
    model,
    trials: samples.map((s, index) => ({ index, originEpochMs: s.originEpochMs, fault: faultOf(s), history: s.entries, ...evaluateTrial(s, SPECS, { model }) })),
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

  it("summary.md says what ran and how to rerun: harness, images, rerun command, settings, and each fault's resolved target and offset", () => {
    const withSettings = run([cleanColdFailover()], {
      topology: { spec: { mode: "cold-standby", podmaster: { ttlSecs: 6, sleepMs: 1000 }, kubelet: { fileCheckFrequencyMs: 1000, syncFrequencyMs: 1000 } }, profile: "fast", seed: 7, sets: ["ttl-secs=6"] },
    });
    const md = renderSummaryMd(withSettings);
    expect(md).toContain("Harness 0.1.0 (commit 0123456789ab), Node v20.19.0 on linux/x64, Docker 27.5.1 (API 1.47) at unix:///var/run/docker.sock.");
    expect(md).toContain("- `k8sm-harness/base:514d0c7e9a1b`: etcd-0\n- `k8sm-harness/k8sm:340d2f0e3c4d`: master-1, master-2");
    expect(md).toContain("Rerun: `npm run scenario -- kill-leader --profile fast --repeat 3 --seed 42`");
    expect(md).toContain("Settings: mode cold-standby, profile fast, seed 7; podmaster ttl 6 s, sleep 1 s; kubelet file-check 1 s, sync 1 s; --set `ttl-secs=6`.");
    expect(md).toContain("- trial 0: SIGKILL the scheduler-leader container → master-1 (active framework pid scheduler(1)@10.0.0.11:40001), after a random offset of 1.23 s, at t = 1.00 s");
    const bare = renderSummaryMd(run([cleanColdFailover()], { invocation: null, images: {}, environment: { ...META.environment, docker: null }, trials: [{ ...run([cleanColdFailover()]).trials[0]!, fault: null }] }));
    expect(bare).toContain("Docker version unknown.");
    expect(bare).not.toMatch(/Rerun:|Images:/);
    expect(bare).toContain("- trial 0: no fault injected");
    expect(renderConsoleSummary(withSettings)).toContain("rerun: npm run scenario -- kill-leader --profile fast --repeat 3 --seed 42");
  });

  it("junit.xml is well-formed, one testcase per check per trial, failures carry the message (schema and CI fields: junit.test.ts)", () => {
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

  it("report.html is self-contained: one timeline and one API chart per trial, no script, no URL, links only to the run's files and the docs", async () => {
    const html = await renderReportHtml(r, { logs: ["logs/k8sm-x-master-1.log"], docsHref: "../../../docs" });
    expect(html.match(/<svg data-chart="timeline"/g)).toHaveLength(3);
    expect(html.match(/<svg data-chart="api"/g)).toHaveLength(3);
    expect(html).not.toMatch(/https?:|file:/);
    expect(html).not.toMatch(/<script|<link|\bsrc=/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs).toEqual(expect.arrayContaining(["result.json", "summary.md", "junit.xml", "history.ndjson", "logs/", "logs/k8sm-x-master-1.log", "../../../docs/MEASURES.md", "../../../docs/MODEL.md#cold-node-death", "#trial-2"]));
    for (const h of hrefs) expect(h).toMatch(/^(#[\w-]+|result\.json|summary\.md|junit\.xml|history\.ndjson|logs\/[\w.-]*|\.\.\/\.\.\/\.\.\/docs\/[A-Z]+\.md(#[\w-]+)?)$/);
    expect(html).toContain('data-chart="measure-timeToNewSchedulerMs"');
    for (const text of ["etcd /scheduler", "scheduler master-2", "pod default/during-1", "kill-leader → master-1", "fault in force", "model: new scheduler"]) expect(html).toContain(text);
    // The ECDF of time to new scheduler, one step per trial that has the measure, against the model band.
    const ecdf = html.slice(html.indexOf('data-chart="ecdf-timeToNewSchedulerMs"'));
    const samples = r.trials.filter((t) => t.measures.timeToNewSchedulerMs !== null).length;
    expect(samples).toBeGreaterThanOrEqual(2);
    expect(ecdf.slice(0, ecdf.indexOf("</svg>")).match(/<title>[\d.]+: \d+ of \d+<\/title>/g)).toHaveLength(samples);
    expect(ecdf).toContain("model cold-node-death [10.0, 62.6] s");
    // Charts across trials need two trials: one dot says no more than the table.
    const one = await renderReportHtml(run([cleanColdFailover()]));
    expect(one).not.toMatch(/data-chart="(ecdf|measure)-/);
    expect(one).toContain("drawn from 2 trials up");
    // Without the docs' place, the docs are named, not linked.
    expect(one).toContain("docs/MEASURES.md");
    expect(one).not.toContain('href="../');
  });

  it("the timeline reads from the fault: signed seconds, labelled markers, the model window, a lease renewal not splitting its holder", async () => {
    const renewed = cleanColdFailover();
    // Renewals of master-1's lease (same value, new TTL) and the stored framework id (a value naming no node).
    renewed.entries.push(
      { t: 5_000, kind: "etcd-key", key: "/scheduler", value: "10.0.0.11", node: "master-1", ttl: 25 },
      { t: 10_000, kind: "etcd-key", key: "/scheduler", value: "10.0.0.11", node: "master-1", ttl: 25 },
      { t: 15, kind: "etcd-key", key: "/mesos/k8sm/frameworkid", value: "20231114-221320-1-5050-1-0000" },
    );
    renewed.entries.sort((a, b) => a.t - b.t);
    const html = await renderReportHtml(run([renewed]));
    const timeline = html.slice(html.indexOf('data-chart="timeline"'), html.indexOf("</svg>", html.indexOf('data-chart="timeline"')));
    expect(timeline).toContain("seconds since the fault");
    expect(timeline).toMatch(/>\+10<\/text>/);
    expect(timeline).toContain("for a linear scale with values from −1 to 63");
    for (const label of ["lease expired +23.0 s", "new leader +26.0 s", "new scheduler +40.0 s", "pods recovered +44.0 s"]) expect(timeline).toContain(`>${label}<`);
    expect(timeline).toContain(">model cold-node-death [10.0, 62.6] s, expected 37.3 s<");
    // One segment for master-1's lease from its first write to its expiry, despite two renewals.
    expect(timeline.match(/<title>etcd \/scheduler: master-1 \(10\.0\.0\.11\) \[/g)).toHaveLength(1);
    expect(timeline).toContain("<title>etcd /scheduler: master-1 (10.0.0.11) [-0.99 s, 23.00 s]</title>");
    // Fixed colours: the two masters differ, and the stored framework id is coloured as no master is.
    const fill = (title: string) => timeline.match(new RegExp(`fill="(#[0-9a-f]{6})"[^>]*><title>${title.replace(/[()[\]/.+]/g, "\\$&")}`))?.[1];
    const m1 = fill("etcd /scheduler: master-1");
    const m2 = fill("etcd /scheduler: master-2");
    const fwid = fill("etcd /mesos/k8sm/frameworkid: ");
    expect(new Set([m1, m2, fwid]).size).toBe(3);
    expect(fill("framework Kubernetes: active on master-2")).toBe(m2);
    // A legend names every colour drawn.
    for (const entry of ["master-1", "master-2", "value naming no node", "Running / up", "Failed / down", "heal"]) expect(timeline).toContain(`>${entry}</text>`);
  });

  it("draws API latency and errors over time with the fault band, from the api-request entries", async () => {
    const t = withRunnerDetail(cleanColdFailover());
    const html = await renderReportHtml(run([t]));
    const api = html.slice(html.indexOf('<svg data-chart="api"'), html.indexOf("</svg>", html.indexOf('<svg data-chart="api"')));
    expect(api).toContain("API latency (ms)");
    expect(api).toContain("kill-leader → master-1, healed at +45.0 s");
    const bins = requestBins(t.entries, FAULT_T, [-1, 60]);
    expect(bins.reduce((a, b) => a + b.requests, 0)).toBe(t.entries.filter((e) => e.kind === "api-request").length);
    expect(bins.find((b) => b.from === 5)).toMatchObject({ requests: 4, failed: 4 });
    expect(bins.find((b) => b.from === 49)).toMatchObject({ failed: 1 });
    expect(api).toContain("<title>5.00 to 6.00 s: 0 ok, 4 failed</title>");
  });

  it("the console summary is at most 120 columns wide, whatever the checks not passed", () => {
    const many = run([cleanColdFailover(), tooFastFailover(), dualSchedulerPartition()]);
    many.trials[1]!.checks.push({ name: "a-check-with-a-very-long-name-that-goes-on-and-on", verdict: "unknown", message: "x", details: {} });
    many.trials[2]!.index = 999;
    const lines = renderConsoleSummary(many).split("\n");
    const widest = Math.max(...lines.filter((l) => !l.startsWith("rerun:")).map((l) => l.length));
    expect(widest).toBeLessThanOrEqual(CONSOLE_WIDTH);
    expect(lines.join("\n")).toContain("new sched = timeToNewSchedulerMs");
  });

  it("console summary", () => {
    const one = run([cleanColdFailover()]);
    expect(renderConsoleSummary(one).split("\n").slice(0, 6).join("\n")).toMatchInlineSnapshot(`
      "kill-leader 20261125-193000-ab12: PASS (1 trial(s), completed)
      ┌───────┬─────────┬───────────┬────────┬──────┬───────────┬─────────┬──────────┬────────────────────────────────────┐
      │ trial │ verdict │ new sched │ dual   │ lost │ pod recov │ api err │ declines │ checks not passed                  │
      ├───────┼─────────┼───────────┼────────┼──────┼───────────┼─────────┼──────────┼────────────────────────────────────┤
      │ 0     │ pass    │ 40.00 s   │ 0.00 s │ 0    │ 44.00 s   │ 33.3 %  │ 0        │ —                                  │
      └───────┴─────────┴───────────┴────────┴──────┴───────────┴─────────┴──────────┴────────────────────────────────────┘"
    `);
  });
});

describe("result.json schema (docs/result.schema.json)", () => {
  const schema = JSON.parse(readFileSync(RESULT_SCHEMA_FILE, "utf8")) as {
    properties: { schemaVersion: { const: number }; summary: { required: string[] } };
    $defs: { measures: { required: string[] }; historyEntryFields: { properties: { kind: { enum: string[] } } } };
  };
  const json = (r: RunResult) => JSON.parse(renderResultJson(r)) as Record<string, unknown> & { trials: Record<string, unknown>[] };

  it("every result the renderers produce conforms: passes, failures, no trial, no fault, no CLI, no engine, a partition window", () => {
    const partition = partitionEtcdWindow("cold-standby", 12_000);
    const results = [
      run([cleanColdFailover(), tooFastFailover(), dualSchedulerPartition()]),
      run([], { status: "failed", error: { code: "E_DOCKER_UNAVAILABLE", message: "no engine", hint: "start dockerd" }, finishedAt: "2026-11-25T19:31:00.000Z", images: {}, model: null }),
      run([cleanColdFailover()], { status: "interrupted", invocation: null, environment: { ...META.environment, docker: null } }),
      run([cleanColdFailover()], { model: partition }),
    ];
    results[2]!.trials[0]!.fault = null;
    for (const r of results) {
      expect(validateRunResult(json(r))).toEqual([]);
      expect(validateHistoryNdjson(renderHistoryNdjson(r))).toEqual([]);
    }
    expect(json(results[0]!).schemaVersion).toBe(RESULT_SCHEMA_VERSION);
  });

  it("a broken result fails, naming where: missing schemaVersion, an extra field, a wrong type, a bad time", () => {
    const good = json(run([cleanColdFailover()]));
    const broken = (edit: (j: ReturnType<typeof json>) => void) => {
      const j = structuredClone(good);
      edit(j);
      return validateRunResult(j);
    };
    expect(broken((j) => delete j.schemaVersion)).toContain("/: must have required property 'schemaVersion'");
    expect(broken((j) => (j.schemaVersion = 1))).toEqual([expect.stringMatching(/^\/schemaVersion: must be equal to constant/)]);
    expect(broken((j) => (j.extra = 1))).toEqual(['/: must NOT have additional properties ("extra")']);
    expect(broken((j) => ((j.trials[0]!.measures as Record<string, unknown>).newMeasureMs = 5))).toEqual(['/trials/0/measures: must NOT have additional properties ("newMeasureMs")']);
    expect(broken((j) => ((j.trials[0]!.fault as Record<string, unknown>).offsetMs = "1.2 s"))).toContain("/trials/0/fault/offsetMs: must be number");
    expect(broken((j) => delete (j.summary as Record<string, unknown>).podsLost)).toContain("/summary: must have required property 'podsLost'");
    expect(broken((j) => (j.startedAt = "yesterday"))).toEqual(['/startedAt: must match format "date-time"']);
    expect(broken((j) => (j.harness = { version: "0.1.0" }))).toContain("/harness: must have required property 'commit'");
  });

  it("a broken history.ndjson line fails: no trial index, an unknown kind, an extra field", () => {
    const lines = renderHistoryNdjson(run([cleanColdFailover()])).trim().split("\n");
    const entry = JSON.parse(lines[1]!) as Record<string, unknown>;
    const { trial: _trial, ...noTrial } = entry;
    expect(validateHistoryNdjson([lines[0], JSON.stringify(noTrial)].join("\n"))).toEqual(["line 2 /: must have required property 'trial'"]);
    expect(validateHistoryNdjson(JSON.stringify({ ...entry, kind: "bogus" }))[0]).toMatch(/^line 1 \/kind: must be equal to one of the allowed values/);
    expect(validateHistoryNdjson(JSON.stringify({ ...entry, extra: true }))).toEqual(['line 1 /: must NOT have unevaluated properties ("extra")']);
    expect(validateHistoryNdjson("{oops")).toEqual(["line 1: not JSON"]);
  });

  it("names what the code names: measures, entry kinds, the version", () => {
    expect(schema.properties.schemaVersion.const).toBe(RESULT_SCHEMA_VERSION);
    expect(schema.properties.summary.required).toEqual([...MEASURE_NAMES]);
    expect(schema.$defs.historyEntryFields.properties.kind.enum).toEqual([...ENTRY_KINDS]);
    expect([...schema.$defs.measures.required].sort()).toEqual(Object.keys(run([cleanColdFailover()]).trials[0]!.measures).sort());
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
    expect((await expectValidRunReport(second.runDir)).runId).toBe("20261125-194000-cd34");
    // The helper the Docker tier calls fails on a report that drifted.
    const drifted = { ...JSON.parse(await readFile(path.join(second.runDir, "result.json"), "utf8")), extra: 1 };
    await writeFile(path.join(second.runDir, "result.json"), JSON.stringify(drifted));
    await expect(expectValidRunReport(second.runDir)).rejects.toThrow(/against docs\/result\.schema\.json/);
  });

  it("attempts every file when one fails, then throws E_REPORT naming it", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "k8sm-report-"));
    dirs.push(root);
    const r = run([cleanColdFailover()]);
    await mkdir(path.join(root, "kill-leader", r.runId, "result.json"), { recursive: true });
    await expect(writeReports(root, r)).rejects.toMatchObject({ code: "E_REPORT", message: expect.stringMatching(/result\.json/) });
    expect(await readFile(path.join(root, "kill-leader", r.runId, "junit.xml"), "utf8")).toMatch(/<testsuites/);
    // `latest` moves only to a complete report.
    await expect(readlink(path.join(root, "kill-leader", "latest"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
