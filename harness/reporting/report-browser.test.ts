/**
 * report.html and the run indexes in a real browser: Debian's Chromium (installed by `npm run setup`)
 * driven headless by playwright-core, on reports that writeReports builds from the sample histories
 * (no Docker engine needed). Fails on any console error or failed load, on a missing element (the
 * verdict in the title, one timeline and one API chart per trial, labelled markers, the model band),
 * on a label cut off by its chart or overlapping another, and on a link that leads nowhere. Saves
 * screenshots next to the reports it checks: build/report-browser/.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../paths.js";
import { whichCommand } from "../setup/engine.js";
import { sampleRunResult } from "../testing/sample-run.js";
import { writeReports } from "./write.js";

const OUT = path.join(PROJECT_ROOT, "build", "report-browser");
const TRIALS = 3;

let browser: Browser | undefined;
let runDir: string;

/** The browser, or a failure of the test that says how to get Chromium: these tests never skip. */
function ready(): Browser {
  if (!browser) throw new Error("Chromium is not installed: run `npm run setup` (it installs Debian's chromium package), then run this test again");
  return browser;
}

/** Opens `file` and returns the page with every console error and failed load it reported. */
async function open(file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await ready().newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed to load ${r.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, problems };
}

/** Every link of the page leads somewhere: an anchor to an element of the page, or a file or folder that exists. */
async function brokenLinks(page: Page): Promise<string[]> {
  const links = await page.$$eval("a[href]", (as) => as.map((a) => ({ href: a.getAttribute("href")!, url: (a as unknown as { href: string }).href })));
  expect(links.length).toBeGreaterThan(0);
  const broken: string[] = [];
  for (const { href, url } of links) {
    if (href.startsWith("#")) {
      if (!(await page.$(`[id="${href.slice(1)}"]`))) broken.push(href);
    } else if (!url.startsWith("file:") || !existsSync(fileURLToPath(url.split("#")[0]!))) {
      broken.push(href);
    }
  }
  return broken;
}

/** Texts of every chart that stick out of their chart, and chart texts that overlap another text of the same chart. */
async function labelProblems(page: Page): Promise<string[]> {
  return page.$$eval("svg[data-chart]", (svgs) =>
    svgs.flatMap((svg) => {
      const box = svg.getBoundingClientRect();
      const id = `${svg.getAttribute("data-chart")}${svg.getAttribute("data-trial") ? ` ${svg.getAttribute("data-trial")}` : ""}`;
      const texts = [...svg.querySelectorAll("text")].filter((t) => (t.textContent ?? "").trim() && !t.closest("title"));
      const rects = texts.map((t) => ({ t: t.textContent!, r: t.getBoundingClientRect(), axis: !!t.closest(".role-axis-label") }));
      const out = rects.filter(({ r }) => r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5).map(({ t }) => `${id}: "${t}" cut off`);
      // Marker labels (the blue events, the band labels) must not overlap one another.
      const markers = [...svg.querySelectorAll(".marker_labels_marks text")].map((t) => ({ t: t.textContent!, r: t.getBoundingClientRect() }));
      for (let i = 0; i < markers.length; i++) {
        for (let j = i + 1; j < markers.length; j++) {
          const [a, b] = [markers[i]!.r, markers[j]!.r];
          if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push(`${id}: "${markers[i]!.t}" overlaps "${markers[j]!.t}"`);
        }
      }
      return out;
    }),
  );
}

beforeAll(async () => {
  await rm(OUT, { recursive: true, force: true });
  // Two runs of one scenario and one of another: the indexes have something to list.
  await writeReports(OUT, sampleRunResult({ trials: 1, runId: "20261125-180000-aa01" }));
  await writeReports(OUT, sampleRunResult({ trials: 2, runId: "20261125-183000-bb02", scenario: "pause-leader" }));
  runDir = (await writeReports(OUT, sampleRunResult({ trials: TRIALS }), { logs: { "k8sm-20261125-193000-ab12-master-1": "I1125 master-1 up\n" } })).runDir;
  const executablePath = whichCommand("chromium") ?? whichCommand("chromium-browser");
  // As root (CI, these machines) Chromium needs --no-sandbox.
  if (executablePath) browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("report.html in Chromium", () => {
  it("shows the verdict, one timeline and one API chart per trial with labelled markers and the model band; no error, nothing cut off, every link works", async () => {
    const { page, problems } = await open(path.join(runDir, "report.html"));
    try {
      expect(await page.title()).toMatch(/^FAIL kill-leader 20261125-193000-ab12/);
      expect(await page.textContent("h1 [data-verdict]")).toBe("FAIL");
      for (let k = 0; k < TRIALS; k++) {
        const timeline = page.locator(`svg[data-chart="timeline"][data-trial="${k}"]`);
        await expect(timeline.count()).resolves.toBe(1);
        expect(await timeline.isVisible()).toBe(true);
        const markers = await timeline.locator(".marker_labels_marks text").allTextContents();
        expect(markers.filter((m) => /^(lease expired|new leader|scheduler up|new scheduler|first pod running|pods recovered) \+\d+\.\d s$/.test(m)).length).toBeGreaterThanOrEqual(4);
        expect(await timeline.locator(".marker_rules_marks line").count()).toBe(markers.length);
        // The model window: its own lane, a band across the lanes, its label.
        expect(await timeline.locator(".role-axis-label text", { hasText: "model: new scheduler" }).count()).toBe(1);
        expect(await timeline.locator(".band_lanes_marks path").count()).toBe(2);
        expect(await timeline.locator(".bands_marks path").count()).toBe(2);
        expect(await timeline.locator("text", { hasText: /^model cold-node-death \[10\.0, 62\.6\] s/ }).count()).toBe(1);
        expect(await timeline.locator(".role-legend").count()).toBe(3);
        const api = page.locator(`svg[data-chart="api"][data-trial="${k}"]`);
        expect(await api.locator(".api_latency_marks path").count()).toBeGreaterThanOrEqual(1);
        expect(await api.locator(".api_requests_marks path").count()).toBeGreaterThan(10);
        expect(await api.locator(".bands_marks path").count()).toBe(2);
      }
      expect(await page.locator('svg[data-chart="timeline"]').count()).toBe(TRIALS);
      expect(await page.locator('svg[data-chart^="measure-"]').count()).toBeGreaterThan(5);
      expect(await page.locator('svg[data-chart="ecdf-timeToNewSchedulerMs"]').count()).toBe(1);
      // The table of contents leads to each trial.
      expect(await page.locator("table.toc a[href^='#trial-']").count()).toBe(TRIALS);
      expect(await brokenLinks(page)).toEqual([]);
      expect(await labelProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(runDir, "report.png"), fullPage: true });
      await page.locator("#trial-0").screenshot({ path: path.join(runDir, "report-trial-0.png") });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("the run indexes list every run with its verdict and link, and every link works", async () => {
    for (const [file, runs] of [
      [path.join(OUT, "index.html"), 3],
      [path.join(OUT, "kill-leader", "index.html"), 2],
    ] as const) {
      const { page, problems } = await open(file);
      try {
        expect(await page.locator("tr[data-run]").count()).toBe(runs);
        expect(await page.locator("tr[data-run='20261125-193000-ab12'] [data-verdict]").textContent()).toBe("FAIL");
        expect(await brokenLinks(page)).toEqual([]);
        await page.screenshot({ path: file.replace(/\.html$/, ".png"), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    }
  });
});
