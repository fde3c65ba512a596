/**
 * Every chart of the harness (report.html, the run indexes, the studies) as static SVG rendered in
 * Node: a Vega-Lite spec compiled by `vega-lite` and drawn by `vega`'s headless View (`toSVG()`).
 * The page inlines the SVG, so it needs no script and no network at view time, prints, and diffs.
 * Vega-Lite rather than hand-drawn SVG: axes, legends and label layout (no cut-off or overlapping
 * labels) come from a maintained library that the studies use too.
 *
 * This module holds the theme, the fixed palettes, the renderer and the chart builders; callers map
 * their data onto the builders' plain inputs (times in seconds, values in their unit).
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** Font size of chart text, px. */
const FONT_SIZE = 11;

/**
 * Character widths of DejaVu Sans (Debian's default sans-serif, wider than most), in em. Without a
 * canvas Vega guesses 0.8 em for every character: a lane name column a third too wide, and label
 * truncation far too early. Letters, digits and common punctuation are listed; others count 0.62 em.
 */
const EM: Readonly<Record<string, number>> = Object.fromEntries([
  ..."abcdefghijklmnopqrstuvwxyz".split("").map((c, i) => [c, [613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525][i]! / 1000]),
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("").map((c, i) => [c, [684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685][i]! / 1000]),
  ..."0123456789".split("").map((c) => [c, 0.636]),
  ...Object.entries({ " ": 0.318, ".": 0.318, ",": 0.318, ":": 0.337, ";": 0.337, "-": 0.361, "/": 0.337, "(": 0.39, ")": 0.39, "[": 0.39, "]": 0.39, "_": 0.5, "+": 0.838, "=": 0.838, "%": 0.95, "→": 0.838, "…": 1, "'": 0.275, '"': 0.46 }),
]);

/** Estimated width of `text` in px at `fontSize` (px), from DejaVu Sans's widths: at most a few px over in other fonts. */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  let em = 0;
  for (const c of text) em += EM[c] ?? 0.62;
  return em * fontSize;
}

// Vega measures text through `textMetrics.width` (a supported hook: vl-convert sets it too).
(vega as unknown as { textMetrics: { width: (item: { fontSize?: number }, text: string) => number } }).textMetrics.width = (item, text) =>
  textWidth(String(text ?? ""), item.fontSize ?? FONT_SIZE);

/** Fixed categorical colours, in the order nodes are assigned them (Tableau 10 without its green and red, which mean up and down). */
export const NODE_PALETTE: readonly string[] = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
/** States of a process or pod: the same colour means the same thing in every chart. */
export const STATE_COLORS = {
  "Running / up": "#2ca02c",
  Pending: "#e6a817",
  "Failed / down": "#d62728",
  Succeeded: "#6b8fa3",
  Unknown: "#555555",
} as const;
/** Verdicts, as in the page's text. */
export const VERDICT_COLORS = { pass: "#18794e", fail: "#c62828", unknown: "#8a6d00" } as const;
/** Translucent bands: the fault in force, and the model's window. */
export const BAND_COLORS = { fault: "#e53935", model: "#2e7d32" } as const;
/** Markers of measured events. */
export const MARKER_COLOR = "#1565c0";

const CONFIG = {
  font: "system-ui, sans-serif",
  background: "white",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: FONT_SIZE, titleFontSize: FONT_SIZE, titleFontWeight: "normal", labelLimit: 0, gridColor: "#eee" },
  // Legends under the plot, one under the other from its left edge: side by side they outgrow the plot and push it right.
  legend: {
    labelFontSize: FONT_SIZE,
    titleFontSize: FONT_SIZE,
    labelLimit: 0,
    titleLimit: 0,
    orient: "bottom",
    direction: "horizontal",
    layout: { bottom: { anchor: "start", direction: "vertical", margin: 6 } },
  },
  title: { fontSize: 13, anchor: "start", fontWeight: "bold", offset: 8 },
  text: { fontSize: FONT_SIZE },
} as const;

