import { ofKind } from "../history/history.js";
import type { HistoryEntry } from "../history/types.js";
import { MEASURE_NAMES, measureValue, type MeasureName } from "../measures/measures.js";
import type { RunResult, TrialResult } from "./result.js";
import { formatMeasure } from "./text.js";

/**
 * `report.html`: one self-contained page (no script, no external reference), so it opens from a
 * CI artifact or a mail attachment with no network. Charts are inline SVG drawn here rather than
 * an inlined charting library: the plots are simple (lanes of segments, dots per trial with the
 * model band), static SVG needs no JavaScript, prints, and diffs; Chart.js would add ~200 kB of
 * script and a canvas that renders nothing with scripts disabled.
 */
export function renderReportHtml(r: RunResult): string {
  const body = [
    `<h1>${esc(r.scenario)}: <span class="v-${r.verdict}">${r.verdict.toUpperCase()}</span></h1>`,
    `<p>Run <code>${esc(r.runId)}</code>, started ${esc(r.startedAt)}${r.finishedAt ? `, finished ${esc(r.finishedAt)}` : ""}; ${r.trials.length} trial(s); status ${esc(r.status)}.</p>`,
    r.error ? `<p class="v-fail">Harness error <code>${esc(r.error.code)}</code>: ${esc(r.error.message)}</p>` : "",
    modelSection(r),
    `<h2>Measures across trials</h2>`,
    summaryTable(r),
    ecdfChart(r),
    `<div class="charts">${MEASURE_NAMES.map((n) => measureChart(r, n)).join("")}</div>`,
    `<h2>Trials</h2>`,
    ...r.trials.map(trialSection),
    `<details><summary>Topology spec</summary><pre>${esc(JSON.stringify(r.topology, null, 2))}</pre></details>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`${r.scenario} ${r.runId}`)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th:first-child,td:first-child{text-align:left}
.v-pass{color:#18794e}.v-fail{color:#c62828}.v-unknown{color:#8a6d00}
.charts{display:flex;flex-wrap:wrap;gap:12px}.timeline{overflow-x:auto}svg text{font:11px system-ui,sans-serif}
code,pre{font-family:ui-monospace,monospace}
</style></head><body>
${body.filter(Boolean).join("\n")}
</body></html>
`;
}

export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function modelSection(r: RunResult): string {
  const w = r.model;
  if (!w) return "";
  const rows = Object.entries(w.terms)
    .map(([k, t]) => `<tr><td>${esc(k)}</td><td>${sec(t.minMs)}</td><td>${sec(t.expectedMs)}</td><td>${sec(t.maxMs)}</td><td style="text-align:left">${esc(t.formula)}</td></tr>`)
    .join("");
  return `<h2>Model window (${esc(w.case)})</h2><p><code>${esc(w.formula)}</code> → [${sec(w.minMs)}, ${sec(w.maxMs)}], expected ${sec(w.expectedMs)}</p>
<table><tr><th>term</th><th>min</th><th>expected</th><th>max</th><th>derivation</th></tr>${rows}</table>${w.notes.map((n) => `<p>${esc(n)}</p>`).join("")}`;
}

function summaryTable(r: RunResult): string {
  const rows = MEASURE_NAMES.map((n) => {
    const st = r.summary[n];
    return `<tr><td>${n}</td><td>${st.n}</td>${[st.min, st.p50, st.p90, st.max].map((v) => `<td>${esc(formatMeasure(n, v))}</td>`).join("")}</tr>`;
  }).join("");
  return `<table><tr><th>measure</th><th>n</th><th>min</th><th>p50</th><th>p90</th><th>max</th></tr>${rows}</table>`;
}

/** Dots per trial; for timeToNewSchedulerMs the model band [min, max] and the expected line. */
function measureChart(r: RunResult, name: MeasureName): string {
  const pts = r.trials.map((t) => ({ i: t.index, v: measureValue(t.measures, name), verdict: t.verdict })).filter((p) => p.v !== null) as {
    i: number;
    v: number;
    verdict: string;
  }[];
  if (!pts.length) return "";
  const W = 300;
  const H = 160;
  const L = 48;
  const B = 20;
  const band = name === "timeToNewSchedulerMs" && r.model ? r.model : null;
  const top = Math.max(...pts.map((p) => p.v), band?.maxMs ?? 0);
  const maxV = top * 1.05 || 1;
  const minI = Math.min(...r.trials.map((t) => t.index));
  const maxI = Math.max(...r.trials.map((t) => t.index));
  const x = (i: number) => L + 10 + ((i - minI) / Math.max(1, maxI - minI)) * (W - L - 20);
  const y = (v: number) => H - B - (v / maxV) * (H - B - 10);
  const parts = [
    `<svg width="${W}" height="${H}" role="img" aria-label="${esc(name)} per trial" data-chart="${esc(name)}">`,
    `<text x="4" y="12">${esc(name)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 4}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="10" x2="${L}" y2="${H - B}" stroke="#999"/>`,
    // The axis is labelled at the largest value (none when every value is 0).
    top ? `<text x="2" y="${y(top) + 4}">${esc(formatMeasure(name, top))}</text>` : "",
    `<text x="2" y="${H - B}">0</text>`,
  ];
  if (band) {
    parts.push(
      `<rect x="${L}" y="${y(band.maxMs)}" width="${W - L - 4}" height="${y(band.minMs) - y(band.maxMs)}" fill="#2e7d32" opacity="0.12"><title>model [${sec(band.minMs)}, ${sec(band.maxMs)}]</title></rect>`,
      `<line x1="${L}" x2="${W - 4}" y1="${y(band.expectedMs)}" y2="${y(band.expectedMs)}" stroke="#2e7d32" stroke-dasharray="4 3"/>`,
    );
  }
  for (const p of pts) {
    const color = p.verdict === "pass" ? "#18794e" : p.verdict === "fail" ? "#c62828" : "#8a6d00";
    parts.push(`<circle cx="${x(p.i)}" cy="${y(p.v)}" r="4" fill="${color}"><title>trial ${p.i}: ${esc(formatMeasure(name, p.v))}</title></circle>`);
  }
  parts.push(`<text x="${L}" y="${H - 4}">trial ${minI}</text><text x="${W - 50}" y="${H - 4}">trial ${maxI}</text></svg>`);
  return parts.join("");
}

/**
 * The empirical CDF of time-to-new-scheduler across trials against the model window (shaded) and
 * its expected value (dashed): the whole distribution, not only its percentiles, with the §6
 * prediction it should fall inside. Drawn from 2 samples up.
 */
function ecdfChart(r: RunResult): string {
  const xs = r.trials.map((t) => t.measures.timeToNewSchedulerMs).filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (xs.length < 2) return "";
  const W = 620;
  const H = 220;
  const L = 48;
  const B = 28;
  const band = r.model;
  const maxV = Math.max(xs.at(-1)!, band?.maxMs ?? 0) * 1.05 || 1;
  const x = (v: number) => L + (v / maxV) * (W - L - 10);
  const y = (p: number) => H - B - p * (H - B - 12);
  const parts = [
    `<h3>Time to new scheduler: empirical CDF over ${xs.length} trials</h3>`,
    `<svg width="${W}" height="${H}" role="img" aria-label="ECDF of timeToNewSchedulerMs" data-chart="ecdf-timeToNewSchedulerMs">`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 4}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="8" x2="${L}" y2="${H - B}" stroke="#999"/>`,
    `<text x="4" y="${y(1) + 4}">1</text><text x="4" y="${y(0.5) + 4}">0.5</text><text x="4" y="${y(0)}">0</text>`,
    `<text x="${L}" y="${H - 8}">0 s</text><text x="${W - 60}" y="${H - 8}">${sec(maxV / 1.05)}</text>`,
  ];
  if (band) {
    parts.push(
      `<rect x="${x(band.minMs)}" y="${y(1)}" width="${x(band.maxMs) - x(band.minMs)}" height="${y(0) - y(1)}" fill="#2e7d32" opacity="0.12"><title>model [${sec(band.minMs)}, ${sec(band.maxMs)}]</title></rect>`,
      `<line x1="${x(band.expectedMs)}" x2="${x(band.expectedMs)}" y1="${y(1)}" y2="${y(0)}" stroke="#2e7d32" stroke-dasharray="4 3"><title>expected ${sec(band.expectedMs)}</title></line>`,
    );
  }
  // A step function: at each sample the fraction of trials at or below it.
  let path = `M ${x(0)} ${y(0)}`;
  xs.forEach((v, i) => {
    path += ` H ${x(v)} V ${y((i + 1) / xs.length)}`;
  });
  parts.push(`<path d="${path} H ${x(maxV)}" fill="none" stroke="#1565c0" stroke-width="2"/>`);
  for (const [i, v] of xs.entries()) parts.push(`<circle cx="${x(v)}" cy="${y((i + 1) / xs.length)}" r="3" fill="#1565c0"><title>${sec(v)}</title></circle>`);
  parts.push("</svg>");
  return parts.join("");
}

interface Segment {
  from: number;
  to: number;
  label: string;
  color: string;
}

interface Lane {
  name: string;
  segments: Segment[];
}

/** Consecutive changes → segments until the next change (or `endT`); `undefined` labels leave a gap. */
function toSegments<E extends { t: number }>(changes: readonly E[], endT: number, style: (e: E) => { label: string; color: string } | undefined): Segment[] {
  const out: Segment[] = [];
  changes.forEach((e, i) => {
    const st = style(e);
    const to = changes[i + 1]?.t ?? endT;
    if (st && to > e.t) out.push({ from: e.t, to, ...st });
  });
  return out;
}

/** A stable colour per distinct value (key holder, pid); FNV-1a so near-identical strings (IPs) differ. */
function colorOf(value: string): string {
  let h = 2166136261;
  for (const c of value) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `hsl(${h % 360} 55% 55%)`;
}

const PHASE_COLOR: Record<string, string> = { Running: "#43a047", Pending: "#fbc02d", Succeeded: "#90a4ae", Failed: "#e53935", Unknown: "#8d6e63" };
const MAX_POD_LANES = 40;

function lanesOf(history: readonly HistoryEntry[], endT: number): Lane[] {
  const lanes: Lane[] = [];
  const byKey = groupBy(ofKind(history, "etcd-key"), (e) => e.key);
  for (const [key, changes] of byKey) {
    lanes.push({
      name: `etcd ${key}`,
      segments: toSegments(changes, endT, (e) => (e.value === null ? undefined : { label: e.node ? `${e.node} (${e.value})` : e.value, color: colorOf(e.value) })),
    });
  }
  for (const [id, changes] of groupBy(ofKind(history, "framework"), (e) => e.id)) {
    lanes.push({
      name: `framework ${changes[0]!.name}`,
      segments: toSegments(changes, endT, (e) => ({
        label: `${e.active ? "active" : "inactive"} ${e.pid}${e.node ? ` on ${e.node}` : ""} (${id})`,
        color: e.active ? colorOf(e.pid) : "#cfd8dc",
      })),
    });
  }
  for (const [node, changes] of groupBy(ofKind(history, "scheduler-health"), (e) => e.node)) {
    lanes.push({ name: `scheduler ${node}`, segments: toSegments(changes, endT, (e) => ({ label: e.up ? "up" : "down", color: e.up ? "#66bb6a" : "#ef9a9a" })) });
  }
  lanes.push({ name: "runner phase", segments: toSegments(ofKind(history, "phase"), endT, (e) => ({ label: e.name, color: colorOf(e.name) })) });
  const pods = [...groupBy(ofKind(history, "pod"), (e) => e.uid)];
  for (const [, changes] of pods.slice(0, MAX_POD_LANES)) {
    const p = changes[0]!;
    lanes.push({
      name: `pod ${p.namespace}/${p.name}`,
      segments: toSegments(changes, endT, (e) => (e.deleted ? undefined : { label: `${e.phase}${e.nodeName ? ` on ${e.nodeName}` : ""}`, color: PHASE_COLOR[e.phase] ?? "#bdbdbd" })),
    });
  }
  if (pods.length > MAX_POD_LANES) lanes.push({ name: `(+${pods.length - MAX_POD_LANES} pods not drawn)`, segments: [] });
  return lanes;
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

/** One SVG per trial: a lane per key / framework / scheduler / pod, fault bands across all, phase markers. */
export function renderTimelineSvg(t: TrialResult): string {
  const h = t.history;
  const endT = Math.max(h.at(-1)?.t ?? 0, 1);
  const startT = Math.min(0, h[0]?.t ?? 0);
  const lanes = lanesOf(h, endT);
  const LABEL = 230;
  const W = 1100;
  const LANE = 20;
  const TOP = 34;
  const height = TOP + lanes.length * LANE + 24;
  const x = (ms: number) => LABEL + ((ms - startT) / (endT - startT)) * (W - LABEL - 10);
  const parts: string[] = [`<svg class="timeline" data-trial="${t.index}" width="${W}" height="${height}" role="img" aria-label="trial ${t.index} timeline">`];

  // Fault bands: inject → heal (or the end).
  const faults = ofKind(h, "fault");
  for (const inj of faults.filter((f) => f.action === "inject")) {
    const heal = faults.find((f) => f.action === "heal" && f.name === inj.name && f.t >= inj.t);
    const x1 = x(inj.t);
    const x2 = x(heal?.t ?? endT);
    parts.push(
      `<rect x="${x1}" y="${TOP - 14}" width="${Math.max(1, x2 - x1)}" height="${lanes.length * LANE + 14}" fill="#e53935" opacity="0.08"><title>${esc(`fault ${inj.name} on ${inj.targets.join(", ")}`)}</title></rect>`,
      `<text x="${x1 + 2}" y="${TOP - 4}" fill="#c62828">${esc(`${inj.name} → ${inj.targets.join(", ")}`)}</text>`,
    );
  }
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE;
    parts.push(`<text x="4" y="${y + 14}">${esc(truncate(lane.name, 36))}<title>${esc(lane.name)}</title></text>`);
    for (const s of lane.segments) {
      const x1 = x(s.from);
      const w = Math.max(1, x(s.to) - x1);
      parts.push(
        `<rect x="${x1}" y="${y + 2}" width="${w}" height="${LANE - 4}" fill="${s.color}"><title>${esc(`${lane.name}: ${s.label} [${sec(s.from)} – ${sec(s.to)}]`)}</title></rect>`,
      );
      if (w > 60) parts.push(`<text x="${x1 + 3}" y="${y + 14}">${esc(truncate(s.label, Math.floor(w / 6.5)))}</text>`);
    }
  });

  // Measure markers, from the fault.
  const f = t.measures.faultT;
  if (f !== null) {
    const marks: [string, number | null][] = [
      ["lease expired", t.measures.phases.leaseExpiredMs],
      ["new leader", t.measures.phases.newLeaderElectedMs],
      ["scheduler up", t.measures.phases.schedulerStartedMs],
      ["new scheduler", t.measures.timeToNewSchedulerMs],
      ["first pod running", t.measures.phases.firstPodRunningMs],
    ];
    const bottom = TOP + lanes.length * LANE;
    for (const [label, v] of marks) {
      if (v === null) continue;
      const mx = x(f + v);
      parts.push(`<line x1="${mx}" x2="${mx}" y1="${TOP - 14}" y2="${bottom}" stroke="#1565c0" stroke-dasharray="3 3"><title>${esc(`${label}: +${sec(v)}`)}</title></line>`);
    }
  }
  // Time axis in seconds.
  const axisY = TOP + lanes.length * LANE + 4;
  const step = niceStep((endT - startT) / 10);
  parts.push(`<line x1="${LABEL}" x2="${W - 10}" y1="${axisY}" y2="${axisY}" stroke="#999"/>`);
  for (let v = Math.ceil(startT / step) * step; v <= endT; v += step) {
    parts.push(`<text x="${x(v) - 8}" y="${axisY + 14}">${(v / 1000).toFixed(step < 1000 ? 1 : 0)}s</text>`);
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}

function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, Math.max(1, n - 1))}…` : text;
}

function trialSection(t: TrialResult): string {
  const checks = t.checks
    .map((c) => `<tr><td>${esc(c.name)}</td><td class="v-${c.verdict}">${c.verdict}</td><td style="text-align:left">${esc(c.message)}</td></tr>`)
    .join("");
  const missing = Object.entries(t.measures.missing)
    .map(([k, m]) => `<li><code>${esc(k)}</code> (${m.code}): ${esc(m.reason)}</li>`)
    .join("");
  const measures = MEASURE_NAMES.map((n) => `<tr><td>${n}</td><td>${esc(formatMeasure(n, measureValue(t.measures, n)))}</td></tr>`).join("");
  return `<section><h3>Trial ${t.index}: <span class="v-${t.verdict}">${t.verdict}</span></h3>
<div class="timeline">${renderTimelineSvg(t)}</div>
<table><tr><th>check</th><th>verdict</th><th>message</th></tr>${checks}</table>
<details><summary>Measures</summary><table>${measures}</table>${missing ? `<ul>${missing}</ul>` : ""}${t.measures.notes.map((n) => `<p>${esc(n)}</p>`).join("")}</details>
</section>`;
}
