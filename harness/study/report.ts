/**
 * A study's reports, beside its trials.ndjson: study.json (docs/study.schema.json), study.md and a
 * self-contained study.html (charts inlined as static SVG; links only to the runs' reports in the
 * same folder). Each is written whole or not at all, and rewritten from the log after every session,
 * so a partial (interrupted) study has its partial report.
 */
import path from "node:path";
import { ecdfSpec, renderChart, BAND_COLORS } from "../reporting/charts.js";
import { esc } from "../reporting/html.js";
import type { StudyAnalysis } from "./analyze.js";
import { fittedSpec, falseFailoverSpec, heatmapSpec, intervalsSpec, type HeatCell } from "./charts.js";
import type { StudyDefinition } from "./definition.js";
import type { Shard } from "./design.js";
import { writeAtomic } from "../reporting/atomic.js";
import type { LogRecord, TrialRecord } from "./log.js";

export const STUDY_SCHEMA_VERSION = 1;

export interface StudyReport {
  schemaVersion: number;
  id: string;
  study: StudyDefinition;
  /** completed: every planned trial finished; partial: some remain (`--resume` runs them). */
  status: "completed" | "partial";
  /** Whether the last session was interrupted (Ctrl-C) before it ran everything. */
  interrupted: boolean;
  createdAt: string;
  writtenAt: string;
  engine: string;
  /** This session's `--parallel`. */
  parallel: number;
  /** A shard's report (`--shard i/n`): its counts are its slice's. Absent for a whole or merged study. */
  shard?: Shard;
  /** A merged study (`npm run study -- merge`): the shard folders it was merged from. */
  mergedFrom?: { dir: string; shard: Shard | null }[];
  /** What a reader must know about how complete the study is (a merge's missing or unfinished shards). */
  notes?: string[];
  counts: StudyAnalysis["counts"];
  recommendation: StudyAnalysis["recommendation"];
  cells: StudyAnalysis["cells"];
  byPosition: StudyAnalysis["byPosition"];
  falseFailover: StudyAnalysis["falseFailover"];
  fit: StudyAnalysis["fit"];
  probeError: StudyAnalysis["probeError"];
  throughput: StudyAnalysis["throughput"];
  /** Every trial, compact, with its run report's path (relative to the study folder). */
  trials: {
    arm: TrialRecord["arm"];
    cell: string;
    replicate: number | null;
    runId: string;
    trialIndex: number;
    seed: number;
    offsetMs: number | null;
    timeToNewSchedulerMs: number | null;
    podRecoveryMs: number | null;
    insideModel: boolean | null;
    failover: boolean | null;
    verdict: TrialRecord["verdict"];
    complete: boolean;
    report: string;
    /** False when the study was killed before the trial's run ended: that run never wrote its report (the trial's data is in trials.ndjson). */
    runEnded: boolean;
  }[];
}

export function buildStudyReport(a: {
  id: string;
  definition: StudyDefinition;
  analysis: StudyAnalysis;
  records: readonly LogRecord[];
  createdAt: string;
  interrupted: boolean;
  engine: string;
  parallel: number;
  shard?: Shard;
  mergedFrom?: StudyReport["mergedFrom"];
  /** @default completed when the analysis counts every planned trial */
  status?: StudyReport["status"];
  notes?: string[];
}): StudyReport {
  const { analysis } = a;
  const ended = new Set(a.records.flatMap((r) => (r.kind === "batch" ? [r.runId] : [])));
  return {
    schemaVersion: STUDY_SCHEMA_VERSION,
    id: a.id,
    study: a.definition,
    status: a.status ?? (analysis.counts.trials >= analysis.counts.planned ? "completed" : "partial"),
    interrupted: a.interrupted,
    createdAt: a.createdAt,
    writtenAt: new Date().toISOString(),
    engine: a.engine,
    parallel: a.parallel,
    ...(a.shard ? { shard: a.shard } : {}),
    ...(a.mergedFrom ? { mergedFrom: a.mergedFrom } : {}),
    ...(a.notes?.length ? { notes: a.notes } : {}),
    counts: analysis.counts,
    recommendation: analysis.recommendation,
    cells: analysis.cells,
    byPosition: analysis.byPosition,
    falseFailover: analysis.falseFailover,
    fit: analysis.fit,
    probeError: analysis.probeError,
    throughput: analysis.throughput,
    trials: a.records
      .filter((r): r is TrialRecord => r.kind === "trial")
      .map((t) => ({
        arm: t.arm,
        cell: t.cell,
        replicate: t.replicate,
        runId: t.runId,
        trialIndex: t.trialIndex,
        seed: t.seed,
        offsetMs: t.offsetMs,
        timeToNewSchedulerMs: t.measures.timeToNewSchedulerMs,
        podRecoveryMs: t.measures.podRecoveryMs,
        insideModel: t.measures.model?.inside ?? null,
        failover: t.failover,
        verdict: t.verdict,
        complete: t.complete,
        report: t.report,
        runEnded: ended.has(t.runId),
      })),
  };
}

