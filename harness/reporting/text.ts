import Table from "cli-table3";
import { historyToNdjson } from "../history/history.js";
import { MEASURE_NAMES, measureValue, type MeasureName } from "../measures/measures.js";
import type { ModelWindow } from "../timing-oracle/windows.js";
import type { RunResult } from "./result.js";

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
    `Run \`${r.runId}\`, started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ""}, ${r.trials.length} trial(s), status ${r.status}.`,
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
  const t = topology as { spec?: { mode?: string; podmaster?: { ttlSecs?: number; sleepMs?: number }; kubelet?: { fileCheckFrequencyMs?: number; syncFrequencyMs?: number } }; profile?: string; seed?: number; sets?: string[]; scenarioOverrides?: string[] } | null;
  if (!t || typeof t !== "object" || !t.spec) return [];
  const sp = t.spec;
  const sets = [...(t.scenarioOverrides ?? []), ...(t.sets ?? [])];
  return [
    "",
    `Settings: mode ${sp.mode}, profile ${t.profile ?? "?"}, seed ${t.seed ?? "?"}; podmaster ttl ${sp.podmaster?.ttlSecs} s, sleep ${(sp.podmaster?.sleepMs ?? 0) / 1000} s; kubelet file-check ${(sp.kubelet?.fileCheckFrequencyMs ?? 0) / 1000} s, sync ${(sp.kubelet?.syncFrequencyMs ?? 0) / 1000} s${sets.length ? `; --set ${sets.map((x) => `\`${x}\``).join(" ")}` : ""}.`,
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

/**
 * `junit.xml`: one `<testsuite>` per trial, one `<testcase>` per check. `fail` → `<failure>`,
 * `unknown` → `<skipped>` (CI shows it, but it is not a pass). A harness error adds a
 * `<testcase name="harness">` with an `<error>`.
 */
export function renderJunit(r: RunResult): string {
  const a = (v: string | number) => `"${xmlEscape(String(v))}"`;
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const t of r.trials) {
    const cases = t.checks.map((c) => {
      const head = `    <testcase classname=${a(`${r.scenario}.trial-${t.index}`)} name=${a(c.name)} time="0">`;
      const body = JSON.stringify(c.details, null, 2);
      if (c.verdict === "fail") return `${head}\n      <failure message=${a(c.message)} type="check-failed">${xmlEscape(body)}</failure>\n    </testcase>`;
      if (c.verdict === "unknown") return `${head}\n      <skipped message=${a(c.message)}/>\n    </testcase>`;
      return `${head}\n      <system-out>${xmlEscape(c.message)}</system-out>\n    </testcase>`;
    });
    const f = t.checks.filter((c) => c.verdict === "fail").length;
    const sk = t.checks.filter((c) => c.verdict === "unknown").length;
    tests += t.checks.length;
    failures += f;
    skipped += sk;
    suites.push(
      `  <testsuite name=${a(`${r.scenario} trial ${t.index}`)} tests="${t.checks.length}" failures="${f}" errors="0" skipped="${sk}" timestamp=${a(new Date(t.originEpochMs).toISOString())}>\n${cases.join("\n")}\n  </testsuite>`,
    );
  }
  if (r.error || r.status !== "completed") {
    const msg = r.error ? `${r.error.code}: ${r.error.message}` : `run ${r.status}`;
    tests += 1;
    errors += 1;
    suites.push(
      `  <testsuite name=${a(`${r.scenario} harness`)} tests="1" failures="0" errors="1" skipped="0">\n    <testcase classname=${a(r.scenario)} name="harness" time="0">\n      <error message=${a(msg)} type=${a(r.error?.code ?? r.status)}>${xmlEscape(r.error?.hint ?? "")}</error>\n    </testcase>\n  </testsuite>`,
    );
  }
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name=${a(`${r.scenario} ${r.runId}`)} tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">`,
    ...suites,
    `</testsuites>`,
    "",
  ].join("\n");
}

/** The table printed at the end of a run (no colours, so it reads the same in CI logs). */
export function renderConsoleSummary(r: RunResult): string {
  const style = { head: [], border: [] };
  const trials = new Table({ head: ["trial", "verdict", ...TRIAL_COLUMNS, "checks not passed"], style });
  for (const t of r.trials) {
    const bad = t.checks.filter((c) => c.verdict !== "pass").map((c) => `${c.name}: ${c.verdict}`);
    trials.push([String(t.index), t.verdict, ...TRIAL_COLUMNS.map((n) => formatMeasure(n, measureValue(t.measures, n))), bad.join("\n") || "—"]);
  }
  const summary = new Table({ head: ["measure", "n", "min", "p50", "p90", "max"], style });
  for (const n of MEASURE_NAMES) {
    const st = r.summary[n];
    if (st.n) summary.push([n, String(st.n), formatMeasure(n, st.min), formatMeasure(n, st.p50), formatMeasure(n, st.p90), formatMeasure(n, st.max)]);
  }
  const lines = [`${r.scenario} ${r.runId}: ${r.verdict.toUpperCase()} (${r.trials.length} trial(s), ${r.status})`, trials.toString()];
  if (summary.length) lines.push(summary.toString());
  if (r.model) lines.push(`model ${r.model.case}: [${s(r.model.minMs)}, ${s(r.model.maxMs)}], expected ${s(r.model.expectedMs)}`);
  if (r.error) lines.push(`harness error ${r.error.code}: ${r.error.message}`);
  if (r.invocation) lines.push(`rerun: ${r.invocation.rerun}`);
  return lines.join("\n");
}