/** What a chart is called in the page: `data-chart` (tests and links find it by this) and its accessible label. */
export interface ChartIdentity {
  /** `data-chart` attribute of the `<svg>`, e.g. `timeline` or `measure-podsLost`. */
  readonly id: string;
  /** `aria-label` of the `<svg>`. */
  readonly label: string;
  /** More `data-*` attributes, e.g. `{ trial: "3" }`. */
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * Renders a Vega-Lite spec to an `<svg>` for inlining in HTML: the harness's theme applied, the
 * namespace attributes dropped (inline SVG needs none, and the page then holds no URL), every mark
 * that has a description given a `<title>` (a browser shows it on hover), coordinates to two
 * decimals (a third of the size, no visible change), and `data-chart`, `role="img"` and
 * `aria-label` on the root.
 */
export async function renderChart(spec: TopLevelSpec, who: ChartIdentity): Promise<string> {
  const themed = { ...spec, config: { ...CONFIG, ...(spec as { config?: object }).config } } as unknown as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(themed).spec), { renderer: "none" });
  try {
    return inlineSvg(await view.toSVG(), who);
  } finally {
    view.finalize();
  }
}

function inlineSvg(svg: string, who: ChartIdentity): string {
  const attrs = [`data-chart="${escAttr(who.id)}"`, ...Object.entries(who.data ?? {}).map(([k, v]) => `data-${k}="${escAttr(v)}"`), `role="img"`, `aria-label="${escAttr(who.label)}"`];
  return svg
    .replace(/^<svg xmlns="[^"]*" xmlns:xlink="[^"]*" version="1.1"/, `<svg ${attrs.join(" ")}`)
    .replace(/<(path|line|rect|circle|text) aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="[^"]*"([^>]*?)\/>/g, "<$1$3><title>$2</title></$1>")
    .replace(/(\d\.\d\d)\d+/g, "$1");
}

function escAttr(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

/** A shaded interval on a chart's x (or y) axis, with a label. */
export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
  readonly color: string;
  /** A dashed line inside the band, e.g. the model's expected value. */
  readonly mark?: number;
  /** In a lane chart: also drawn as a bar in a lane of this name above the others, labelled inside. */
  readonly lane?: string;
}

/** A vertical marker at `x` with a label above the plot. */
export interface Marker {
  readonly x: number;
  readonly label: string;
  readonly color: string;
  /** Dashed line. @default true */
  readonly dashed?: boolean;
}

/** Placed label: the row above the plot it sits in (0 = nearest the plot). */
interface PlacedLabel {
  readonly x: number;
  readonly label: string;
  readonly color: string;
  readonly row: number;
}

/**
 * Puts labels anchored at pixel `px` (left-aligned) into rows so that none overlaps another:
 * each goes into the first row whose last label ends before it starts.
 */
export function stackLabels<L extends { px: number; label: string }>(labels: readonly L[], gapPx = 8): (L & { row: number })[] {
  const rowsEnd: number[] = [];
  return [...labels]
    .sort((a, b) => a.px - b.px)
    .map((l) => {
      let row = rowsEnd.findIndex((end) => end + gapPx <= l.px);
      if (row < 0) row = rowsEnd.push(0) - 1;
      rowsEnd[row] = l.px + textWidth(l.label);
      return { ...l, row };
    });
}

const ROW_PX = 14;

/**
 * The marker labels above a plot of `width` px over `domain`: staggered in rows, each with its
 * rule from its row down through the plot (`height` px). Layers for a layered Vega-Lite spec.
 */
