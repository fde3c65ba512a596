/**
 * The docs the reports link to say what the code does: docs/MEASURES.md has a section per measure
 * the code reports (and none for one it does not), docs/MODEL.md one per failover case and a word
 * for every term the windows produce; and the repository's docs point at nothing outside it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MEASURE_NAMES } from "../measures/measures.js";
import { PROJECT_ROOT } from "../paths.js";
import {
  coldNodeDeathWindow,
  coldSchedulerRestartWindow,
  hotStandbyWindow,
  partitionEtcdWindow,
  pauseLeaderWindow,
  type FailoverCase,
  type ModelWindow,
} from "../timing-oracle/windows.js";
import { headingAnchor } from "./html.js";

const doc = (name: string) => readFileSync(path.join(PROJECT_ROOT, name), "utf8");
const headings = (md: string) => [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim());

describe("docs/MEASURES.md", () => {
  it("has one section per measure of result.json, in the code's order, and none for a measure the code lacks", () => {
    const sections = headings(doc("docs/MEASURES.md")).filter((h) => h !== "Other fields");
    expect(sections).toEqual([...MEASURE_NAMES]);
  });

  it("the report's links land on its sections: the anchors GitHub gives those headings", () => {
    expect(headingAnchor("phases.leaseExpiredMs")).toBe("phasesleaseexpiredms");
    expect(headingAnchor("timeToNewSchedulerMs")).toBe("timetonewschedulerms");
    expect(headingAnchor("cold-node-death")).toBe("cold-node-death");
  });
});

describe("docs/MODEL.md", () => {
  const md = doc("docs/MODEL.md");
  const CASES = ["cold-node-death", "cold-scheduler-restart", "hot-standby", "pause-leader", "partition-etcd"] as const satisfies readonly FailoverCase[];

  it("has a section per failover case", () => {
    for (const c of CASES) expect(headings(md)).toContain(c);
  });

  it("names every term the windows produce, and the flag of every timer", () => {
    const windows: ModelWindow[] = [
      coldNodeDeathWindow(),
      coldSchedulerRestartWindow({}, undefined, 2),
      hotStandbyWindow(),
      pauseLeaderWindow("cold-standby", 60_000),
      pauseLeaderWindow("hot-standby", 60_000),
      partitionEtcdWindow("cold-standby", 90_000),
    ];
    const terms = new Set(windows.flatMap((w) => [...Object.keys(w.terms), ...Object.keys((w as { overlap?: { terms: object } }).overlap?.terms ?? {})]));
    expect(terms.size).toBeGreaterThan(8);
    for (const t of terms) expect(md, `docs/MODEL.md does not name the term ${t}`).toContain(`\`${t}\``);
    for (const flag of ["--ttl-secs", "--sleep", "--file-check-frequency", "--sync-frequency", "K8SM_HA_TTL_SECS", "K8SM_HA_PERIOD_SECS"]) expect(md).toContain(flag);
  });
});

describe("the repository's docs", () => {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md", "docs/"], { cwd: PROJECT_ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f.endsWith(".md"));

  it("point at nothing outside the repository: no ../shared, no issue numbers or notes a reader does not have", () => {
    expect(files).toContain("README.md");
    const offenders = files.flatMap((f) => {
      const text = doc(f);
      return [/\.\.\/shared\//, /\bissue notes\b/i, /\bissues? \d+\b/i].filter((re) => re.test(text)).map((re) => `${f}: ${re}`);
    });
    expect(offenders).toEqual([]);
  });

  it("the README's --set table names every --set key, and its scenario example is a valid scenario", async () => {
    const readme = doc("README.md");
    const { setKeysHelp, applySetOverrides, profileSpec } = await import("../topology/spec.js");
    const { defineScenario } = await import("../runner/types.js");
    for (const line of setKeysHelp().filter((l) => !l.startsWith("bug."))) {
      const key = line.slice(0, line.indexOf("="));
      expect(readme, `README's --set table lacks ${key}`).toContain(`| \`${key.replace(/<(etcd\|[^>]*|i)>/, (m) => (m === "<i>" ? "<i>" : "<part>"))}\``);
    }
    const literal = readme.match(/export default defineScenario\((\{[\s\S]*?\n\})\);/)?.[1];
    expect(literal).toBeDefined();
    const scenario = defineScenario(new Function(`return (${literal});`)() as Parameters<typeof defineScenario>[0]);
    expect(() => applySetOverrides(profileSpec("fast"), scenario.topology)).not.toThrow();
  });

  it("the README shows a report (its screenshot is in docs/) and links the docs the report links", () => {
    const readme = doc("README.md");
    const png = readme.match(/!\[[^\]]*\]\((docs\/[\w.-]+\.png)\)/)?.[1];
    expect(png).toBeDefined();
    expect(() => readFileSync(path.join(PROJECT_ROOT, png!))).not.toThrow();
    for (const d of ["docs/MEASURES.md", "docs/MODEL.md", "docs/RUN.md"]) expect(readme).toContain(d);
  });
});
