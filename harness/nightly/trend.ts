/**
 * The trend across nights: one line per night appended to an NDJSON file (reports/nightly/
 * trend.ndjson by default; `--trend` points it at a file CI carries between nights in its cache),
 * and `trend.html` beside it: per scenario and gated measure, p50 and p90 over the nights, with the
 * baseline's band (its p50 up to the threshold, +maxIncrease), drawn by charts.ts like every chart.
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { median } from "../stats/index.js";
import { BAND_COLORS, renderChart } from "../reporting/charts.js";
import { esc } from "../reporting/html.js";
import { formatTimestamp } from "../reporting/text.js";
import type { MeasureName } from "../measures/measures.js";
import type { Baseline } from "./baseline.js";
import { writeAtomic } from "../reporting/atomic.js";
import type { NightlyResult } from "./types.js";

export interface TrendLine {
  readonly id: string;
  readonly startedAt: string;
  readonly profile: string;
  readonly commit: string;
  readonly verdict: NightlyResult["verdict"];
  readonly scenarios: Readonly<Record<string, {
    readonly status: string;
    /** Per gated measure: tonight's p50/p90 and n, the baseline's p50 and the threshold's ceiling (p50 × (1 + maxIncrease)). */
    readonly measures: Readonly<Record<string, { p50: number | null; p90: number | null; n: number; baselineP50: number | null; ceiling: number | null }>>;
  }>>;
}

/** Tonight's line: every scenario's gated measures (or, without thresholds, the time to a new scheduler). */
export function trendLine(n: NightlyResult, baseline: Baseline | null): TrendLine {
  const scenarios: Record<string, TrendLine["scenarios"][string]> = {};
  for (const s of n.scenarios) {
    const gated = n.comparisons.filter((c) => c.scenario === s.name && c.stat === "p50");
    const names = [...new Set<MeasureName>(gated.length ? gated.map((c) => c.measure) : ["timeToNewSchedulerMs"])];
    const measures: Record<string, TrendLine["scenarios"][string]["measures"][string]> = {};
    for (const m of names) {
      const sum = s.summary[m];
      const c = gated.find((x) => x.measure === m);
      const base = (baseline?.scenarios[s.name]?.measures[m] ?? []).filter((x): x is number => x !== null).sort((a, b) => a - b);
      const baselineP50 = base.length ? median(base) : null;
      measures[m] = { p50: sum?.p50 ?? null, p90: sum?.p90 ?? null, n: sum?.n ?? 0, baselineP50, ceiling: baselineP50 !== null && c ? baselineP50 * (1 + c.threshold.maxIncrease) : null };
    }
    scenarios[s.name] = { status: s.status, measures };
  }
  return { id: n.id, startedAt: n.startedAt, profile: n.profile, commit: n.harness.commit, verdict: n.verdict, scenarios };
}