function markerLayers(markers: readonly Marker[], bands: readonly Band[], domain: readonly [number, number], width: number, height: number): object[] {
  const px = (x: number) => ((x - domain[0]) / (domain[1] - domain[0])) * width;
  const placed: PlacedLabel[] = stackLabels(
    [...bands.filter((b) => !b.lane).map((b) => ({ x: Math.max(b.from, domain[0]), label: b.label, color: b.color })), ...markers].map((m) => ({ ...m, px: px(m.x) })),
  ).map(({ x, label, color, row }) => ({ x, label, color, row }));
  const rows = placed.map((p) => ({ ...p, ty: -6 - p.row * ROW_PX, ry: -4 - p.row * ROW_PX }));
  const ruleRows = rows.filter((r) => markers.some((m) => m.x === r.x && m.label === r.label));
  const layers: object[] = [];
  if (ruleRows.length) {
    layers.push({
      data: { values: ruleRows.map((r) => ({ ...r, dashed: markers.find((m) => m.x === r.x && m.label === r.label)?.dashed !== false })) },
      name: "marker_rules",
      mark: { type: "rule", strokeWidth: 1.2 },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "ry", type: "quantitative", scale: null },
        y2: { value: height },
        color: { field: "color", type: "nominal", scale: null },
        strokeDash: { condition: { test: "datum.dashed", value: [4, 3] }, value: [1, 0] },
      },
    });
  }
  if (rows.length) {
    layers.push({
      data: { values: rows },
      name: "marker_labels",
      mark: { type: "text", align: "left", baseline: "bottom", dx: 2 },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "ty", type: "quantitative", scale: null },
        text: { field: "label" },
        color: { field: "color", type: "nominal", scale: null },
      },
    });
  }
  return layers;
}

/** Bands as translucent rects across the plot; `labelled`: each band's label written inside it, at its start. */
function bandLayers(bands: readonly Band[], height: number, axis: "x" | "y" = "x", labelled = false): object[] {
  if (!bands.length) return [];
  const values = bands.map((b) => ({ ...b }));
  const span =
    axis === "x"
      ? { x: { field: "from", type: "quantitative" }, x2: { field: "to" }, y: { value: 0 }, y2: { value: height } }
      : { y: { field: "from", type: "quantitative" }, y2: { field: "to" }, x: { value: 0 }, x2: { value: "width" } };
  const layers: object[] = [
    {
      data: { values },
      name: "bands",
      mark: { type: "rect", opacity: 0.1 },
      encoding: { ...span, color: { field: "color", type: "nominal", scale: null }, description: { field: "label" } },
    },
  ];
  const marks = values.filter((b) => b.mark !== undefined);
  if (marks.length) {
    layers.push({
      data: { values: marks },
      name: "band_marks",
      mark: { type: "rule", strokeDash: [4, 3] },
      encoding:
        axis === "x"
          ? { x: { field: "mark", type: "quantitative" }, y: { value: 0 }, y2: { value: height }, color: { field: "color", type: "nominal", scale: null } }
          : { y: { field: "mark", type: "quantitative" }, x: { value: 0 }, x2: { value: "width" }, color: { field: "color", type: "nominal", scale: null } },
    });
  }
  if (labelled) {
    layers.push({
      data: { values },
      name: "band_labels",
      mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3 },
      encoding:
        axis === "x"
          ? { x: { field: "from", type: "quantitative" }, y: { value: 0 }, text: { field: "label" }, color: { field: "color", type: "nominal", scale: null } }
          : { y: { field: "to", type: "quantitative" }, x: { value: 0 }, text: { field: "label" }, color: { field: "color", type: "nominal", scale: null } },
    });
  }
  return layers;
}

/** A colour legend: the categories drawn, each with its fixed colour. */
export interface Palette {
  readonly title: string;
  readonly colors: Readonly<Record<string, string>>;
}

/** One bar of a lane: `category` picks its colour in the palette of `group`. */
export interface LaneSegment {
  readonly lane: string;
  readonly from: number;
  readonly to: number;
  /** Written inside the bar when it fits, and on hover. */
  readonly label: string;
  readonly group: string;
  readonly category: string;
}

