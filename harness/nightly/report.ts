/**
 * The night's reports in `reports/nightly/<id>/`, each a pure rendering of `NightlyResult`:
 * `nightly.json` (docs/nightly.schema.json), `junit.xml` (one file for the whole night, valid
 * against docs/junit-jenkins.xsd), `summary.md` (for a CI job summary) and `index.html` (linking
 * every run's report), the gate's verdict at the top of each. Each file is written under a
 * temporary name and renamed; `nightly.json` last, so a folder with one is complete.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { esc } from "../reporting/html.js";
import { writeAtomic } from "../reporting/atomic.js";
import { formatMeasure, formatTimestamp, xmlEscape } from "../reporting/text.js";
import type { GateComparison, NightlyResult, NightlyScenario } from "./types.js";

const STATUS_WORD: Record<NightlyScenario["status"], string> = {
  pass: "PASS", flaky: "FLAKY", failing: "FAILING", inconclusive: "INCONCLUSIVE", error: "ERROR", "not-run": "NOT RUN", interrupted: "INTERRUPTED",
};
const dur = (ms: number): string => `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;
const md = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function headline(n: NightlyResult): string {
  const regressions = n.comparisons.filter((c) => c.verdict === "regression").length;
  const count = (s: NightlyScenario["status"]) => n.scenarios.filter((x) => x.status === s).length;
  return `${n.verdict.toUpperCase()} (exit ${n.exitCode}): ${regressions} regression(s), ${n.safety.length} safety failure(s); ` +
    `${count("pass")} pass, ${count("flaky")} flaky, ${count("failing")} failing, ${count("inconclusive")} inconclusive, ${count("error")} error, ${count("not-run")} not run${count("interrupted") ? `, ${count("interrupted")} interrupted` : ""}`;
}

function baselineLine(n: NightlyResult): string {
  if (!n.baseline) return "No baseline: only safety and the scenarios' checks were judged (make one with `npm run nightly -- --update-baseline`).";
  const sets = n.baseline.sets.join(" ") === n.sets.join(" ") ? "" : ` Settings differ: baseline \`--set ${n.baseline.sets.join(" ") || "(none)"}\`, tonight \`--set ${n.sets.join(" ") || "(none)"}\`.`;
  return `Baseline: \`${n.baseline.file}\` (${n.baseline.kind} ${n.baseline.id}, ${n.baseline.createdAt}).${sets}`;
}

/** "2 at once", or the slots over several engines; with the shard when the night is one. */
function runsLine(n: NightlyResult): string {
  const engines = n.engines ?? [];
  const slots = engines.length > 1 ? `${n.parallel} slot(s) over ${engines.length} engines` : `${n.parallel} at once`;
  return `${n.shard ? `shard ${n.shard.index}/${n.shard.count} (${n.shard.scenarios.length} of the plan's scenarios; the others are in the other shards' reports), ` : ""}${slots}`;
}

/** One line per engine when there are several or one was lost: what each ran, and any loss. */
function engineLines(n: NightlyResult): string[] {
  const engines = n.engines ?? [];
  if (engines.length < 2 && !engines.some((e) => e.lost)) return [];
  return engines.map((e) => `${e.url}: ${e.runs} run(s), ${e.trials} trial(s) on ${e.parallel} slot(s)${e.lost ? `; LOST at ${formatTimestamp(e.lost.at)} (${e.lost.reason}); its runs ${e.lost.runIds.join(", ") || "(none under way)"} reran on the other engines` : ""}`);
}

const changed = (c: GateComparison): string => (c.shift ? `${c.shift.relative === null ? "" : `${c.shift.relative >= 0 ? "+" : ""}${(c.shift.relative * 100).toFixed(0)} %, `}${formatMeasure(c.measure, c.shift.estimate)} [${formatMeasure(c.measure, c.shift.lo)}, ${formatMeasure(c.measure, c.shift.hi)}]` : "—");

