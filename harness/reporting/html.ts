import { ofKind } from "../history/history.js";
import type { HistoryEntry } from "../history/types.js";
import { MEASURE_NAMES, measureValue, type MeasureName } from "../measures/measures.js";
import {
  BAND_COLORS,
  dotsSpec,
  ecdfSpec,
  laneLabelWidth,
  lanesSpec,
  MARKER_COLOR,
  NODE_PALETTE,
  renderChart,
  requestsOverTimeSpec,
  STATE_COLORS,
  VERDICT_COLORS,
  type Band,
  type LaneSegment,
  type Marker,
  type Palette,
  type TimeBin,
} from "./charts.js";
import type { RunResult, TrialResult } from "./result.js";
import { formatMeasure, formatTimestamp } from "./text.js";

export interface ReportHtmlOptions {
  /** Container log files written beside the report, as paths relative to it (`logs/<name>.log`). @default none */
  readonly logs?: readonly string[];
  /** The harness's docs/ folder relative to the report's folder; without it the page names the docs without links. */
  readonly docsHref?: string;
}

/**
 * `report.html`: one self-contained page, a pure rendering of the result. No script and no external
 * reference: the charts are inline static SVG (harness/reporting/charts.ts), so it opens from a CI
 * artifact or a mail attachment with no network. Links go only to the run's own files beside it
 * and, when given, to the harness's docs.
 *
 * Every time axis is seconds since the trial's fault (the instant every measure counts from); a
 * trial without a fault is drawn from its start, and says so.
 */
export async function renderReportHtml(r: RunResult, opts: ReportHtmlOptions = {}): Promise<string> {
  const doc = docLinker(opts.docsHref);
  const colors = holderPalette(r.trials);
  const trials: string[] = [];
  for (const t of r.trials) trials.push(await trialSection(r, t, colors, doc));
  const body = [
    `<h1>${esc(r.scenario)}: <span class="v-${r.verdict}" data-verdict="${r.verdict}">${r.verdict.toUpperCase()}</span></h1>`,
    `<p>Run <code>${esc(r.runId)}</code>, started ${formatTimestamp(r.startedAt)}${r.finishedAt ? `, finished ${formatTimestamp(r.finishedAt)}` : ""}; ${r.trials.length} trial(s); status ${esc(r.status)}.${settingsText(r)}</p>`,
    r.error ? `<p class="v-fail">Harness error <code>${esc(r.error.code)}</code>: ${esc(r.error.message)}${r.error.hint ? ` (hint: ${esc(r.error.hint)})` : ""}</p>` : "",
    filesSection(r, opts, doc),
    `<h2 id="trials">Trials</h2>`,
    trialsTable(r),
    modelSection(r, doc),
    `<h2 id="measures">Measures across trials</h2>`,
    `<p>Times are from the fault; each measure is defined in ${doc("MEASURES.md")}.</p>`,
    summaryTable(r, doc),
    await measureCharts(r),
    ...trials,
    `<details><summary>Topology spec</summary><pre>${esc(JSON.stringify(r.topology, null, 2))}</pre></details>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${r.verdict.toUpperCase()} ${r.scenario} ${r.runId}`)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}th:first-child,td:first-child,td.l{text-align:left}
.v-pass{color:${VERDICT_COLORS.pass}}.v-fail{color:${VERDICT_COLORS.fail}}.v-unknown{color:${VERDICT_COLORS.unknown}}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{overflow-x:auto;max-width:100%}
section.trial{border-top:1px solid #ddd;margin-top:1.5em}
code,pre{font-family:ui-monospace,monospace}nav a{margin-right:1em}
.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;vertical-align:middle}
</style></head><body>
${body.filter(Boolean).join("\n")}
</body></html>
`;
}

export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A link to one of the harness's docs (`MEASURES.md#anchor`), or its name when the docs' place is unknown. */
type DocLinker = (file: string, anchor?: string, text?: string) => string;