export interface LanesInput {
  /** Lanes, top to bottom. */
  readonly lanes: readonly string[];
  readonly segments: readonly LaneSegment[];
  /** Group → its legend; a legend lists only the categories drawn. */
  readonly palettes: Readonly<Record<string, Palette>>;
  /** x range, e.g. seconds since the fault. */
  readonly domain: readonly [number, number];
  readonly xTitle: string;
  readonly bands?: readonly Band[];
  readonly markers?: readonly Marker[];
  /** Plot width, px. @default 900 */
  readonly width?: number;
  /** Width kept for the lane names, px (charts that must line up with this one use the same). */
  readonly labelWidth?: number;
}

const LANE_PX = 20;

/** A timeline: one lane per thing observed, bars per state, bands across all lanes, labelled markers above. */
export function lanesSpec(input: LanesInput): TopLevelSpec {
  const width = input.width ?? 900;
  const bands = input.bands ?? [];
  const bandLanes = bands.filter((b) => b.lane);
  const lanes = [...new Set(bandLanes.map((b) => b.lane!)), ...input.lanes];
  const height = lanes.length * LANE_PX;
  const span = input.domain[1] - input.domain[0];
  const px = (d: number) => (d / span) * width;
  const bandBars = bandLanes.map((b) => ({ ...b, tip: `${b.lane}: ${b.label} [${fmt(b.from)} s, ${fmt(b.to)} s]` }));
  const bandLaneLayers = bandBars.length
    ? [
        {
          data: { values: bandBars },
          name: "band_lanes",
          mark: { type: "bar", height: LANE_PX - 4, opacity: 0.45 },
          encoding: { x: { field: "from", type: "quantitative" }, x2: { field: "to" }, y: { field: "lane", type: "nominal" }, color: { field: "color", type: "nominal", scale: null }, description: { field: "tip" } },
        },
        {
          data: { values: bandBars.filter((b) => b.mark !== undefined) },
          name: "band_lane_marks",
          mark: { type: "tick", thickness: 2, size: LANE_PX - 4, color: "#1b5e20" },
          encoding: { x: { field: "mark", type: "quantitative" }, y: { field: "lane", type: "nominal" } },
        },
        {
          data: { values: bandBars.filter((b) => px(b.to - b.from) >= textWidth(b.label) + 6) },
          name: "band_lane_labels",
          mark: { type: "text", align: "left", dx: 3, color: "#111" },
          encoding: { x: { field: "from", type: "quantitative" }, y: { field: "lane", type: "nominal" }, text: { field: "label" } },
        },
      ]
    : [];
  const groups = Object.keys(input.palettes).filter((g) => input.segments.some((s) => s.group === g));
  const barLayers = groups.map((g) => {
    const pal = input.palettes[g]!;
    const used = Object.keys(pal.colors).filter((c) => input.segments.some((s) => s.group === g && s.category === c));
    return {
      data: { values: input.segments.filter((s) => s.group === g) },
      name: `lane_${g.replace(/\W/g, "_")}`,
      mark: { type: "bar", height: LANE_PX - 4 },
      encoding: {
        x: { field: "from", type: "quantitative" },
        x2: { field: "to" },
        y: { field: "lane", type: "nominal" },
        color: { field: "category", type: "nominal", title: pal.title, scale: { domain: used, range: used.map((c) => pal.colors[c]!) } },
        description: { field: "tip" },
      },
    };
  });
  // A label inside its bar only when it fits whole; the legend and the hover text carry the rest.
  const inBar = input.segments.filter((s) => px(s.to - s.from) >= textWidth(s.label) + 6);
  const tips = (segs: readonly LaneSegment[]) => segs.map((s) => ({ ...s, tip: `${s.lane}: ${s.label} [${fmt(s.from)} s, ${fmt(s.to)} s]` }));
  for (const l of barLayers) l.data.values = tips(l.data.values);
  return {
    width,
    height,
    layer: [
      ...bandLayers(bands, height),
      ...bandLaneLayers,
      ...barLayers,
      ...(inBar.length
        ? [
            {
              data: { values: inBar },
              name: "lane_labels",
              mark: { type: "text", align: "left", dx: 3, color: "#111" },
              encoding: { x: { field: "from", type: "quantitative" }, y: { field: "lane", type: "nominal" }, text: { field: "label" } },
            },
          ]
        : []),
      ...markerLayers(input.markers ?? [], bands, input.domain, width, height),
    ],
    resolve: { scale: { color: "independent" } },
    encoding: {
      x: { type: "quantitative", scale: { domain: [...input.domain], nice: false, zero: false }, axis: { title: input.xTitle, labelExpr: SIGNED, grid: true } },
      y: {
        type: "nominal",
        scale: { domain: lanes, paddingInner: 0 },
        axis: { title: null, ...(input.labelWidth ? { minExtent: input.labelWidth, maxExtent: input.labelWidth } : {}) },
      },
    },
  } as unknown as TopLevelSpec;
}