/** Appends tonight's line (one write: a line is whole or absent) and returns every line of the file. */
export async function appendTrend(file: string, line: TrendLine): Promise<TrendLine[]> {
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(line)}\n`);
  return readTrend(file);
}

/** The lines of a trend file; a line that is not JSON (a torn write of an older version) is skipped. */
export async function readTrend(file: string): Promise<TrendLine[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").flatMap((l) => {
    if (!l.trim()) return [];
    try {
      return [JSON.parse(l) as TrendLine];
    } catch {
      return [];
    }
  });
}

/** One chart: p50 and p90 (s) of a measure over the nights, the baseline band behind. */
function trendSpec(scenario: string, measure: string, lines: readonly TrendLine[]): TopLevelSpec {
  const points = lines.flatMap((l, i) => {
    const m = l.scenarios[scenario]?.measures[measure];
    if (!m) return [];
    const tip = (stat: string, v: number) => `${l.id} (${formatTimestamp(l.startedAt)}): ${stat} ${(v / 1000).toFixed(2)} s, n=${m.n}, ${l.scenarios[scenario]!.status}`;
    return [
      ...(m.p50 !== null ? [{ night: i + 1, s: m.p50 / 1000, series: "p50", tip: tip("p50", m.p50) }] : []),
      ...(m.p90 !== null ? [{ night: i + 1, s: m.p90 / 1000, series: "p90", tip: tip("p90", m.p90) }] : []),
    ];
  });
  const last = [...lines].reverse().map((l) => l.scenarios[scenario]?.measures[measure]).find((m) => m?.baselineP50 != null);
  const band = last && last.baselineP50 !== null ? [{ from: last.baselineP50 / 1000, to: (last.ceiling ?? last.baselineP50) / 1000, label: "baseline p50 → threshold" }] : [];
  const height = 160;
  return {
    width: 420,
    height,
    title: `${scenario}: ${measure}`,
    layer: [
      ...(band.length
        ? [{ data: { values: band }, mark: { type: "rect", opacity: 0.15, color: BAND_COLORS.model }, encoding: { y: { field: "from", type: "quantitative" }, y2: { field: "to" }, x: { value: 0 }, x2: { value: "width" }, description: { field: "label" } } }]
        : []),
      {
        data: { values: points },
        mark: { type: "line", point: { filled: true, size: 40 } },
        encoding: {
          x: { field: "night", type: "quantitative", axis: { title: "night", tickMinStep: 1, format: "d" }, scale: { zero: false, nice: false, padding: 12 } },
          y: { field: "s", type: "quantitative", axis: { title: "seconds from the fault" } },
          color: { field: "series", type: "nominal", title: "statistic", scale: { domain: ["p50", "p90"], range: ["#1565c0", "#90caf9"] } },
          description: { field: "tip" },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** trend.html: one chart per scenario and measure over every night in the file (of tonight's profile). */
export async function renderTrendHtml(lines: readonly TrendLine[], profile: string): Promise<string> {
  const nights = lines.filter((l) => l.profile === profile);
  const pairs = new Map<string, Set<string>>();
  // Only what some night measured (a no-failover scenario has no time to a new scheduler).
  for (const l of nights) for (const [s, v] of Object.entries(l.scenarios)) for (const [m, x] of Object.entries(v.measures)) if (x.p50 !== null) pairs.set(s, (pairs.get(s) ?? new Set()).add(m));
  const charts: string[] = [];
  for (const [s, ms] of [...pairs].sort(([a], [b]) => a.localeCompare(b))) {
    for (const m of ms) charts.push(`<figure>${await renderChart(trendSpec(s, m, nights), { id: `trend-${s}-${m}`, label: `${s} ${m} p50 and p90 over ${nights.length} night(s)` })}</figure>`);
  }
  const rows = nights.map((l, i) => `<tr><td>${i + 1}</td><td class="l"><a href="${esc(l.id)}/index.html">${esc(l.id)}</a></td><td class="l">${esc(formatTimestamp(l.startedAt))}</td><td class="l">${esc(l.verdict)}</td><td class="l">${esc(l.commit)}</td></tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nightly trend (${esc(profile)})</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}figure{display:inline-block;margin:.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>
<h1>Nightly trend: ${nights.length} night(s), ${esc(profile)} profile</h1>
<p>p50 and p90 of each gated measure per night; the shaded band runs from the baseline's p50 to the gate's threshold (p50 + maxIncrease). A night above the band is a regression only when the bootstrap interval of the shift also excludes zero (docs/NIGHTLY.md).</p>
${charts.join("\n") || "<p>No night with measures yet.</p>"}
<h2>Nights</h2>
<table><tr><th>#</th><th>night</th><th>started</th><th>verdict</th><th>commit</th></tr>${rows.join("")}</table>
</body></html>
`;
}

export async function writeTrendHtml(file: string, lines: readonly TrendLine[], profile: string): Promise<void> {
  await writeAtomic(file, await renderTrendHtml(lines, profile));
}