const s = (ms: number | null | undefined): string => (ms === null || ms === undefined ? "—" : (ms / 1000).toFixed(2));
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)} %`);
const num = (x: number | null | undefined, d = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d));

/** The recommendation in one line (printed at the end of a study and at the top of its reports). */
export function recommendationLine(r: StudyReport): string {
  const rec = r.recommendation;
  if (!rec.cell) return `no recommendation: ${rec.why}`;
  return `recommended: ${rec.cell}${rec.meetsTarget ? "" : " (provisional)"}; runner-up: ${rec.runnerUp?.cell ?? "none"}. ${rec.why}`;
}

export function renderStudyMarkdown(r: StudyReport): string {
  const L: string[] = [];
  L.push(`# Study ${r.study.name} (${r.id})`, "");
  L.push(`**${recommendationLine(r)}**`, "");
  L.push(
    `Scenario \`${r.study.scenario}\`, profile ${r.study.profile}, ${r.cells.length} cell(s) × ${r.study.replicates} replicate(s), batches of ${r.study.batchSize}, seed ${r.study.seed}; ` +
      `false-failover arm: \`${r.study.falseFailover.scenario}\` × ${r.study.falseFailover.replicates} per setting of ${r.study.falseFailover.factors.join(", ") || "(base)"}; target ${pct(r.study.target)}. ` +
      `Status **${r.status}**${r.interrupted ? " (interrupted)" : ""}: ${r.counts.trials}/${r.counts.planned} trials, ${r.counts.cutShort} cut short, ${r.counts.failedBatches} failed run(s), ${r.counts.unmeasured} without a time to new scheduler.`,
    "",
  );
  if (r.shard) L.push(`Shard ${r.shard.index}/${r.shard.count} of the study: its counts are its slice's; \`npm run study -- merge\` combines the shards' folders into the study's report.`, "");
  if (r.mergedFrom) L.push(`Merged from ${r.mergedFrom.length} folder(s): ${r.mergedFrom.map((m) => `${m.shard ? `shard ${m.shard.index}/${m.shard.count}` : "whole"} \`${m.dir}\``).join(", ")}.`, "");
  for (const n of r.notes ?? []) L.push(`**Note:** ${n}`, "");
  L.push("## Per cell (times in s)", "");
  L.push("| cell | n | median [95 % CI] | p90 [95 % CI] | p99 | max | pod recovery median / p99 | inside §6 window | §6 window | false failovers (upper 95 %) |");
  L.push("| --- | --: | --- | --- | --: | --: | --- | --: | --- | --- |");
  for (const c of r.cells) {
    const t = c.measures.timeToNewSchedulerMs;
    const p = c.measures.podRecoveryMs;
    L.push(
      `| ${c.key} | ${t.n}${c.unmeasured ? ` (+${c.unmeasured} unmeasured)` : ""} | ${s(t.p50)} [${s(t.medianCi?.lo)}, ${s(t.medianCi?.hi)}] | ${s(t.p90)} [${s(t.p90Ci?.lo)}, ${s(t.p90Ci?.hi)}] | ${s(t.p99)} | ${s(t.max)} | ${s(p.p50)} / ${s(p.p99)} | ` +
        `${c.insideModel.judged ? `${c.insideModel.inside}/${c.insideModel.judged} (${pct(c.insideModel.share)})` : "—"} | ${c.model ? `${s(c.model.minMs)}–${s(c.model.maxMs)} (E ${s(c.model.expectedMs)})` : "—"} | ` +
        `${c.falseFailover ? `${c.falseFailover.events}/${c.falseFailover.n} (${pct(c.falseFailover.hi)})` : "—"} |`,
    );
  }
  if (r.byPosition.length > 1) {
    L.push("", `Position in the batch (carry-over between the trials of one topology): median deviation from the cell's median, s: ${r.byPosition.map((p) => `trial ${p.trialIndex + 1}: ${s(p.medianDeviationMs)} (n ${p.n})`).join("; ")}.`);
  }
  L.push("", "## False failovers", "");
  if (!r.falseFailover.length) L.push("The arm was off (falseFailover.replicates: 0).");
  else {
    L.push(`Scenario \`${r.study.falseFailover.scenario}\`: a fault that must not make the scheduler fail over; a failover is a new scheduler pid in Mesos or a new holder of the leader key.`, "");
    L.push("| setting | failovers / trials | rate | Wilson 95 % | trials without a fault |", "| --- | --: | --: | --- | --: |");
    for (const f of r.falseFailover) L.push(`| ${f.key} | ${f.rate.events}/${f.rate.n} | ${pct(f.rate.rate)} | ${pct(f.rate.lo)} – ${pct(f.rate.hi)} | ${f.noFault} |`);
  }
  L.push("", "## Linear model: time to new scheduler (s) ≈ intercept + Σ coefficient × factor", "");
  if (r.fit.note) L.push(r.fit.note, "");
  if (r.fit.coefficients.length) {
    L.push(`n ${r.fit.n}, R² ${num(r.fit.r2)}, residual SE ${num(r.fit.residualSe)} s${r.fit.dropped.length ? `, dropped: ${r.fit.dropped.join(", ")}` : ""}.`, "");
    L.push("| term | fitted | 95 % CI | §6 model |", "| --- | --: | --- | --: |");
    for (const c of r.fit.coefficients) L.push(`| ${c.name} | ${num(c.estimate)} | ${c.lo === null ? "—" : `${num(c.lo)} – ${num(c.hi)}`} | ${num(c.model)} |`);
    L.push("", "Slopes are s per unit of the factor (s per s for timers). The §6 column is the model's expected time's change per unit (cold node death: 3/4 per s of ttl, 1/2 per s of sleep and of file-check).");
  }
  L.push("", "## Probe error against ground truth, by parallelism (|ms|)", "");
  if (!r.probeError.length) L.push("No validated trial (the emulations' events were not found in the runs' logs).");
  else {
    L.push("| parallel | trials | time to new scheduler p50 / p95 / max | scheduler started p95 | first pod running p95 |", "| --: | --: | --- | --: | --: |");
    for (const p of r.probeError) {
      const t = p.byMeasure.timeToNewSchedulerMs;
      L.push(`| ${p.parallel} | ${p.n} | ${num(t?.p50, 0)} / ${num(t?.p95, 0)} / ${num(t?.max, 0)} | ${num(p.byMeasure["phases.schedulerStartedMs"]?.p95, 0)} | ${num(p.byMeasure["phases.firstPodRunningMs"]?.p95, 0)} |`);
    }
  }
  L.push("", "## Throughput", "", "| parallel | batches | trials | wall | trials/h |", "| --: | --: | --: | --: | --: |");
  for (const t of r.throughput) L.push(`| ${t.parallel} | ${t.batches} | ${t.trials} | ${s(t.wallMs)} s | ${num(t.trialsPerHour, 0)} |`);
  L.push("", `Every trial, with its run report: study.html (or study.json \`trials\`); the raw log: trials.ndjson.`, "");
  return L.join("\n");
}