/** Axis labels with their sign (`−5`, `0`, `+10`): times around the fault read at a glance. */
const SIGNED = "datum.value > 0 ? '+' + datum.label : datum.label";

const fmt = (s: number) => (Math.round(s * 100) / 100).toFixed(2);

/** The width a lane chart keeps for `lanes`' names: charts under it use the same, so their plots line up. */
export function laneLabelWidth(lanes: readonly string[]): number {
  return Math.ceil(Math.max(60, ...lanes.map((l) => textWidth(l))) + 10);
}

export interface TimeBin {
  /** Bin start and end, x units (seconds since the fault). */
  readonly from: number;
  readonly to: number;
  readonly requests: number;
  readonly failed: number;
  /** Latency of the bin's requests, ms; null when it had none. */
  readonly p50Ms: number | null;
  readonly maxMs: number | null;
}

export interface RequestsOverTimeInput {
  readonly bins: readonly TimeBin[];
  readonly domain: readonly [number, number];
  readonly xTitle: string;
  readonly bands?: readonly Band[];
  readonly width?: number;
  /** Kept left of the plots, px, to line up with a lane chart above (see laneLabelWidth). */
  readonly labelWidth?: number;
}

/**
 * Requests over time, two panels on one x axis: latency (median and max per bin, ms) above,
 * requests per bin split into ok and failed below; the bands (the fault) across both.
 */
export function requestsOverTimeSpec(input: RequestsOverTimeInput): TopLevelSpec {
  const width = input.width ?? 900;
  const x = { field: "from", type: "quantitative", scale: { domain: [...input.domain], nice: false, zero: false }, axis: { title: input.xTitle, labelExpr: SIGNED, grid: true } };
  // No axis titles: the panels' titles give the units, and the plots line up with a lane chart's of the same labelWidth.
  const yAxis = () => ({ title: null, ...(input.labelWidth ? { minExtent: input.labelWidth, maxExtent: input.labelWidth } : {}) });
  const latency = input.bins.flatMap((b) =>
    b.p50Ms === null ? [] : [
      { from: (b.from + b.to) / 2, ms: b.p50Ms, series: "median" },
      { from: (b.from + b.to) / 2, ms: b.maxMs, series: "max" },
    ],
  );
  // Stacked by hand (ok from 0, failed on top): rects with both ends given draw the same in every Vega-Lite version.
  const counts = input.bins.flatMap((b) => {
    const ok = b.requests - b.failed;
    const tip = `${fmt(b.from)} to ${fmt(b.to)} s: ${ok} ok, ${b.failed} failed`;
    return [
      ...(ok ? [{ from: b.from, to: b.to, y0: 0, y1: ok, outcome: "ok", tip }] : []),
      ...(b.failed ? [{ from: b.from, to: b.to, y0: ok, y1: b.requests, outcome: "failed", tip }] : []),
    ];
  });
  const H1 = 120;
  const H2 = 70;
  return {
    vconcat: [
      {
        width,
        height: H1,
        title: "API latency (ms)",
        layer: [
          ...bandLayers(input.bands ?? [], H1, "x", true),
          {
            data: { values: latency },
            name: "api_latency",
            mark: { type: "line", interpolate: "linear", strokeWidth: 1.5 },
            encoding: {
              x: { ...x, axis: { ...x.axis, title: null, labels: true } },
              y: { field: "ms", type: "quantitative", axis: yAxis() },
              color: { field: "series", type: "nominal", title: "latency per bin", scale: { domain: ["median", "max"], range: ["#1565c0", "#90caf9"] } },
              description: { field: "series" },
            },
          },
        ],
        resolve: { scale: { color: "independent" } },
      },
      {
        width,
        height: H2,
        title: "API requests per bin: ok and failed",
        layer: [
          ...bandLayers(input.bands ?? [], H2),
          {
            data: { values: counts },
            name: "api_requests",
            mark: { type: "rect" },
            encoding: {
              x,
              x2: { field: "to" },
              y: { field: "y0", type: "quantitative", axis: yAxis() },
              y2: { field: "y1" },
              color: { field: "outcome", type: "nominal", title: "requests", scale: { domain: ["ok", "failed"], range: ["#b0bec5", STATE_COLORS["Failed / down"]] } },
              description: { field: "tip" },
            },
          },
        ],
        resolve: { scale: { color: "independent" } },
      },
    ],
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
  } as unknown as TopLevelSpec;
}

