import { cp, mkdir, readdir, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { HarnessError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import { tempName, writeAtomic } from "./atomic.js";
import { renderReportHtml } from "./html.js";
import type { RunResult } from "./result.js";
import { writeRunIndexes } from "./run-index.js";
import { renderHistoryNdjson, renderJunit, renderResultJson, renderSummaryMd } from "./text.js";

/** `<outRoot>/<scenario>/<runId>`. */
export function runDirFor(outRoot: string, r: Pick<RunResult, "scenario" | "runId">): string {
  return path.join(outRoot, r.scenario, r.runId);
}

export interface WrittenReports {
  runDir: string;
  /** Paths written. */
  files: string[];
  /** `symlink`, or `copy` where the file system refused a symlink. */
  latest: "symlink" | "copy";
}

/**
 * Writes every report of a run into `<outRoot>/<scenario>/<runId>/` and points
 * `<outRoot>/<scenario>/latest` at it. Every file is attempted even when one fails (the run may be
 * failing already: reports are written anyway); afterwards any failure throws `E_REPORT` naming them.
 * `logs` (container → text) go to `logs/<container>.log`.
 *
 * Never a partial report, whenever the process dies (SIGKILL) or a write fails (a full disk): each
 * file is written under a temporary name and renamed into place, so it is whole or absent;
 * `result.json` comes last and only after every other file was written, so a folder with one is
 * complete; `latest` moves (by a rename as well) only to such a folder.
 */
export async function writeReports(outRoot: string, r: RunResult, opts: { logs?: Record<string, string> } = {}): Promise<WrittenReports> {
  const runDir = runDirFor(outRoot, r);
  await mkdir(path.join(runDir, "logs"), { recursive: true }).catch((err: unknown) => {
    throw new HarnessError("E_REPORT", `cannot create the report directory ${runDir}: ${(err as Error).message}`, "Check --out and free disk space.", { cause: err });
  });
  // The report links every container log: those the engine wrote during the run, and those given here.
  const logFiles = new Set([...(await readdir(path.join(runDir, "logs")).catch(() => [])), ...Object.keys(opts.logs ?? {}).map((c) => `${safeName(c)}.log`)]);
  const logNames = [...logFiles].sort().map((f) => `logs/${f}`);
  const docsHref = path.relative(runDir, path.join(PROJECT_ROOT, "docs")).split(path.sep).join("/");
  const renderers: [string, () => string | Promise<string>][] = [
    ["summary.md", () => renderSummaryMd(r)],
    ["junit.xml", () => renderJunit(r)],
    ["history.ndjson", () => renderHistoryNdjson(r)],
    ["report.html", () => renderReportHtml(r, { logs: logNames, docsHref })],
    ...Object.entries(opts.logs ?? {}).map(([c, text]): [string, () => string] => [path.join("logs", `${safeName(c)}.log`), () => text]),
    ["result.json", () => renderResultJson(r)],
  ];
  const files: string[] = [];
  const failures: string[] = [];
  for (const [name, render] of renderers) {
    const file = path.join(runDir, name);
    // result.json marks a complete report: not written when another file could not be.
    if (name === "result.json" && failures.length) {
      failures.push("result.json: not written, since the report is not complete without the files above");
      break;
    }
    try {
      await writeAtomic(file, await render());
      files.push(file);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  }
  let latest: WrittenReports["latest"] = "symlink";
  const link = path.join(outRoot, r.scenario, "latest");
  if (failures.length === 0) {
    const staged = tempName(link);
    try {
      try {
        await symlink(r.runId, staged, "dir");
      } catch {
        latest = "copy";
        await cp(runDir, staged, { recursive: true });
      }
      await replace(staged, link);
    } catch (err) {
      await rm(staged, { recursive: true, force: true }).catch(() => {});
      failures.push(`latest: ${(err as Error).message}`);
    }
  }
  // The run indexes (<outRoot>/<scenario>/index.html, <outRoot>/index.html) list this run from now on.
  await writeRunIndexes(outRoot, r.scenario).catch((err: unknown) => failures.push(`index.html: ${(err as Error).message}`));
  if (failures.length) {
    throw new HarnessError("E_REPORT", `could not write ${failures.length} report file(s) in ${runDir}: ${failures.join("; ")}`, "Check disk space and permissions of the --out directory.");
  }
  return { runDir, files, latest };
}

/**
 * Renames `from` over `to`. A rename replaces a file or a symlink at once; a directory in the way
 * (`latest` copied where symlinks are refused) is removed first.
 */
async function replace(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOTDIR") throw err;
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
  }
}

function safeName(container: string): string {
  return container.replace(/[^A-Za-z0-9_.-]/g, "_");
}
