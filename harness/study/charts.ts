/**
 * The study's charts as Vega-Lite specs, drawn to static SVG by the shared renderer
 * (harness/reporting/charts.ts `renderChart`, and its `ecdfSpec` for the per-cell ECDFs).
 * Times in seconds.
 */
import type { TopLevelSpec } from "vega-lite";
import { BAND_COLORS, MARKER_COLOR, VERDICT_COLORS } from "../reporting/charts.js";

/** One cell of a heatmap: the grid's column (first factor's value), row (the other factors), the value in s. */
export interface HeatCell {
  readonly col: string;
  readonly row: string;
  readonly value: number | null;
  readonly tip: string;
}

/** The grid: first factor across, the others down; the cell's value written in it. */
export function heatmapSpec(input: { title: string; xTitle: string; yTitle: string; cells: readonly HeatCell[]; colOrder: readonly string[]; rowOrder: readonly string[] }): TopLevelSpec {
  const values = input.cells.map((c) => ({ ...c, label: c.value === null ? "—" : c.value.toFixed(2) }));
  const enc = {
    x: { field: "col", type: "ordinal", sort: input.colOrder, axis: { title: input.xTitle, labelAngle: 0 } },
    y: { field: "row", type: "ordinal", sort: input.rowOrder, axis: { title: input.yTitle } },
  };
  return {
    title: input.title,
    width: Math.max(120, 70 * input.colOrder.length),
    height: Math.max(40, 32 * input.rowOrder.length),
    data: { values },
    layer: [
      {
        mark: { type: "rect" },
        encoding: { ...enc, color: { field: "value", type: "quantitative", scale: { scheme: "oranges" }, legend: { title: "s" } }, description: { field: "tip" } },
      },
      { mark: { type: "text" }, encoding: { ...enc, text: { field: "label" } } },
    ],
  } as unknown as TopLevelSpec;
}

/** Per cell: the median and p90 with their bootstrap intervals, over the model's window. */
export function intervalsSpec(input: {
  title: string;
  rows: readonly { cell: string; stat: "median" | "p90"; estimate: number; lo: number; hi: number; tip: string }[];
  windows: readonly { cell: string; min: number; max: number; expected: number }[];
  cellOrder: readonly string[];
}): TopLevelSpec {
  const y = { field: "cell", type: "nominal", sort: input.cellOrder, axis: { title: null } };
  return {
    title: input.title,
    width: 480,
    height: 30 * input.cellOrder.length,
    layer: [
      {
        data: { values: input.windows },
        mark: { type: "bar", color: BAND_COLORS.model, opacity: 0.15, height: { band: 0.8 } },
        encoding: { y, x: { field: "min", type: "quantitative", axis: { title: "time to new scheduler, s (band: §6 window)" } }, x2: { field: "max" } },
      },
      { data: { values: input.windows }, mark: { type: "tick", color: BAND_COLORS.model, thickness: 1 }, encoding: { y, x: { field: "expected", type: "quantitative" } } },
      {
        data: { values: input.rows },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          y,
          yOffset: { field: "stat", type: "nominal" },
          x: { field: "lo", type: "quantitative" },
          x2: { field: "hi" },
          color: { field: "stat", type: "nominal", scale: { domain: ["median", "p90"], range: [MARKER_COLOR, VERDICT_COLORS.fail] }, legend: { title: "95 % bootstrap interval of" } },
          description: { field: "tip" },
        },
      },
      {
        data: { values: input.rows },
        mark: { type: "point", filled: true, size: 40 },
        encoding: { y, yOffset: { field: "stat", type: "nominal" }, x: { field: "estimate", type: "quantitative" }, color: { field: "stat", type: "nominal", scale: { domain: ["median", "p90"], range: [MARKER_COLOR, VERDICT_COLORS.fail] }, legend: { title: "95 % bootstrap interval of" } }, description: { field: "tip" } },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** Observed mean per cell against the fitted value and the §6 model's expected value, with y = x. */
export function fittedSpec(input: { title: string; points: readonly { cell: string; kind: "fitted (linear model)" | "§6 model expectation"; predicted: number; observed: number }[] }): TopLevelSpec {
  const all = input.points.flatMap((p) => [p.predicted, p.observed]);
  const lo = Math.min(...all, 0);
  const hi = Math.max(...all, 1) * 1.05;
  return {
    title: input.title,
    width: 320,
    height: 320,
    layer: [
      { data: { values: [{ a: lo, b: hi }] }, mark: { type: "rule", color: "#999", strokeDash: [4, 3] }, encoding: { x: { field: "a", type: "quantitative" }, y: { field: "a", type: "quantitative" }, x2: { field: "b" }, y2: { field: "b" } } },
      {
        data: { values: input.points.map((p) => ({ ...p, tip: `${p.cell}: ${p.kind} ${p.predicted.toFixed(2)} s, observed mean ${p.observed.toFixed(2)} s` })) },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x: { field: "predicted", type: "quantitative", scale: { domain: [lo, hi] }, axis: { title: "predicted, s" } },
          y: { field: "observed", type: "quantitative", scale: { domain: [lo, hi] }, axis: { title: "observed mean, s" } },
          color: { field: "kind", type: "nominal", scale: { domain: ["fitted (linear model)", "§6 model expectation"], range: [MARKER_COLOR, BAND_COLORS.model] }, legend: { title: null } },
          shape: { field: "kind", type: "nominal", legend: { title: null } },
          description: { field: "tip" },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** False-failover rate per lease setting with its Wilson interval, and the target as a rule. */
export function falseFailoverSpec(input: { title: string; rows: readonly { cell: string; rate: number; lo: number; hi: number; tip: string }[]; target: number }): TopLevelSpec {
  const y = { field: "cell", type: "nominal", axis: { title: null } };
  return {
    title: input.title,
    width: 420,
    height: 30 * input.rows.length,
    layer: [
      { data: { values: input.rows }, mark: { type: "rule", strokeWidth: 2, color: VERDICT_COLORS.fail }, encoding: { y, x: { field: "lo", type: "quantitative", scale: { domain: [0, 1] }, axis: { title: "false-failover rate (Wilson 95 %)", format: ".0%" } }, x2: { field: "hi" }, description: { field: "tip" } } },
      { data: { values: input.rows }, mark: { type: "point", filled: true, size: 50, color: VERDICT_COLORS.fail }, encoding: { y, x: { field: "rate", type: "quantitative" }, description: { field: "tip" } } },
      { data: { values: [{ target: input.target }] }, mark: { type: "rule", strokeDash: [4, 3], color: "#333" }, encoding: { x: { field: "target", type: "quantitative" } } },
    ],
  } as unknown as TopLevelSpec;
}