export interface DotsInput {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly category: string; readonly tip: string }[];
  /** Colours of the categories; no legend is drawn (several such charts share one, written by the caller). */
  readonly palette: Palette;
  /** The values are counts: integer ticks. */
  readonly integers?: boolean;
  /** A band on the y axis (the model's window), with its expected value dashed. */
  readonly band?: Band;
  readonly width?: number;
  readonly height?: number;
}

/** One dot per x (a trial), coloured by category (its verdict), over an optional y band. */
export function dotsSpec(input: DotsInput): TopLevelSpec {
  const height = input.height ?? 140;
  const used = Object.keys(input.palette.colors).filter((c) => input.points.some((p) => p.category === c));
  return {
    width: input.width ?? 300,
    height,
    title: input.title,
    layer: [
      ...bandLayers(input.band ? [input.band] : [], height, "y", true),
      {
        data: { values: input.points },
        name: "dots",
        mark: { type: "point", filled: true, size: 50 },
        encoding: {
          x: { field: "x", type: "quantitative", axis: { title: input.xTitle, tickMinStep: 1, format: "d" }, scale: { zero: false, nice: false, padding: 12 } },
          y: { field: "y", type: "quantitative", axis: { title: input.yTitle, ...(input.integers ? { tickMinStep: 1, format: "d" } : {}) } },
          // One legend for a page of these charts says more than one per chart: the caller writes it.
          color: { field: "category", type: "nominal", legend: null, scale: { domain: used, range: used.map((c) => input.palette.colors[c]!) } },
          description: { field: "tip" },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

export interface EcdfInput {
  readonly title: string;
  readonly xTitle: string;
  readonly values: readonly number[];
  /** A band on the x axis (the model's window), with its expected value dashed. */
  readonly band?: Band;
  readonly width?: number;
}

/** The empirical CDF of `values`: at each sample, the fraction at or below it; the band shaded. */
export function ecdfSpec(input: EcdfInput): TopLevelSpec {
  const xs = [...input.values].sort((a, b) => a - b);
  const steps = [{ x: 0, p: 0, tip: "" }, ...xs.map((x, i) => ({ x, p: (i + 1) / xs.length, tip: `${fmt(x)}: ${i + 1} of ${xs.length}` }))];
  const height = 180;
  return {
    width: input.width ?? 600,
    height,
    title: input.title,
    layer: [
      ...bandLayers(input.band ? [input.band] : [], height, "x", true),
      {
        data: { values: steps },
        name: "ecdf",
        mark: { type: "line", interpolate: "step-after", point: { filled: true, size: 30 }, color: MARKER_COLOR },
        encoding: {
          x: { field: "x", type: "quantitative", axis: { title: input.xTitle } },
          y: { field: "p", type: "quantitative", axis: { title: "fraction of trials ≤ x", format: ".0%" }, scale: { domain: [0, 1] } },
          description: { field: "tip" },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}
