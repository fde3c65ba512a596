import Table from "cli-table3";
import { historyToNdjson } from "../history/history.js";
import { MEASURE_NAMES, measureValue, type MeasureName } from "../measures/measures.js";
import type { ModelWindow } from "../timing-oracle/windows.js";
import type { RunResult, TrialResult } from "./result.js";

/** `result.json`: the whole result, histories excluded (they are in `history.ndjson`). */
export function renderResultJson(r: RunResult): string {
  const { trials, ...rest } = r;
  return JSON.stringify({ ...rest, trials: trials.map(({ history: _history, ...t }) => t) }, null, 2) + "\n";
}

export function renderHistoryNdjson(r: RunResult): string {
  return historyToNdjson(r.trials.map((t) => ({ trial: t.index, originEpochMs: t.originEpochMs, entries: t.history })));
}

/** A measure's value for people: ms as seconds, the rate as a percentage, counts as they are. */
export function formatMeasure(name: MeasureName, v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (name === "apiErrorRate") return `${(v * 100).toFixed(1)} %`;
  if (name.endsWith("Ms")) return `${(v / 1000).toFixed(2)} s`;
  return String(Math.round(v * 100) / 100);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function modelLines(w: ModelWindow): string[] {
  const lines = [
    `Model (${w.case}): ${w.formula} → min ${s(w.minMs)}, expected ${s(w.expectedMs)}, max ${s(w.maxMs)}`,
    "",
    "| term | min | expected | max | derivation |",
    "| --- | ---: | ---: | ---: | --- |",
    ...Object.entries(w.terms).map(([k, t]) => `| ${k} | ${s(t.minMs)} | ${s(t.expectedMs)} | ${s(t.maxMs)} | ${mdCell(t.formula)} |`),
  ];
  for (const n of w.notes) lines.push("", `> ${n}`);
  return lines;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

const TRIAL_COLUMNS: MeasureName[] = ["timeToNewSchedulerMs", "dualSchedulerMs", "podsLost", "podRecoveryMs", "apiErrorRate", "incompatibleOfferDeclines"];

export function renderSummaryMd(r: RunResult): string {
  const out: string[] = [
    `# ${r.scenario}: ${r.verdict.toUpperCase()}`,
    "",
    `Run \`${r.runId}\`, started ${formatTimestamp(r.startedAt)}${r.finishedAt ? `, finished ${formatTimestamp(r.finishedAt)}` : ""}, ${r.trials.length} trial(s), status ${r.status}.`,
  ];
  if (r.error) out.push("", `**Harness error** \`${r.error.code}\`: ${r.error.message}${r.error.hint ? ` (hint: ${r.error.hint})` : ""}`);
  out.push(...provenanceLines(r), ...settingsLines(r.topology), ...faultLines(r.trials));
  out.push("", "## Trials", "", `| trial | verdict | ${TRIAL_COLUMNS.join(" | ")} |`, `| --- | --- |${TRIAL_COLUMNS.map(() => " ---: |").join("")}`);
  for (const t of r.trials) {
    out.push(`| ${t.index} | ${t.verdict} | ${TRIAL_COLUMNS.map((n) => formatMeasure(n, measureValue(t.measures, n))).join(" | ")} |`);
  }
  out.push("", "## Measures across trials", "", "| measure | n | min | p50 | p90 | max |", "| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const n of MEASURE_NAMES) {
    const st = r.summary[n];
    out.push(`| ${n} | ${st.n} | ${formatMeasure(n, st.min)} | ${formatMeasure(n, st.p50)} | ${formatMeasure(n, st.p90)} | ${formatMeasure(n, st.max)} |`);
  }
  const notPassed = r.trials.flatMap((t) => t.checks.filter((c) => c.verdict !== "pass").map((c) => `- trial ${t.index}, ${c.name}: **${c.verdict}**: ${mdCell(c.message)}`));
  if (notPassed.length) out.push("", "## Checks not passed", "", ...notPassed);
  if (r.model) out.push("", "## Model window", "", ...modelLines(r.model));
  return out.join("\n") + "\n";
}

/** What a rerun needs: profile, seed, overrides, and the timers the model depends on (when the runner recorded them). */
function settingsLines(topology: unknown): string[] {
  const t = topology as { spec?: { mode?: string; podmaster?: { ttlSecs?: number; sleepMs?: number }; kubelet?: { fileCheckFrequencyMs?: number; syncFrequencyMs?: number }; bugs?: string[] }; profile?: string; seed?: number; sets?: string[]; scenarioOverrides?: string[] } | null;
  if (!t || typeof t !== "object" || !t.spec) return [];
  const sp = t.spec;
  const sets = [...(t.scenarioOverrides ?? []), ...(t.sets ?? [])];
  return [
    "",
    `Settings: mode ${sp.mode}, profile ${t.profile ?? "?"}, seed ${t.seed ?? "?"}; podmaster ttl ${sp.podmaster?.ttlSecs} s, sleep ${(sp.podmaster?.sleepMs ?? 0) / 1000} s; kubelet file-check ${(sp.kubelet?.fileCheckFrequencyMs ?? 0) / 1000} s, sync ${(sp.kubelet?.syncFrequencyMs ?? 0) / 1000} s${sets.length ? `; --set ${sets.map((x) => `\`${x}\``).join(" ")}` : ""}${sp.bugs?.length ? `; **planted bugs: ${sp.bugs.join(", ")}**` : ""}.`,
  ];
}

/** What ran where, and the command that reruns it. */
function provenanceLines(r: RunResult): string[] {
  const d = r.environment.docker;
  const out = [
    "",
    `Harness ${r.harness.version} (commit ${r.harness.commit}), Node ${r.environment.node} on ${r.environment.platform}, ${d ? `Docker ${d.version} (API ${d.apiVersion}) at ${d.endpoint}` : "Docker version unknown"}.`,
  ];
  // Parts share images: one line per image, naming the parts that ran it.
  const byImage = new Map<string, string[]>();
  for (const [part, image] of Object.entries(r.images)) byImage.set(image, [...(byImage.get(image) ?? []), part]);
  if (byImage.size) out.push("", "Images:", "", ...[...byImage].map(([image, parts]) => `- \`${image}\`: ${parts.join(", ")}`));
  if (r.invocation) out.push("", `Rerun: \`${r.invocation.rerun}\``);
  return out;
}

/** Each trial's fault as fired: what, on which node, how the target was resolved, and the phase offset. */
function faultLines(trials: RunResult["trials"]): string[] {
  const lines = trials.map((t) => {
    if (!t.fault) return `- trial ${t.index}: no fault injected`;
    const f = t.fault;
    const who = f.targets.map((x) => `${x.node} (${mdCell(x.how)})`).join(", ") || "—";
    return `- trial ${t.index}: ${mdCell(f.description)} → ${who}, after a random offset of ${s(f.offsetMs)}, at t = ${s(f.injectedAtMs)}`;
  });
  return lines.length ? ["", "## Faults", "", ...lines] : [];
}

/** XML 1.0 text/attribute escaping; drops characters XML cannot carry (control chars, lone surrogates). */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Seconds with millisecond precision, as JUnit's `time` attributes carry them. */
const junitTime = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** A trial's wall time: its first history entry to its last (the `done` phase). */
export function trialDurationMs(t: Pick<TrialResult, "history">): number {
  return t.history.length ? t.history.at(-1)!.t - t.history[0]!.t : 0;
}

/** The part of a trial its checks judge: its start to `converge` (not judged), else to `evaluate`, else its end. */
export function judgedDurationMs(t: Pick<TrialResult, "history">): number {
  const h = t.history;
  if (!h.length) return 0;
  const end = h.find((e) => e.kind === "phase" && e.name === "converge") ?? h.find((e) => e.kind === "phase" && e.name === "evaluate") ?? h.at(-1)!;
  return end.t - h[0]!.t;
}

/** The run's identity for CI: what reran it exactly (run id, seed, profile, overrides, code, images). */
function runProperties(r: RunResult): [string, string][] {
  const t = (r.topology ?? {}) as { profile?: string; seed?: number; sets?: string[]; repeat?: number };
  const props: [string, string][] = [
    ["run-id", r.runId],
    ["scenario", r.scenario],
    ["started-at", r.startedAt],
    ["harness-version", r.harness.version],
    ["commit", r.harness.commit],
  ];
  if (t.profile !== undefined) props.push(["profile", t.profile]);
  if (t.seed !== undefined) props.push(["seed", String(t.seed)]);
  if (t.repeat !== undefined) props.push(["repeat", String(t.repeat)]);
  if (t.sets?.length) props.push(["set", t.sets.join(" ")]);
  for (const [part, image] of Object.entries(r.images)) props.push([`image.${part}`, image]);
  if (r.invocation) props.push(["rerun", r.invocation.rerun]);
  return props;
}

/**
 * `junit.xml` (valid against Jenkins' JUnit schema, docs/junit-jenkins.xsd): one `<testsuite>` per
 * trial with the run's `<properties>` (run id, seed, profile, images, commit) and its own (trial,
 * fault target), one `<testcase>` per check. The classname is the scenario and the name the check,
 * the same in every trial and run, so CI tracks a check across `--repeat` and across runs.
 * `fail` → `<failure>`; `unknown` → `<error>`: the run exits 1 and proves nothing, so CI must not
 * show it green or skipped. A harness error (or an interrupted run) adds a `harness` case with an
 * `<error>`. Times: a suite's is the trial's wall time, a case's the part of the trial its check
 * judges (start to `converge`).
 */
export function renderJunit(r: RunResult): string {
  const a = (v: string | number) => `"${xmlEscape(String(v))}"`;
  const properties = (extra: [string, string][]) =>
    `    <properties>\n${[...runProperties(r), ...extra].map(([n, v]) => `      <property name=${a(n)} value=${a(v)}/>`).join("\n")}\n    </properties>`;
  const suites: string[] = [];
  let [tests, failures, errors, totalMs] = [0, 0, 0, 0];
  for (const t of r.trials) {
    const caseTime = junitTime(judgedDurationMs(t));
    const cases = t.checks.map((c) => {
      const head = `    <testcase classname=${a(r.scenario)} name=${a(c.name)} time="${caseTime}">`;
      const body = xmlEscape(JSON.stringify(c.details, null, 2));
      const out = `      <system-out>${xmlEscape(`trial ${t.index}: ${c.message}`)}</system-out>`;
      if (c.verdict === "fail") return `${head}\n      <failure message=${a(c.message)} type="check-failed">${body}</failure>\n${out}\n    </testcase>`;
      if (c.verdict === "unknown") return `${head}\n      <error message=${a(`verdict unknown: ${c.message}`)} type="verdict-unknown">${body}</error>\n${out}\n    </testcase>`;
      return `${head}\n${out}\n    </testcase>`;
    });
    const f = t.checks.filter((c) => c.verdict === "fail").length;
    const e = t.checks.filter((c) => c.verdict === "unknown").length;
    const ms = trialDurationMs(t);
    [tests, failures, errors, totalMs] = [tests + t.checks.length, failures + f, errors + e, totalMs + ms];
    const trialProps: [string, string][] = [["trial", String(t.index)], ["trial-verdict", t.verdict]];
    if (t.fault) trialProps.push(["fault", t.fault.description], ["fault-targets", t.fault.targets.map((x) => x.node).join(", ")], ["fault-offset-ms", String(Math.round(t.fault.offsetMs))]);
    suites.push(
      `  <testsuite name=${a(`${r.scenario} trial ${t.index}`)} id="${t.index}" tests="${t.checks.length}" failures="${f}" errors="${e}" skipped="0" time="${junitTime(ms)}" timestamp=${a(isoSeconds(t.originEpochMs))}>\n${properties(trialProps)}\n${cases.join("\n")}\n  </testsuite>`,
    );
  }
  if (r.error || r.status !== "completed") {
    const msg = r.error ? `${r.error.code}: ${r.error.message}` : `run ${r.status}`;
    const ms = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : 0;
    tests += 1;
    errors += 1;
    suites.push(
      `  <testsuite name=${a(`${r.scenario} harness`)} tests="1" failures="0" errors="1" skipped="0" time="${junitTime(ms)}" timestamp=${a(isoSeconds(Date.parse(r.startedAt)))}>\n${properties([])}\n    <testcase classname=${a(r.scenario)} name="harness" time="${junitTime(ms)}">\n      <error message=${a(msg)} type=${a(r.error?.code ?? r.status)}>${xmlEscape(r.error?.hint ?? "")}</error>\n    </testcase>\n  </testsuite>`,
    );
  }
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name=${a(`${r.scenario} ${r.runId}`)} tests="${tests}" failures="${failures}" errors="${errors}" time="${junitTime(totalMs)}">`,
    ...suites,
    `</testsuites>`,
    "",
  ].join("\n");
}

/** ISO 8601 to the second, in UTC (`2026-11-25T19:30:00Z`): JUnit's timestamp. */
function isoSeconds(epochMs: number): string {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z") : "1970-01-01T00:00:00Z";
}

/**
 * The one format of a wall-clock time shown to a person (reports, indexes, `topology status`):
 * `2026-11-25 19:30:00 UTC`. Machine formats (result.json, junit.xml) keep ISO 8601.
 */
export function formatTimestamp(time: string | number): string {
  const ms = typeof time === "number" ? time : Date.parse(time);
  if (!Number.isFinite(ms)) return String(time);
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** The console table's short column heads, each standing for a measure (the legend line under the table says which). */
const CONSOLE_COLUMNS: [MeasureName, string][] = [
  ["timeToNewSchedulerMs", "new sched"],
  ["dualSchedulerMs", "dual"],
  ["podsLost", "lost"],
  ["podRecoveryMs", "pod recov"],
  ["apiErrorRate", "api err"],
  ["incompatibleOfferDeclines", "declines"],
];
/** The widest the console summary may be, in columns. */
export const CONSOLE_WIDTH = 120;
const CHECKS_COLUMN_WIDTH = 36;

/**
 * The table printed at the end of a run, at most CONSOLE_WIDTH columns wide: short heads with a
 * legend line, the checks not passed wrapped in their column. No colours, so it reads the same in
 * CI logs and files.
 */
export function renderConsoleSummary(r: RunResult): string {
  const style = { head: [], border: [] };
  const trials = new Table({
    head: ["trial", "verdict", ...CONSOLE_COLUMNS.map(([, h]) => h), "checks not passed"],
    colWidths: [...CONSOLE_COLUMNS.map(() => null), null, null, CHECKS_COLUMN_WIDTH],
    wordWrap: true,
    wrapOnWordBoundary: false,
    style,
  });
  for (const t of r.trials) {
    const bad = t.checks.filter((c) => c.verdict !== "pass").map((c) => `${c.name}: ${c.verdict}`);
    trials.push([String(t.index), t.verdict, ...CONSOLE_COLUMNS.map(([n]) => formatMeasure(n, measureValue(t.measures, n))), bad.join("\n") || "—"]);
  }
  const summary = new Table({ head: ["measure", "n", "min", "p50", "p90", "max"], style });
  for (const n of MEASURE_NAMES) {
    const st = r.summary[n];
    if (st.n) summary.push([n, String(st.n), formatMeasure(n, st.min), formatMeasure(n, st.p50), formatMeasure(n, st.p90), formatMeasure(n, st.max)]);
  }
  const lines = [
    `${r.scenario} ${r.runId}: ${r.verdict.toUpperCase()} (${r.trials.length} trial(s), ${r.status})`,
    trials.toString(),
    ...wrap(`(${CONSOLE_COLUMNS.map(([n, h]) => `${h} = ${n}`).join(", ")}; times from the fault)`, CONSOLE_WIDTH),
  ];
  if (summary.length) lines.push(summary.toString());
  if (r.model) lines.push(`model ${r.model.case}: [${s(r.model.minMs)}, ${s(r.model.maxMs)}], expected ${s(r.model.expectedMs)}`);
  if (r.error) lines.push(`harness error ${r.error.code}: ${r.error.message}`);
  if (r.invocation) lines.push(`rerun: ${r.invocation.rerun}`);
  return lines.join("\n");
}