/** summary.md: verdict, regressions, safety, scenarios, every comparison; links relative to the night's folder. */
export function renderNightlySummaryMd(n: NightlyResult): string {
  const lines = [
    `# Nightly ${n.id}: ${headline(n)}`,
    "",
    `${n.profile} profile, ${n.scenarios.length} scenario(s), ${runsLine(n)}, budget ${dur(n.budgetMs)}; ${formatTimestamp(n.startedAt)} to ${formatTimestamp(n.finishedAt)}; harness ${n.harness.version} (${n.harness.commit})${n.sets.length ? `; \`--set ${n.sets.join(" ")}\`` : ""}.`,
    "",
    baselineLine(n),
  ];
  const engines = engineLines(n);
  if (engines.length) {
    lines.push("", "## Engines", "");
    for (const e of engines) lines.push(`- ${e.includes("; LOST at") ? `**engine lost**: ${md(e)}` : md(e)}`);
  }
  const regressions = n.comparisons.filter((c) => c.verdict === "regression");
  if (regressions.length) {
    lines.push("", "## Regressions", "", "| scenario | measure | baseline | tonight | shift [interval] | runs |", "| --- | --- | ---: | ---: | --- | --- |");
    for (const c of regressions) lines.push(`| ${c.scenario} | ${c.measure} ${c.stat} | ${formatMeasure(c.measure, c.baseline.value)} (n=${c.baseline.n}) | ${formatMeasure(c.measure, c.tonight.value)} (n=${c.tonight.n}) | ${changed(c)} | ${c.runs.map((r) => `[${r}](${r}/report.html)`).join(" ")} |`);
  }
  if (n.safety.length) {
    lines.push("", "## Safety failures", "");
    for (const f of n.safety) lines.push(`- **${f.scenario}** \`${f.check}\` failed in trial ${f.trial + 1} of [${f.runId}](${f.reportDir}/report.html): ${md(f.message)}`);
  }
  const notPass = n.scenarios.filter((s) => s.status !== "pass");
  if (notPass.length) {
    lines.push("", "## Not passing", "");
    for (const s of notPass) lines.push(`- **${s.name}**: ${STATUS_WORD[s.status]}${s.reason ? `: ${md(s.reason)}` : ""}`);
  }
  const lost = n.scenarios.flatMap((s) => (s.lostRuns ?? []).map((l) => `- **${s.name}**: run ${l.runId} on ${l.engine} lost with its engine, not counted as an attempt; ${s.attempts.length ? `ran on ${[...new Set(s.attempts.map((a) => a.engine ?? "?"))].join(", ")}` : "not run again"}`));
  if (lost.length) lines.push("", "## Runs lost with their engine", "", ...lost);
  lines.push("", "## Scenarios", "", "| scenario | status | trials | new scheduler p50 | p90 | pod recovery p50 | time | runs |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const s of n.scenarios) {
    const t = s.summary.timeToNewSchedulerMs;
    const p = s.summary.podRecoveryMs;
    const time = s.attempts.reduce((a, x) => a + x.durationMs, 0);
    lines.push(`| ${s.name} | ${STATUS_WORD[s.status]} | ${s.attempts.at(-1)?.trials ?? 0}/${s.repeat} | ${formatMeasure("timeToNewSchedulerMs", t?.p50)} | ${formatMeasure("timeToNewSchedulerMs", t?.p90)} | ${formatMeasure("podRecoveryMs", p?.p50)} | ${s.attempts.length ? dur(time) : `est. ${dur(s.estimateMs)}`} | ${s.attempts.map((a) => `[${a.runId}](${a.reportDir}/report.html)`).join(" ") || "—"} |`);
  }
  if (n.comparisons.length) {
    lines.push("", "## Gate", "", "| scenario | measure | threshold | baseline | tonight | shift [interval] | verdict |", "| --- | --- | --- | ---: | ---: | --- | --- |");
    for (const c of n.comparisons) {
      lines.push(`| ${c.scenario} | ${c.measure} ${c.stat} | +${(c.threshold.maxIncrease * 100).toFixed(0)} %, ${Math.round(c.threshold.level * 100)} % interval > 0 | ${formatMeasure(c.measure, c.baseline.value)} (n=${c.baseline.n}) | ${formatMeasure(c.measure, c.tonight.value)} (n=${c.tonight.n}) | ${changed(c)} | ${c.verdict === "regression" ? "**REGRESSION**" : c.verdict} |`);
    }
  }
  if (n.baselineWritten) lines.push("", `Baseline written: \`${n.baselineWritten}\`.`);
  lines.push("", "Reports: `index.html` beside this file links every run's report; `nightly.json` has it all; docs/NIGHTLY.md says how the gate decides.", "");
  return lines.join("\n");
}

const junitTime = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/**
 * One junit.xml for the night: a `<testsuite>` per scenario, a `<testcase>` per check (failed when
 * it failed in any trial of the run that counts) and per gate threshold (failed on a regression),
 * and a `run` case: `<skipped/>` for a scenario not run, `<error>` for a harness error or an
 * inconclusive scenario. A flaky scenario's cases pass (its rerun passed) and carry
 * `status="flaky"` with a `<system-out>` naming the failed attempt; the suite has a `flaky`
 * property. Classnames `nightly.<scenario>`, so CI tracks each check and threshold across nights.
 */
