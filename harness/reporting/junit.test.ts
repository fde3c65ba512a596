/**
 * junit.xml against Jenkins' JUnit schema (docs/junit-jenkins.xsd), validated by libxml2's own XSD
 * validator compiled to WebAssembly (xmllint-wasm): the same engine as Debian's `xmllint --schema`,
 * installed by `npm ci` with no native build and no system package, so this runs in the unit tier
 * on any machine. Besides the schema: what CI reads from it (verdicts, times, properties, names).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { PROJECT_ROOT } from "../paths.js";
import { sampleRunResult } from "../testing/sample-run.js";
import type { RunResult } from "./result.js";
import { judgedDurationMs, renderJunit, trialDurationMs } from "./text.js";

const XSD = readFileSync(path.join(PROJECT_ROOT, "docs", "junit-jenkins.xsd"), "utf8");

async function schemaErrors(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: [{ fileName: "junit.xml", contents: xml }], schema: [{ fileName: "junit-jenkins.xsd", contents: XSD }] });
  return r.valid ? [] : r.errors.map((e) => e.message);
}

interface Case {
  "@_classname": string;
  "@_name": string;
  "@_time": string;
  failure?: { "@_message": string };
  error?: { "@_message": string; "@_type": string };
  skipped?: unknown;
}
interface Suite {
  "@_name": string;
  "@_time": string;
  "@_errors": string;
  "@_failures": string;
  properties: { property: { "@_name": string; "@_value": string }[] };
  testcase: Case[];
}

function parse(xml: string): { suites: Suite[]; root: Record<string, string> } {
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ["testsuite", "testcase", "property"].includes(n) }).parse(xml);
  return { suites: doc.testsuites.testsuite as Suite[], root: doc.testsuites };
}

/** A clean trial, one too fast, one with two schedulers; trial 0's checks made unknown in `withUnknown`. */
function withUnknown(): RunResult {
  const r = sampleRunResult({ trials: 3 });
  const t = r.trials[0]!;
  t.checks = t.checks.map((c, i) => (i === 1 ? { ...c, verdict: "unknown", message: "no active framework before the fault" } : c));
  t.verdict = "unknown";
  return r;
}

describe("junit.xml", () => {
  it("is valid against Jenkins' JUnit schema in every shape: pass, fail, unknown, harness error, odd text", async () => {
    const weird = sampleRunResult({ trials: 1 });
    weird.trials[0]!.checks.push({ name: "odd <name> & \"quotes\"", verdict: "fail", message: "bad \u0001 <x> & 'y' ]]>", details: { s: "</failure>" } });
    const shapes = [
      sampleRunResult({ trials: 3 }),
      withUnknown(),
      weird,
      { ...weird, status: "failed" as const, error: { code: "E_SETUP", message: "docker <gone>", hint: "start it" } },
      { ...sampleRunResult({ trials: 1 }), trials: [], status: "interrupted" as const },
    ];
    for (const r of shapes) expect(await schemaErrors(renderJunit(r))).toEqual([]);
  });

  it("the validator rejects what the schema forbids: <skipped> with a message, a testcase without a name", async () => {
    const xml = renderJunit(sampleRunResult({ trials: 1 }));
    const skippedWithMessage = xml.replace(/(<testcase [^>]*>)/, '$1\n      <skipped message="no baseline"/>');
    expect((await schemaErrors(skippedWithMessage)).join("\n")).toMatch(/skipped/);
    expect((await schemaErrors(xml.replace(/ name="healthy-baseline"/, ""))).join("\n")).toMatch(/name/);
  });

  it("an unknown verdict is an error, never skipped: CI must not show a run that exits 1 as green", () => {
    const xml = renderJunit(withUnknown());
    const { suites, root } = parse(xml);
    expect(xml).not.toContain("<skipped");
    const unknown = suites[0]!.testcase[1]!;
    expect(unknown.error).toMatchObject({ "@_type": "verdict-unknown", "@_message": "verdict unknown: no active framework before the fault" });
    expect(suites[0]!["@_errors"]).toBe("1");
    expect(root["@_errors"]).toBe("1");
    expect(root["@_failures"]).toBe("2");
  });

  it("cases and suites carry real times: the trial's wall time, and the part a check judges", () => {
    const r = sampleRunResult({ trials: 3 });
    const { suites, root } = parse(renderJunit(r));
    for (const [k, s] of suites.entries()) {
      const t = r.trials[k]!;
      expect(Number(s["@_time"])).toBeCloseTo(trialDurationMs(t) / 1000, 3);
      expect(Number(s["@_time"])).toBeGreaterThan(10);
      for (const c of s.testcase) expect(Number(c["@_time"])).toBeCloseTo(judgedDurationMs(t) / 1000, 3);
    }
    // Judged: up to converge (60 s in the sample), not the trial's end.
    expect(judgedDurationMs(r.trials[0]!)).toBe(60_000);
    expect(Number(root["@_time"])).toBeCloseTo(r.trials.reduce((a, t) => a + trialDurationMs(t), 0) / 1000, 3);
  });

  it("each suite has the run's properties (run id, seed, profile, images, commit) and its trial's", () => {
    const { suites } = parse(renderJunit(sampleRunResult({ trials: 2 })));
    const props = Object.fromEntries(suites[1]!.properties.property.map((p) => [p["@_name"], p["@_value"]]));
    expect(props).toMatchObject({
      "run-id": "20261125-193000-ab12",
      seed: "42",
      profile: "fast",
      commit: "0123456789ab",
      "image.master-1": "k8sm-harness/k8sm:340d2f0e3c4d",
      "image.etcd-0": "k8sm-harness/base:514d0c7e9a1b",
      trial: "1",
      "fault-targets": "master-1",
      rerun: "npm run scenario -- kill-leader --profile fast --repeat 3 --seed 42",
    });
  });

  it("classname and name are the same in every trial of --repeat (and every run): CI follows one check over time", () => {
    const { suites } = parse(renderJunit(sampleRunResult({ trials: 3 })));
    const ids = suites.map((s) => s.testcase.map((c) => `${c["@_classname"]}.${c["@_name"]}`));
    expect(new Set(ids.map((x) => x.join())).size).toBe(1);
    expect(ids[0]).toContain("kill-leader.timing-oracle");
    expect(new Set(suites.map((s) => s["@_name"])).size).toBe(3);
  });
});