function docLinker(docsHref: string | undefined): DocLinker {
  return (file, anchor, text) => {
    const shown = esc(text ?? `docs/${file}`);
    if (docsHref === undefined) return shown;
    return `<a href="${esc(`${docsHref.replace(/\/$/, "")}/${file}${anchor ? `#${anchor}` : ""}`)}">${shown}</a>`;
  };
}

/** The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
export function headingAnchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");
}

function settingsText(r: RunResult): string {
  const t = r.topology as { profile?: string; seed?: number; sets?: string[] } | null;
  if (!t || typeof t !== "object") return "";
  const parts = [t.profile ? `profile ${esc(t.profile)}` : "", t.seed !== undefined ? `seed ${t.seed}` : "", t.sets?.length ? `--set ${t.sets.map((x) => `<code>${esc(x)}</code>`).join(" ")}` : ""];
  const shown = parts.filter(Boolean);
  return shown.length ? ` ${shown.join(", ")}.` : "";
}

/** Where everything of the run is: the files beside this page, and the docs. */
function filesSection(r: RunResult, opts: ReportHtmlOptions, doc: DocLinker): string {
  const files = [
    ["result.json", "the result: measures, checks, verdicts (schema: docs/result.schema.json)"],
    ["summary.md", "the same for a terminal or a pull request"],
    ["junit.xml", "one test case per check, for CI"],
    ["history.ndjson", "every observation of every trial, one JSON object per line"],
  ];
  const logs = opts.logs ?? [];
  const items = [
    ...files.map(([f, what]) => `<li><a href="${f}" data-file="${f}">${f}</a>: ${what}</li>`),
    `<li><a href="logs/" data-file="logs/">logs/</a>: each container's log${logs.length ? `: ${logs.map((l) => `<a href="${esc(l)}" data-file="${esc(l)}">${esc(l.replace(/^logs\//, ""))}</a>`).join(", ")}` : " (none written)"}</li>`,
    `<li>Definitions: ${doc("MEASURES.md", undefined, "measures (docs/MEASURES.md)")}, ${doc("MODEL.md", undefined, "the model's windows (docs/MODEL.md)")}, ${doc("RUN.md", undefined, "one run step by step (docs/RUN.md)")}</li>`,
  ];
  const rerun = r.invocation ? `<p>Rerun with the same seed: <code>${esc(r.invocation.rerun)}</code></p>` : "";
  const provenance = `<p>Harness ${esc(r.harness.version)} (commit <code>${esc(r.harness.commit)}</code>), Node ${esc(r.environment.node)} on ${esc(r.environment.platform)}${r.environment.docker ? `, Docker ${esc(r.environment.docker.version)}` : ""}.</p>`;
  return `<nav><a href="#trials">Trials</a><a href="#measures">Measures</a>${r.trials.map((t) => `<a href="#trial-${t.index}">Trial ${t.index}</a>`).slice(0, 20).join("")}</nav>
<h2 id="files">Files</h2><ul>${items.join("")}</ul>${rerun}${provenance}`;
}

/** The table of contents: one row per trial, its verdict and key figures, linking to its section. */
function trialsTable(r: RunResult): string {
  if (!r.trials.length) return "<p>No trial ran.</p>";
  const cols: [MeasureName, string][] = [
    ["timeToNewSchedulerMs", "time to new scheduler"],
    ["podRecoveryMs", "pod recovery"],
    ["dualSchedulerMs", "two schedulers"],
    ["podsLost", "pods lost"],
    ["apiErrorRate", "API errors"],
  ];
  const rows = r.trials.map((t) => {
    const bad = t.checks.filter((c) => c.verdict !== "pass").map((c) => `${esc(c.name)}: <span class="v-${c.verdict}">${c.verdict}</span>`);
    const target = t.fault ? esc(t.fault.targets.map((x) => x.node).join(", ") || "—") : "no fault";
    return `<tr><td><a href="#trial-${t.index}">trial ${t.index}</a></td><td class="l v-${t.verdict}">${t.verdict}</td><td class="l">${target}</td>${cols
      .map(([n]) => `<td>${esc(formatMeasure(n, measureValue(t.measures, n)))}</td>`)
      .join("")}<td class="l">${bad.join("<br>") || "—"}</td></tr>`;
  });
  return `<table class="toc"><tr><th>trial</th><th>verdict</th><th>fault on</th>${cols.map(([, h]) => `<th>${h}</th>`).join("")}<th>checks not passed</th></tr>${rows.join("")}</table>`;
}

