/**
 * The indexes of runs: `<outRoot>/<scenario>/index.html` (that scenario's runs) and
 * `<outRoot>/index.html` (every scenario's), each run with its verdict, date and key figures, newest
 * first, linking to its report. Rebuilt from the `result.json` files on disk by every writeReports,
 * so they list runs of any process; written to a temporary file and renamed, so a reader never sees
 * half a page. Like report.html: one self-contained page, no script, no network.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Verdict } from "../checks/checks.js";
import type { MeasureName } from "../measures/measures.js";
import { writeAtomic } from "./atomic.js";
import { esc } from "./html.js";
import type { RunResult, SummaryStats } from "./result.js";
import { formatMeasure, formatTimestamp } from "./text.js";

/** One run as the indexes show it, read from its result.json. */
export interface RunEntry {
  readonly scenario: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly status: RunResult["status"];
  readonly verdict: Verdict;
  readonly trials: number;
  readonly profile?: string;
  readonly seed?: number;
  readonly summary: Partial<Record<MeasureName, SummaryStats>>;
  readonly error?: string;
}

/** The figures an index shows per run: the measure, which statistic, and the column head. */
const FIGURES: readonly [MeasureName, keyof SummaryStats, string][] = [
  ["timeToNewSchedulerMs", "p50", "new scheduler p50"],
  ["timeToNewSchedulerMs", "max", "max"],
  ["podRecoveryMs", "p50", "pod recovery p50"],
  ["dualSchedulerMs", "max", "two schedulers max"],
  ["podsLost", "max", "pods lost max"],
  ["apiErrorRate", "p50", "API errors p50"],
];

async function dirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== "latest").map((d) => d.name);
  } catch {
    return [];
  }
}

