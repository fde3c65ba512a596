/**
 * A whole night, from validated input to files on disk: run and judge (run-nightly.ts), then the
 * night's reports, the baseline when asked (`--update-baseline`), the trend line and trend.html.
 * Written on every path that got as far as running, Ctrl-C included (the report then says
 * `interrupted` and holds what finished). The CLI (harness/cli/nightly.ts) parses and prints; the
 * unit tests call this with a fake engine.
 */
import path from "node:path";
import { HarnessError } from "../errors.js";
import { baselineFrom, writeBaseline, type Baseline } from "./baseline.js";
import { writeNightlyReports } from "./report.js";
import { runNightly, type NightlyDeps, type NightlyOptions } from "./run-nightly.js";
import { appendTrend, trendLine, writeTrendHtml } from "./trend.js";
import type { NightlyResult } from "./types.js";

export interface NightlyFiles {
  /** The trend file to append to. */
  readonly trendFile: string;
  /** trend.html (normally beside the nights: `reports/nightly/trend.html`). */
  readonly trendHtml: string;
  /** Where `--update-baseline` writes; null: no update. */
  readonly updateBaseline: string | null;
  /** The baseline the update merges into (its entries for scenarios that did not pass tonight are kept). */
  readonly previousBaseline: Baseline | null;
}

export interface NightlyOutcome {
  readonly result: NightlyResult;
  readonly dir: string;
  /** Reports, trend or baseline that could not be written (what was written stands). */
  readonly writeErrors: readonly string[];
}

export async function nightly(o: NightlyOptions, files: NightlyFiles, deps: NightlyDeps): Promise<NightlyOutcome> {
  let result = await runNightly(o, deps);
  const writeErrors: string[] = [];
  if (files.updateBaseline && result.status === "completed") {
    const b = baselineFrom(result, files.previousBaseline);
    try {
      await writeBaseline(files.updateBaseline, b);
      result = { ...result, baselineWritten: files.updateBaseline };
      deps.progress(`baseline written: ${files.updateBaseline} (${Object.keys(b.scenarios).length} scenario(s))`);
    } catch (err) {
      writeErrors.push(`baseline ${files.updateBaseline}: ${(err as Error).message}`);
    }
  }
  try {
    await writeNightlyReports(o.dir, result);
  } catch (err) {
    writeErrors.push(`reports in ${o.dir}: ${(err as Error).message}`);
  }
  if (result.status === "completed") {
    try {
      const lines = await appendTrend(files.trendFile, trendLine(result, o.baseline));
      await writeTrendHtml(files.trendHtml, lines, result.profile);
    } catch (err) {
      writeErrors.push(`trend ${files.trendFile}: ${(err as Error).message}`);
    }
  }
  return { result, dir: o.dir, writeErrors };
}

/** A write error as the CLI reports it (exit 2 when the night itself passed). */
export function writeError(errors: readonly string[], dir: string): HarnessError {
  return new HarnessError("E_REPORT", `could not write: ${errors.join("; ")}`, `check free disk space and permissions under ${path.dirname(dir)}`);
}