function modelSection(r: RunResult, doc: DocLinker): string {
  const w = r.model;
  if (!w) return "";
  const rows = Object.entries(w.terms)
    .map(([k, t]) => `<tr><td>${esc(k)}</td><td>${sec(t.minMs)}</td><td>${sec(t.expectedMs)}</td><td>${sec(t.maxMs)}</td><td class="l">${esc(t.formula)}</td></tr>`)
    .join("");
  return `<h2 id="model">Model window (${esc(w.case)})</h2><p>The time from the fault to the new scheduler that the model predicts: <code>${esc(w.formula)}</code> → [${sec(w.minMs)}, ${sec(w.maxMs)}], expected ${sec(w.expectedMs)}. Each term and the flag it comes from: ${doc("MODEL.md", headingAnchor(w.case))}. Drawn as the green band on every timeline.</p>
<table><tr><th>term</th><th>min</th><th>expected</th><th>max</th><th>derivation</th></tr>${rows}</table>${w.notes.map((n) => `<p>${esc(n)}</p>`).join("")}`;
}

function summaryTable(r: RunResult, doc: DocLinker): string {
  const rows = MEASURE_NAMES.map((n) => {
    const st = r.summary[n];
    return `<tr><td>${doc("MEASURES.md", headingAnchor(n), n)}</td><td>${st.n}</td>${[st.min, st.p50, st.p90, st.max].map((v) => `<td>${esc(formatMeasure(n, v))}</td>`).join("")}</tr>`;
  }).join("");
  return `<table><tr><th>measure</th><th>n</th><th>min</th><th>p50</th><th>p90</th><th>max</th></tr>${rows}</table>`;
}

const VERDICT_PALETTE: Palette = { title: "trial verdict", colors: VERDICT_COLORS };

/** A measure as drawn: seconds for times, percent for the rate, counts as they are. */
function chartValue(name: MeasureName, v: number): number {
  if (name === "apiErrorRate") return v * 100;
  return name.endsWith("Ms") ? v / 1000 : v;
}

function chartUnit(name: MeasureName): string {
  if (name === "apiErrorRate") return "% of requests";
  if (name === "dualSchedulerMs") return "s in total";
  return name.endsWith("Ms") ? "s since the fault" : "count";
}

/**
 * Across trials, drawn only from 2 trials up (one dot says no more than the table): the empirical
 * CDF of time to new scheduler against the model band, and one dot chart per measure.
 */