/** The runs of `scenario` under `outRoot` (folders with a result.json), newest first. */
export async function readScenarioRuns(outRoot: string, scenario: string): Promise<RunEntry[]> {
  const runs: RunEntry[] = [];
  for (const runId of await dirs(path.join(outRoot, scenario))) {
    let text: string;
    try {
      text = await readFile(path.join(outRoot, scenario, runId, "result.json"), "utf8");
    } catch {
      continue; // not a run folder, or a run still going: its report is written at its end
    }
    runs.push(entryOf(scenario, runId, text));
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
}

/** Every scenario's runs under `outRoot`, newest first. */
export async function readAllRuns(outRoot: string): Promise<RunEntry[]> {
  const all = await Promise.all((await dirs(outRoot)).map((s) => readScenarioRuns(outRoot, s)));
  return all.flat().sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
}

function entryOf(scenario: string, runId: string, text: string): RunEntry {
  try {
    const r = JSON.parse(text) as Partial<RunResult> & { topology?: { profile?: string; seed?: number } };
    return {
      scenario,
      runId,
      startedAt: typeof r.startedAt === "string" ? r.startedAt : "",
      status: r.status ?? "failed",
      verdict: r.verdict ?? "unknown",
      trials: Array.isArray(r.trials) ? r.trials.length : 0,
      profile: r.topology?.profile,
      seed: r.topology?.seed,
      summary: r.summary ?? {},
      error: r.error ? `${r.error.code}: ${r.error.message}` : undefined,
    };
  } catch (err) {
    return { scenario, runId, startedAt: "", status: "failed", verdict: "unknown", trials: 0, summary: {}, error: `result.json unreadable: ${(err as Error).message}` };
  }
}

const PAGE_STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}td.l,th.l{text-align:left}
.v-pass{color:#18794e}.v-fail{color:#c62828}.v-unknown{color:#8a6d00}code{font-family:ui-monospace,monospace}`;

function page(title: string, body: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${PAGE_STYLE}</style></head><body>
${body.join("\n")}
</body></html>
`;
}

/** A table of runs; `href` gives each run's report link relative to the page. */
function runsTable(runs: readonly RunEntry[], href: (r: RunEntry) => string, withScenario: boolean): string {
  if (!runs.length) return "<p>No run has written a result.json here yet.</p>";
  const head = [...(withScenario ? ["scenario"] : []), "run", "started", "verdict", "status", "trials", "profile", "seed", ...FIGURES.map(([, , h]) => h)];
  const rows = runs.map((r) => {
    const figures = FIGURES.map(([n, stat]) => `<td>${esc(formatMeasure(n, r.summary[n]?.[stat] ?? null))}</td>`).join("");
    const cells = [
      ...(withScenario ? [`<td class="l">${esc(r.scenario)}</td>`] : []),
      `<td class="l"><a href="${esc(href(r))}">${esc(r.runId)}</a></td>`,
      `<td class="l">${r.startedAt ? formatTimestamp(r.startedAt) : "—"}</td>`,
      `<td class="l v-${r.verdict}" data-verdict="${r.verdict}">${r.verdict.toUpperCase()}</td>`,
      `<td class="l"${r.error ? ` title="${esc(r.error)}"` : ""}>${esc(r.status)}</td>`,
      `<td>${r.trials}</td>`,
      `<td class="l">${esc(r.profile ?? "—")}</td>`,
      `<td>${r.seed ?? "—"}</td>`,
    ];
    return `<tr data-run="${esc(r.runId)}">${cells.join("")}${figures}</tr>`;
  });
  return `<table><tr>${head.map((h, i) => `<th${i < 3 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr>${rows.join("")}</table>`;
}

const FIGURES_NOTE = "<p>Figures over each run's trials; times are from the fault. Each run's report defines them.</p>";

/** `<outRoot>/<scenario>/index.html`. */
export function renderScenarioIndexHtml(scenario: string, runs: readonly RunEntry[]): string {
  return page(`${scenario}: runs`, [
    `<p><a href="../index.html">All scenarios</a></p>`,
    `<h1>${esc(scenario)}: ${runs.length} run(s)</h1>`,
    runs.length ? `<p>Latest: <a href="latest/report.html">latest/report.html</a>.</p>` : "",
    FIGURES_NOTE,
    runsTable(runs, (r) => `${r.runId}/report.html`, false),
  ]);
}

/** `<outRoot>/index.html`: each scenario's latest verdict, then every run. */
export function renderRootIndexHtml(runs: readonly RunEntry[]): string {
  const latest = new Map<string, RunEntry>();
  const counts = new Map<string, number>();
  for (const r of runs) {
    if (!latest.has(r.scenario)) latest.set(r.scenario, r);
    counts.set(r.scenario, (counts.get(r.scenario) ?? 0) + 1);
  }
  const scenarios = [...latest.values()].sort((a, b) => a.scenario.localeCompare(b.scenario));
  const rows = scenarios.map(
    (r) =>
      `<tr data-scenario="${esc(r.scenario)}"><td class="l"><a href="${esc(r.scenario)}/index.html">${esc(r.scenario)}</a></td><td>${counts.get(r.scenario)}</td><td class="l v-${r.verdict}" data-verdict="${r.verdict}">${r.verdict.toUpperCase()}</td><td class="l"><a href="${esc(`${r.scenario}/${r.runId}/report.html`)}">${esc(r.runId)}</a></td><td class="l">${r.startedAt ? formatTimestamp(r.startedAt) : "—"}</td></tr>`,
  );
  return page("Runs", [
    `<h1>Runs: ${runs.length} in ${scenarios.length} scenario(s)</h1>`,
    `<h2>Latest run of each scenario</h2>`,
    scenarios.length ? `<table><tr><th class="l">scenario</th><th>runs</th><th class="l">latest verdict</th><th class="l">run</th><th class="l">started</th></tr>${rows.join("")}</table>` : "<p>No run yet.</p>",
    `<h2>Every run, newest first</h2>`,
    FIGURES_NOTE,
    runsTable(runs, (r) => `${r.scenario}/${r.runId}/report.html`, true),
  ]);
}

/** Rebuilds `<outRoot>/<scenario>/index.html` and `<outRoot>/index.html`; returns the paths written. */
export async function writeRunIndexes(outRoot: string, scenario: string): Promise<string[]> {
  const all = await readAllRuns(outRoot);
  const scenarioFile = path.join(outRoot, scenario, "index.html");
  const rootFile = path.join(outRoot, "index.html");
  await writeAtomic(scenarioFile, renderScenarioIndexHtml(scenario, all.filter((r) => r.scenario === scenario)));
  await writeAtomic(rootFile, renderRootIndexHtml(all));
  return [scenarioFile, rootFile];
}
