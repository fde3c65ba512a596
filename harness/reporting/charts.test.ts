import { describe, expect, it } from "vitest";
import { ecdfSpec, laneLabelWidth, lanesSpec, renderChart, stackLabels, textWidth } from "./charts.js";

describe("charts", () => {
  it("stackLabels puts labels that would touch into separate rows, and keeps apart ones in the first", () => {
    const placed = stackLabels([
      { px: 0, label: "lease expired +23.0 s" },
      { px: 40, label: "new leader +26.0 s" },
      { px: 500, label: "new scheduler +40.0 s" },
      { px: 60, label: "scheduler up" },
    ]);
    const row = (l: string) => placed.find((p) => p.label === l)!.row;
    expect(row("lease expired +23.0 s")).toBe(0);
    expect(row("new leader +26.0 s")).toBe(1);
    expect(row("scheduler up")).toBe(2);
    expect(row("new scheduler +40.0 s")).toBe(0);
    for (const a of placed) {
      for (const b of placed) {
        if (a !== b && a.row === b.row) expect(a.px + textWidth(a.label) <= b.px || b.px + textWidth(b.label) <= a.px).toBe(true);
      }
    }
  });

  it("estimates text widths per character (narrow i and l, wide m and W), as a sans-serif font sets them", () => {
    expect(textWidth("iiii")).toBeLessThan(textWidth("mmmm") / 2);
    expect(textWidth("pod kube-system/kube-scheduler-master-1")).toBeGreaterThan(200);
    expect(textWidth("pod kube-system/kube-scheduler-master-1")).toBeLessThan(280);
    expect(laneLabelWidth(["a", "pod default/web-1"])).toBe(Math.ceil(textWidth("pod default/web-1") + 10));
  });

  it("renders inline SVG with no URL, its identity on the root, and a hover title per described mark", async () => {
    const svg = await renderChart(ecdfSpec({ title: "t", xTitle: "s", values: [1, 2, 3], band: { from: 0.5, to: 2.5, mark: 1.5, label: "model", color: "#2e7d32" } }), {
      id: "ecdf-x",
      label: "an ECDF",
      data: { trial: "2" },
    });
    expect(svg).toMatch(/^<svg data-chart="ecdf-x" data-trial="2" role="img" aria-label="an ECDF"/);
    expect(svg).not.toMatch(/https?:|xmlns/);
    expect(svg.match(/<title>\d\.00: \d of 3<\/title>/g)).toHaveLength(3);
    expect(svg).toContain(">model</text>");
  });

  it("a lane chart draws a band with a lane as its own labelled bar, and only labels that fit in their bars", async () => {
    const svg = await renderChart(
      lanesSpec({
        lanes: ["etcd /scheduler"],
        segments: [
          { lane: "etcd /scheduler", from: -1, to: 20, label: "master-1 (10.0.0.11)", group: "holder", category: "master-1" },
          { lane: "etcd /scheduler", from: 20, to: 20.2, label: "master-2 (10.0.0.12)", group: "holder", category: "master-2" },
        ],
        palettes: { holder: { title: "holder", colors: { "master-1": "#1f77b4", "master-2": "#ff7f0e", unused: "#000000" } } },
        domain: [-1, 30],
        xTitle: "seconds since the fault",
        bands: [{ from: 0, to: 10, label: "kill-leader → master-1", color: "#e53935", lane: "fault in force" }],
        markers: [{ x: 5, label: "lease expired +5.0 s", color: "#1565c0" }],
      }),
      { id: "timeline", label: "t" },
    );
    expect(svg).toContain(">master-1 (10.0.0.11)</text>");
    expect(svg).not.toContain(">master-2 (10.0.0.12)</text>");
    expect(svg).toContain(">kill-leader → master-1</text>");
    expect(svg).toContain(">fault in force</text>");
    expect(svg).toContain(">lease expired +5.0 s</text>");
    // The legend lists the categories drawn, not the whole palette.
    expect(svg).toContain(">master-2</text>");
    expect(svg).not.toContain(">unused</text>");
  });
});
