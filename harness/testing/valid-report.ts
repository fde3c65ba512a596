/**
 * Test helper: a run's written reports conform to docs/result.schema.json. Every harness test that
 * reads a written result.json goes through it (scenarios/ use `validateRunReport` from the index).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import type { RunResult } from "../reporting/result.js";
import { validateRunReport } from "../reporting/schema.js";

/** Validates `<runDir>/result.json` and `history.ndjson`; returns the parsed result. */
export async function expectValidRunReport(runDir: string): Promise<RunResult> {
  expect(await validateRunReport(runDir), `${runDir} against docs/result.schema.json`).toEqual([]);
  return JSON.parse(await readFile(path.join(runDir, "result.json"), "utf8")) as RunResult;
}