async function measureCharts(r: RunResult): Promise<string> {
  const band = r.model ? modelBand(r.model, 0, "model") : undefined;
  const parts: string[] = [];
  const ttns = r.trials.map((t) => t.measures.timeToNewSchedulerMs).filter((v): v is number => v !== null);
  if (ttns.length >= 2) {
    parts.push(
      `<h3>Time to new scheduler: empirical CDF over ${ttns.length} trials</h3><div class="chart">${await renderChart(
        ecdfSpec({ title: "", xTitle: "time to new scheduler (s since the fault)", values: ttns.map((v) => v / 1000), band }),
        { id: "ecdf-timeToNewSchedulerMs", label: "empirical CDF of time to new scheduler, with the model window" },
      )}</div>`,
    );
  }
  const dots: string[] = [];
  for (const name of MEASURE_NAMES) {
    const points = r.trials.flatMap((t) => {
      const v = measureValue(t.measures, name);
      return v === null ? [] : [{ x: t.index, y: chartValue(name, v), category: t.verdict, tip: `trial ${t.index}: ${formatMeasure(name, v)}` }];
    });
    if (points.length < 2) continue;
    const spec = dotsSpec({
      title: name,
      xTitle: "trial",
      yTitle: chartUnit(name),
      points,
      palette: VERDICT_PALETTE,
      band: name === "timeToNewSchedulerMs" ? band : undefined,
      integers: chartUnit(name) === "count",
    });
    dots.push(`<div class="chart">${await renderChart(spec, { id: `measure-${name}`, label: `${name} per trial` })}</div>`);
  }
  if (dots.length) {
    const legend = (Object.keys(VERDICT_COLORS) as (keyof typeof VERDICT_COLORS)[]).map((v) => `<span class="dot" style="background:${VERDICT_COLORS[v]}"></span> ${v}`).join(" ");
    parts.push(`<h3>Each measure per trial</h3><p>One dot per trial that has the measure, coloured by its verdict: ${legend}.</p><div class="charts">${dots.join("")}</div>`);
  }
  if (!parts.length && r.trials.length) parts.push(`<p>Charts across trials are drawn from 2 trials up.</p>`);
  return parts.join("\n");
}

/** The model's window as a band, in seconds, `originMs` being the fault on the chart's axis. */
function modelBand(w: NonNullable<RunResult["model"]>, originS: number, what: string): Band {
  return {
    from: originS + w.minMs / 1000,
    to: originS + w.maxMs / 1000,
    mark: originS + w.expectedMs / 1000,
    label: `${what} ${w.case} [${(w.minMs / 1000).toFixed(1)}, ${(w.maxMs / 1000).toFixed(1)}] s, expected ${(w.expectedMs / 1000).toFixed(1)} s`,
    color: BAND_COLORS.model,
  };
}

// ---------------------------------------------------------------------------------------------
// A trial's timeline

/** Holders' colours for the whole run, so a node has one colour in every trial: nodes in name order, then fixed colours for the rest. */
function holderPalette(trials: readonly TrialResult[]): Palette {
  const nodes = new Set<string>();
  for (const t of trials) {
    for (const e of t.history) if ((e.kind === "etcd-key" || e.kind === "framework") && e.node) nodes.add(e.node);
  }
  const sorted = [...nodes].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return {
    title: "holder (etcd key value, active framework)",
    colors: {
      ...Object.fromEntries(sorted.map((n, i) => [n, NODE_PALETTE[i % NODE_PALETTE.length]!])),
      [OTHER_VALUE]: "#a1887f",
      [INACTIVE]: "#cfd8dc",
    },
  };
}
const OTHER_VALUE = "value naming no node";
const INACTIVE = "framework inactive";

const STATE_PALETTE: Palette = { title: "state (scheduler /healthz, pod phase)", colors: STATE_COLORS };
const PHASE_PALETTE: Palette = {
  title: "runner phase",
  colors: { steady: "#dce6f2", inject: "#f8c8c8", observe: "#fde4bd", heal: "#d4ecd5", converge: "#e5d9f2", evaluate: "#eeeec4", done: "#e0e0e0" },
};

const MAX_POD_LANES = 40;

interface Change {
  readonly t: number;
  /** undefined: a gap (no value, deleted). */
  readonly seg?: { readonly label: string; readonly group: string; readonly category: string };
}

/**
 * Consecutive changes → segments until the next change (or `endT`). A change that shows the same
 * as the one before (a lease renewal: same holder, new TTL) continues its segment.
 */