export function renderNightlyJunit(n: NightlyResult): string {
  const a = (v: string | number): string => `"${xmlEscape(String(v))}"`;
  let [tests, failures, errors, skipped] = [0, 0, 0, 0];
  const suites = n.scenarios.map((s) => {
    const cls = `nightly.${s.name}`;
    const counted = s.attempts.at(-1);
    const time = junitTime(s.attempts.reduce((x, y) => x + y.durationMs, 0));
    const cases: string[] = [];
    const flaky = s.status === "flaky";
    const flakyOut = flaky ? `\n      <system-out>${xmlEscape(`FLAKY: ${s.reason ?? ""}`)}</system-out>` : "";
    const runCase = (body: string, status?: string): string => `    <testcase classname=${a(cls)} name="run" time=${a(time)}${status ? ` status=${a(status)}` : ""}${body ? `>${body}\n    </testcase>` : "/>"}`;
    if (s.status === "not-run" || s.status === "interrupted") {
      skipped++;
      cases.push(runCase(`\n      <skipped/>\n      <system-out>${xmlEscape(`${STATUS_WORD[s.status]}: ${s.reason ?? ""}`)}</system-out>`));
    } else if (s.status === "error" || s.status === "inconclusive") {
      errors++;
      cases.push(runCase(`\n      <error message=${a(`${STATUS_WORD[s.status]}: ${s.reason ?? ""}`)} type=${a(s.status)}/>`));
    } else {
      cases.push(runCase(flaky ? flakyOut : s.status === "failing" ? `\n      <system-out>${xmlEscape(`FAILING: ${s.reason ?? ""}`)}</system-out>` : "", flaky ? "flaky" : undefined));
    }
    if (counted && counted.status === "completed") {
      for (const check of counted.checks) {
        const p = counted.problems.find((x) => x.check === check && x.verdict === "fail") ?? counted.problems.find((x) => x.check === check);
        const head = `    <testcase classname=${a(cls)} name=${a(check)} time=${a(time)}${flaky ? ' status="flaky"' : ""}>`;
        if (!p) cases.push(flaky ? `${head}${flakyOut}\n    </testcase>` : `${head.slice(0, -1)}/>`);
        else {
          const msg = `${p.verdict === "fail" ? "failed" : "verdict unknown"} in trial ${p.trials.map((t) => t + 1).join(", ")} of run ${counted.runId}: ${p.message}`;
          if (p.verdict === "fail") failures++;
          else errors++;
          cases.push(`${head}\n      <${p.verdict === "fail" ? "failure" : "error"} message=${a(msg)} type=${a(p.verdict === "fail" ? "check-failed" : "verdict-unknown")}>${xmlEscape(`report: ${counted.reportDir}/report.html`)}</${p.verdict === "fail" ? "failure" : "error"}>\n    </testcase>`);
        }
      }
    }
    for (const c of n.comparisons.filter((x) => x.scenario === s.name)) {
      const head = `    <testcase classname=${a(cls)} name=${a(`gate ${c.measure} ${c.stat}`)} time="0.000">`;
      if (c.verdict === "regression") {
        failures++;
        cases.push(`${head}\n      <failure message=${a(`regression: ${c.message}`)} type="regression">${xmlEscape(`runs: ${c.runs.join(", ")}`)}</failure>\n    </testcase>`);
      } else cases.push(`${head}\n      <system-out>${xmlEscape(c.message)}</system-out>\n    </testcase>`);
    }
    tests += cases.length;
    const props: [string, string][] = [["status", s.status], ["repeat", String(s.repeat)], ["flaky", String(flaky)], ...s.attempts.map((x, i): [string, string] => [`attempt.${i + 1}`, `${x.runId} ${x.status} ${x.verdict} ${x.reportDir}${x.engine ? ` on ${x.engine}` : ""}`]), ...(s.lostRuns ?? []).map((x, i): [string, string] => [`lost.${i + 1}`, `${x.runId} on ${x.engine}: ${x.reason}`])];
    if (s.reason) props.push(["reason", s.reason]);
    const f = cases.filter((c) => c.includes("<failure")).length;
    const e = cases.filter((c) => c.includes("<error")).length;
    const k = cases.filter((c) => c.includes("<skipped")).length;
    return `  <testsuite name=${a(`nightly ${s.name}`)} tests="${cases.length}" failures="${f}" errors="${e}" skipped="${k}" time=${a(time)} timestamp=${a(n.startedAt.replace(/\.\d{3}Z$/, "Z"))}>\n    <properties>\n${props.map(([k2, v]) => `      <property name=${a(k2)} value=${a(v)}/>`).join("\n")}\n    </properties>\n${cases.join("\n")}\n  </testsuite>`;
  });
  const total = Date.parse(n.finishedAt) - Date.parse(n.startedAt);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name=${a(`nightly ${n.id}${n.shard ? ` shard ${n.shard.index}/${n.shard.count}` : ""}: ${n.verdict}`)} tests="${tests}" failures="${failures}" errors="${errors}" time=${a(junitTime(Number.isFinite(total) ? total : 0))}>`,
    ...suites,
    `</testsuites>`,
    "",
  ].join("\n");
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}td.l,th.l{text-align:left;white-space:normal}
.v-pass{color:#18794e}.v-fail,.v-failing,.v-regression{color:#c62828}.v-error,.v-inconclusive,.v-flaky,.v-not-run,.v-interrupted{color:#8a6d00}code{font-family:ui-monospace,monospace}`;

/** index.html: the verdict and why, then every scenario with links to its runs' reports, then the gate. */
export function renderNightlyIndexHtml(n: NightlyResult): string {
  const verdictClass = n.verdict === "pass" ? "pass" : n.verdict === "fail" ? "fail" : "error";
  const rows = n.scenarios.map((s) => {
    const t = s.summary.timeToNewSchedulerMs;
    const links = s.attempts.map((x, i) => `<a href="${esc(x.reportDir)}/report.html">${i ? "rerun" : "run"} ${esc(x.runId)}</a> (${esc(x.status === "completed" ? x.verdict : x.status)})`).join("<br>") || "—";
    return `<tr data-scenario="${esc(s.name)}"><td class="l">${esc(s.name)}</td><td class="l v-${s.status}" data-status="${s.status}">${STATUS_WORD[s.status]}</td><td>${s.attempts.at(-1)?.trials ?? 0}/${s.repeat}</td><td>${esc(formatMeasure("timeToNewSchedulerMs", t?.p50))}</td><td>${esc(formatMeasure("timeToNewSchedulerMs", t?.p90))}</td><td>${esc(formatMeasure("podRecoveryMs", s.summary.podRecoveryMs?.p50))}</td><td class="l">${links}</td><td class="l">${esc(s.reason ?? "")}</td></tr>`;
  });
  const gate = n.comparisons.map((c) => `<tr data-comparison="${esc(`${c.scenario}/${c.measure}/${c.stat}`)}"><td class="l">${esc(c.scenario)}</td><td class="l">${esc(`${c.measure} ${c.stat}`)}</td><td>${esc(formatMeasure(c.measure, c.baseline.value))} (n=${c.baseline.n})</td><td>${esc(formatMeasure(c.measure, c.tonight.value))} (n=${c.tonight.n})</td><td>${esc(changed(c))}</td><td class="l v-${c.verdict}">${esc(c.verdict)}</td></tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nightly ${esc(n.id)}: ${esc(n.verdict)}</title><style>${STYLE}</style></head><body>
<h1>Nightly ${esc(n.id)}: <span class="v-${verdictClass}" data-verdict="${n.verdict}">${n.verdict.toUpperCase()}</span> (exit ${n.exitCode})</h1>
<p>${esc(headline(n))}</p>
${n.reasons.length ? `<ul>${n.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : ""}
${engineLines(n).map((e) => (e.includes("; LOST at") ? `<p class="v-fail" data-engine="lost">${esc(`engine lost: ${e}`)}</p>` : `<p data-engine>${esc(`engine ${e}`)}</p>`)).join("\n")}
<p>${esc(`${n.profile} profile, ${runsLine(n)}, budget ${dur(n.budgetMs)}; ${formatTimestamp(n.startedAt)} to ${formatTimestamp(n.finishedAt)}.`)} ${esc(baselineLine(n).replace(/`/g, ""))}</p>
<p><a href="summary.md">summary.md</a> · <a href="junit.xml">junit.xml</a> · <a href="nightly.json">nightly.json</a> · <a href="../trend.html">trend</a></p>
<h2>Scenarios</h2>
<table><tr><th class="l">scenario</th><th class="l">status</th><th>trials</th><th>new scheduler p50</th><th>p90</th><th>pod recovery p50</th><th class="l">reports</th><th class="l">why</th></tr>${rows.join("")}</table>
<h2>Gate</h2>
${gate.length ? `<table><tr><th class="l">scenario</th><th class="l">measure</th><th>baseline</th><th>tonight</th><th>shift [interval]</th><th class="l">verdict</th></tr>${gate.join("")}</table>` : "<p>No comparison (no baseline, or no scenario completed).</p>"}
</body></html>
`;
}

/** Writes the four reports into `dir` (nightly.json last). */
export async function writeNightlyReports(dir: string, n: NightlyResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ["summary.md", renderNightlySummaryMd(n)],
    ["junit.xml", renderNightlyJunit(n)],
    ["index.html", renderNightlyIndexHtml(n)],
    ["nightly.json", `${JSON.stringify(n, null, 2)}\n`],
  ];
  for (const [name, text] of files) await writeAtomic(path.join(dir, name), text);
  return files.map(([name]) => path.join(dir, name));
}