/** The study.html page: recommendation on top, the charts, the tables, a link to every trial's report. */
export async function renderStudyHtml(r: StudyReport): Promise<string> {
  const factors = Object.keys(r.study.factors);
  const [first, ...rest] = factors;
  const colOf = (v: Record<string, string>): string => v[first!] ?? "";
  const rowOf = (v: Record<string, string>): string => rest.map((k) => `${k}=${v[k]}`).join(", ") || "—";
  const colOrder = r.study.factors[first!] ?? [];
  const rowOrder = [...new Set(r.cells.map((c) => rowOf(c.values)))];
  const heat = (stat: "p50" | "p99"): HeatCell[] =>
    r.cells.map((c) => {
      const v = c.measures.timeToNewSchedulerMs[stat];
      return { col: colOf(c.values), row: rowOf(c.values), value: v === null ? null : v / 1000, tip: `${c.key}: ${stat} ${s(v)} s (n ${c.measures.timeToNewSchedulerMs.n})` };
    });
  const charts: string[] = [];
  const chart = async (spec: Parameters<typeof renderChart>[0], id: string, label: string): Promise<void> => {
    charts.push(`<div class="chart">${await renderChart(spec, { id, label })}</div>`);
  };
  await chart(heatmapSpec({ title: "Median time to new scheduler, s", xTitle: first!, yTitle: rest.join(", ") || " ", cells: heat("p50"), colOrder, rowOrder }), "heatmap-p50", "median time to new scheduler over the grid");
  await chart(heatmapSpec({ title: "p99 time to new scheduler, s", xTitle: first!, yTitle: rest.join(", ") || " ", cells: heat("p99"), colOrder, rowOrder }), "heatmap-p99", "p99 time to new scheduler over the grid");
  const rows = r.cells.flatMap((c) => {
    const t = c.measures.timeToNewSchedulerMs;
    return [
      ...(t.medianCi ? [{ cell: c.key, stat: "median" as const, estimate: t.medianCi.estimate / 1000, lo: t.medianCi.lo / 1000, hi: t.medianCi.hi / 1000, tip: `${c.key}: median ${s(t.medianCi.estimate)} s [${s(t.medianCi.lo)}, ${s(t.medianCi.hi)}]` }] : []),
      ...(t.p90Ci ? [{ cell: c.key, stat: "p90" as const, estimate: t.p90Ci.estimate / 1000, lo: t.p90Ci.lo / 1000, hi: t.p90Ci.hi / 1000, tip: `${c.key}: p90 ${s(t.p90Ci.estimate)} s [${s(t.p90Ci.lo)}, ${s(t.p90Ci.hi)}]` }] : []),
    ];
  });
  const windows = r.cells.flatMap((c) => (c.model ? [{ cell: c.key, min: c.model.minMs / 1000, max: c.model.maxMs / 1000, expected: c.model.expectedMs / 1000 }] : []));
  if (rows.length) await chart(intervalsSpec({ title: "Median and p90 per cell, 95 % bootstrap intervals", rows, windows, cellOrder: r.cells.map((c) => c.key) }), "intervals", "median and p90 per cell with intervals");
  const points = r.fit.cells.flatMap((c) => [
    ...(c.fitted !== null && c.observedMean !== null ? [{ cell: c.key, kind: "fitted (linear model)" as const, predicted: c.fitted, observed: c.observedMean }] : []),
    ...(c.model !== null && c.observedMean !== null ? [{ cell: c.key, kind: "§6 model expectation" as const, predicted: c.model, observed: c.observedMean }] : []),
  ]);
  if (points.length) await chart(fittedSpec({ title: "Observed mean vs fitted and §6 expectation, s", points }), "fitted", "observed against fitted and model");
  if (r.falseFailover.length) {
    await chart(
      falseFailoverSpec({
        title: `False-failover rate per setting (target ${pct(r.study.target)})`,
        rows: r.falseFailover.map((f) => ({ cell: f.key, rate: f.rate.rate ?? 0, lo: f.rate.lo, hi: f.rate.hi, tip: `${f.key}: ${f.rate.events}/${f.rate.n}, Wilson 95 % ${pct(f.rate.lo)} – ${pct(f.rate.hi)}` })),
        target: r.study.target,
      }),
      "false-failover",
      "false-failover rates",
    );
  }
  const ecdfs: string[] = [];
  for (const [i, c] of r.cells.entries()) {
    if (!c.ecdf.length) continue;
    const values = r.trials.filter((t) => t.arm === "failover" && t.cell === c.key && t.complete && t.timeToNewSchedulerMs !== null).map((t) => t.timeToNewSchedulerMs! / 1000);
    const band = c.model ? { from: c.model.minMs / 1000, to: c.model.maxMs / 1000, mark: c.model.expectedMs / 1000, label: "§6 window", color: BAND_COLORS.model } : undefined;
    ecdfs.push(`<div class="chart">${await renderChart(ecdfSpec({ title: c.key, xTitle: "time to new scheduler, s", values, ...(band ? { band } : {}), width: 300 }), { id: "ecdf", label: `ECDF of ${c.key}`, data: { cell: String(i) } })}</div>`);
  }
  const md = renderStudyMarkdown(r);
  const trialRows = r.trials
    .map(
      (t) =>
        `<tr><td class="l">${esc(t.arm)}</td><td class="l">${esc(t.cell)}</td><td>${t.replicate ?? "cut short"}</td><td>${s(t.timeToNewSchedulerMs)}</td><td>${s(t.podRecoveryMs)}</td><td>${t.insideModel === null ? "—" : t.insideModel ? "yes" : "no"}</td><td>${t.failover === null ? "—" : t.failover ? "yes" : "no"}</td><td class="v-${t.verdict}">${t.verdict}</td><td>${t.offsetMs === null ? "—" : Math.round(t.offsetMs)}</td><td>${t.seed}</td><td class="l">${t.runEnded ? `<a href="${esc(t.report)}">${esc(t.runId)} #${t.trialIndex + 1}</a>` : `${esc(t.runId)} #${t.trialIndex + 1} (run killed: no report)`}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`study ${r.study.name} ${r.id}`)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}th:first-child,td:first-child,td.l{text-align:left}
.v-pass{color:#18794e}.v-fail{color:#c62828}.v-unknown{color:#8a6d00}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{overflow-x:auto;max-width:100%}
td.l{white-space:nowrap}code{font-family:ui-monospace,monospace}.rec{font-size:1.1em;border-left:4px solid #2e7d32;padding-left:.6em}
</style></head><body>
<h1>Study ${esc(r.study.name)} <small>${esc(r.id)}</small></h1>
<p class="rec" data-recommendation="${esc(r.recommendation.cell ?? "")}">${esc(recommendationLine(r))}</p>
<p>Status ${esc(r.status)}${r.interrupted ? " (interrupted)" : ""}: ${r.counts.trials}/${r.counts.planned} trials. Files: <a href="study.json">study.json</a>, <a href="study.md">study.md</a>, <a href="trials.ndjson">trials.ndjson</a>.</p>
<h2>Charts</h2>
<div class="charts">${charts.join("\n")}</div>
<h2>ECDF of time to new scheduler per cell</h2>
<div class="charts">${ecdfs.join("\n") || "<p>No measured trial yet.</p>"}</div>
${tablesHtml(md)}
<h2>Every trial</h2>
<table><thead><tr><th>arm</th><th>cell</th><th>replicate</th><th>time to new scheduler, s</th><th>pod recovery, s</th><th>in §6 window</th><th>failover</th><th>verdict</th><th>fault phase, ms</th><th>batch seed</th><th>run report</th></tr></thead>
<tbody>
${trialRows}
</tbody></table>
</body></html>
`;
}

/**
 * study.md's sections after its title and recommendation, as HTML: the markdown this module writes
 * (headings, paragraphs, pipe tables, `code`, **bold**), not markdown in general.
 */
function tablesHtml(md: string): string {
  const inline = (t: string): string => esc(t).replace(/`([^`]+)`/g, "<code>$1</code>").replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
  const out: string[] = [];
  const blocks = md.split(/\n\n+/).slice(2);
  for (const block of blocks) {
    const lines = block.split("\n");
    if (lines[0]!.startsWith("## ")) {
      out.push(`<h2>${inline(lines[0]!.slice(3))}</h2>`);
      lines.shift();
      if (!lines.length) continue;
    }
    if (lines[0]!.startsWith("|")) {
      const cells = (l: string): string[] => l.replace(/^\|\s*|\s*\|$/g, "").split(/\s*\|\s*/);
      const [head, , ...body] = lines;
      out.push(`<table><thead><tr>${cells(head!).map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead><tbody>${body.map((l) => `<tr>${cells(l).map((c, i) => `<td${i === 0 ? ' class="l"' : ""}>${inline(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`);
    } else out.push(`<p>${inline(lines.join(" "))}</p>`);
  }
  return out.join("\n");
}

/** Writes study.json, study.md and study.html (each whole or not at all). */
export async function writeStudyReports(dir: string, r: StudyReport): Promise<void> {
  await writeAtomic(path.join(dir, "study.md"), renderStudyMarkdown(r));
  await writeAtomic(path.join(dir, "study.html"), await renderStudyHtml(r));
  await writeAtomic(path.join(dir, "study.json"), `${JSON.stringify(r, null, 2)}\n`);
}