function toSegments(lane: string, changes: readonly Change[], endT: number, origin: number): LaneSegment[] {
  const out: LaneSegment[] = [];
  let open: { from: number; seg: NonNullable<Change["seg"]> } | undefined;
  const close = (to: number) => {
    if (open && to > open.from) out.push({ lane, from: (open.from - origin) / 1000, to: (to - origin) / 1000, ...open.seg });
    open = undefined;
  };
  for (const c of changes) {
    if (open && c.seg && c.seg.label === open.seg.label && c.seg.category === open.seg.category) continue;
    close(c.t);
    if (c.seg) open = { from: c.t, seg: c.seg };
  }
  close(endT);
  return out;
}

function podState(phase: string): keyof typeof STATE_COLORS {
  if (phase === "Running") return "Running / up";
  if (phase === "Failed") return "Failed / down";
  if (phase === "Pending" || phase === "Succeeded") return phase;
  return "Unknown";
}

interface Lanes {
  names: string[];
  segments: LaneSegment[];
  /** Pod lanes left out (more than MAX_POD_LANES). */
  podsNotDrawn: number;
}

/** A lane per leader key, framework, scheduler, pod and the runner's phases; lanes with nothing drawn are left out. */
function lanesOf(history: readonly HistoryEntry[], endT: number, origin: number, holders: Palette): Lanes {
  const lanes: [string, LaneSegment[]][] = [];
  const holder = (node: string | undefined) => (node && node in holders.colors ? node : OTHER_VALUE);
  for (const [key, changes] of groupBy(ofKind(history, "etcd-key"), (e) => e.key)) {
    const name = `etcd ${key}`;
    lanes.push([name, toSegments(name, changes.map((e) => ({ t: e.t, seg: e.value === null ? undefined : { label: e.node ? `${e.node} (${e.value})` : e.value, group: "holder", category: holder(e.node) } })), endT, origin)]);
  }
  for (const [id, changes] of groupBy(ofKind(history, "framework"), (e) => e.id)) {
    const name = `framework ${changes[0]!.name}`;
    const segs = changes.map((e) => ({
      t: e.t,
      seg: e.active
        ? { label: `active on ${e.node ?? "?"}: ${e.pid}`, group: "holder", category: holder(e.node) }
        : { label: `inactive (${id})`, group: "holder", category: INACTIVE },
    }));
    lanes.push([name, toSegments(name, segs, endT, origin)]);
  }
  for (const [node, changes] of groupBy(ofKind(history, "scheduler-health"), (e) => e.node)) {
    const name = `scheduler ${node}`;
    lanes.push([name, toSegments(name, changes.map((e) => ({ t: e.t, seg: { label: e.up ? "up" : "down", group: "state", category: e.up ? "Running / up" : "Failed / down" } })), endT, origin)]);
  }
  lanes.push(["runner phase", toSegments("runner phase", ofKind(history, "phase").map((e) => ({ t: e.t, seg: { label: e.name, group: "phase", category: e.name } })), endT, origin)]);
  const pods = [...groupBy(ofKind(history, "pod"), (e) => e.uid)];
  for (const [, changes] of pods.slice(0, MAX_POD_LANES)) {
    const p = changes[0]!;
    const name = `pod ${p.namespace}/${p.name}`;
    const segs = changes.map((e) => ({ t: e.t, seg: e.deleted ? undefined : { label: `${e.phase}${e.nodeName ? ` on ${e.nodeName}` : ""}`, group: "state", category: podState(e.phase) } }));
    lanes.push([name, toSegments(name, segs, endT, origin)]);
  }
  const drawn = lanes.filter(([, segs]) => segs.length > 0);
  return { names: drawn.map(([n]) => n), segments: drawn.flatMap(([, segs]) => segs), podsNotDrawn: Math.max(0, pods.length - MAX_POD_LANES) };
}

function groupBy<E, K>(xs: readonly E[], key: (e: E) => K): Map<K, E[]> {
  const m = new Map<K, E[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** The trial's time axis: 0 at the fault, or at the trial's start when it had none. */
interface Axis {
  /** Trial time (ms) drawn as 0. */
  readonly origin: number;
  readonly title: string;
  /** Drawn range, seconds. */
  readonly domain: readonly [number, number];
}

function axisOf(r: RunResult, t: TrialResult): Axis {
  const h = t.history;
  const fault = t.measures.faultT ?? ofKind(h, "fault").find((f) => f.action === "inject")?.t ?? null;
  const startT = Math.min(0, h[0]?.t ?? 0);
  const endT = Math.max(h.at(-1)?.t ?? 0, startT + 1);
  const origin = fault ?? startT;
  const ends = [(endT - origin) / 1000];
  if (fault !== null && r.model) ends.push(r.model.maxMs / 1000);
  const from = (startT - origin) / 1000;
  const to = Math.max(...ends);
  const pad = (to - from) * 0.01;
  return {
    origin,
    title: fault !== null ? "seconds since the fault (the origin of every measure)" : "seconds since the trial began (no fault was injected)",
    domain: [from, to + pad],
  };
}

/** The fault bands: inject → heal (or the end of the history), labelled with the fault and its targets. */
function faultBands(h: readonly HistoryEntry[], endS: number, origin: number): Band[] {
  const faults = ofKind(h, "fault");
  return faults
    .filter((f) => f.action === "inject")
    .map((inj) => {
      const heal = faults.find((f) => f.action === "heal" && f.name === inj.name && f.t >= inj.t);
      return {
        from: (inj.t - origin) / 1000,
        to: heal ? (heal.t - origin) / 1000 : endS,
        label: `${inj.name} → ${inj.targets.join(", ") || "—"}${heal ? `, healed at +${((heal.t - inj.t) / 1000).toFixed(1)} s` : ""}`,
        color: BAND_COLORS.fault,
      };
    });
}

/** The measured events of the trial, as markers labelled with their name and time from the fault. */
function measureMarkers(t: TrialResult, originS: number): Marker[] {
  const m = t.measures;
  if (m.faultT === null) return [];
  const marks: [string, number | null][] = [
    ["lease expired", m.phases.leaseExpiredMs],
    ["new leader", m.phases.newLeaderElectedMs],
    ["scheduler up", m.phases.schedulerStartedMs],
    ["new scheduler", m.timeToNewSchedulerMs],
    ["first pod running", m.phases.firstPodRunningMs],
    ["pods recovered", m.podRecoveryMs],
  ];
  return marks.flatMap(([label, v]) => (v === null ? [] : [{ x: originS + v / 1000, label: `${label} +${(v / 1000).toFixed(1)} s`, color: MARKER_COLOR }]));
}

/** Requests in bins of a round width (≈ 100 bins over the axis): count, failures, median and max latency. */
export function requestBins(h: readonly HistoryEntry[], origin: number, domain: readonly [number, number]): TimeBin[] {
  const reqs = ofKind(h, "api-request");
  if (!reqs.length) return [];
  const span = domain[1] - domain[0];
  const width = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300].find((w) => span / w <= 120) ?? 600;
  const bins = new Map<number, { lat: number[]; failed: number }>();
  for (const q of reqs) {
    const k = Math.floor((q.t - origin) / 1000 / width);
    const b = bins.get(k) ?? { lat: [], failed: 0 };
    b.lat.push(q.latencyMs);
    if (!q.ok) b.failed += 1;
    bins.set(k, b);
  }
  return [...bins.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, b]) => {
      const lat = b.lat.sort((x, y) => x - y);
      return { from: k * width, to: (k + 1) * width, requests: lat.length, failed: b.failed, p50Ms: lat[Math.floor((lat.length - 1) / 2)]!, maxMs: lat.at(-1)! };
    });
}

/** One trial: its timeline, its API requests over time, its checks and measures. */
async function trialSection(r: RunResult, t: TrialResult, holders: Palette, doc: DocLinker): Promise<string> {
  const axis = axisOf(r, t);
  const h = t.history;
  const endT = Math.max(h.at(-1)?.t ?? 0, 1);
  const lanes = lanesOf(h, endT, axis.origin, holders);
  const bands = faultBands(h, (endT - axis.origin) / 1000, axis.origin).map((b) => ({ ...b, lane: "fault in force" }));
  const hasFault = t.measures.faultT !== null;
  if (hasFault && r.model) bands.push({ ...modelBand(r.model, 0, "model"), lane: "model: new scheduler" });
  const labelWidth = laneLabelWidth([...lanes.names, ...bands.flatMap((b) => (b.lane ? [b.lane] : []))]);
  const palettes = { holder: holders, state: STATE_PALETTE, phase: PHASE_PALETTE };
  const timeline = lanes.names.length
    ? await renderChart(
        lanesSpec({ lanes: lanes.names, segments: lanes.segments, palettes, domain: axis.domain, xTitle: axis.title, bands, markers: measureMarkers(t, 0), labelWidth }),
        { id: "timeline", label: `trial ${t.index} timeline`, data: { trial: String(t.index) } },
      )
    : `<p data-chart="timeline" data-trial="${t.index}">Nothing was observed in this trial.</p>`;
  const bins = requestBins(h, axis.origin, axis.domain);
  const api = bins.length
    ? await renderChart(requestsOverTimeSpec({ bins, domain: axis.domain, xTitle: axis.title, bands: bands.filter((b) => b.color === BAND_COLORS.fault), labelWidth }), {
        id: "api",
        label: `trial ${t.index}: API latency and errors over time`,
        data: { trial: String(t.index) },
      })
    : `<p data-chart="api" data-trial="${t.index}">No API request was recorded in this trial.</p>`;
  const reqs = t.measures.apiRequests;
  const checks = t.checks
    .map((c) => `<tr><td>${esc(c.name)}</td><td class="l v-${c.verdict}">${c.verdict}</td><td class="l">${esc(c.message)}</td></tr>`)
    .join("");
  const missing = Object.entries(t.measures.missing)
    .map(([k, m]) => `<li><code>${esc(k)}</code> (${m.code}): ${esc(m.reason)}</li>`)
    .join("");
  const measures = MEASURE_NAMES.map((n) => `<tr><td>${n}</td><td>${esc(formatMeasure(n, measureValue(t.measures, n)))}</td></tr>`).join("");
  const fault = t.fault
    ? `<p>Fault: ${esc(t.fault.description)} → ${esc(t.fault.targets.map((x) => `${x.node} (${x.how})`).join(", ") || "—")}, after a random offset of ${sec(t.fault.offsetMs)}.</p>`
    : `<p>No fault was injected in this trial.</p>`;
  return `<section class="trial" id="trial-${t.index}"><h2>Trial ${t.index}: <span class="v-${t.verdict}">${t.verdict}</span></h2>
${fault}
<h3>Timeline</h3>
<p>Each lane is what the probes saw. Across all lanes: the fault in force (red), the model's window for the new scheduler (green, its expected value marked), and the measured events (blue lines, ${doc("MEASURES.md", undefined, "definitions")}).${lanes.podsNotDrawn ? ` ${lanes.podsNotDrawn} more pod(s) not drawn.` : ""}</p>
<div class="chart">${timeline}</div>
<h3>API requests through nginx</h3>
<p>${reqs ? `From the fault to ${reqs.until === "recovery" ? "recovery" : "the end of the history"}: ${reqs.failed} of ${reqs.total} failed (apiErrorRate ${esc(formatMeasure("apiErrorRate", t.measures.apiErrorRate))}).` : ""} Bins of ${bins.length ? `${(bins[0]!.to - bins[0]!.from).toString()} s` : "—"}.</p>
<div class="chart">${api}</div>
<table><tr><th>check</th><th>verdict</th><th>message</th></tr>${checks}</table>
<details><summary>Measures</summary><table>${measures}</table>${missing ? `<ul>${missing}</ul>` : ""}${t.measures.notes.map((n) => `<p>${esc(n)}</p>`).join("")}</details>
</section>`;
}
