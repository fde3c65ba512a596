/**
 * Checks written reports against docs/result.schema.json (JSON Schema 2020-12) with ajv, so a
 * field that drifts from the documented format fails a test instead of a reader. Only tests call
 * it (ajv is a devDependency), so ajv is loaded on the first call, not when the public index is
 * imported by every run.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { PROJECT_ROOT } from "../paths.js";

export const RESULT_SCHEMA_FILE = path.join(PROJECT_ROOT, "docs", "result.schema.json");

interface Validators {
  result: ValidateFunction;
  historyLine: ValidateFunction;
}

let validators: Validators | undefined;

function compile(): Validators {
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
  const schema = JSON.parse(readFileSync(RESULT_SCHEMA_FILE, "utf8")) as { $id: string };
  // strict: an unknown keyword or a misspelt one in the schema is an error, not silently ignored.
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addSchema(schema);
  return {
    result: ajv.getSchema(schema.$id)!,
    historyLine: ajv.getSchema(`${schema.$id}#/$defs/historyLine`)!,
  };
}

/** `<path>: <problem>` per error, e.g. `/trials/0/fault/offsetMs: must be number`. */
function errorLines(errors: readonly ErrorObject[] | null | undefined): string[] {
  // `must match "then" schema` only repeats the errors inside the branch.
  return (errors ?? []).filter((e) => e.keyword !== "if").map((e) => {
    const extra = e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties"
      ? ` (${JSON.stringify((e.params as { additionalProperty?: string; unevaluatedProperty?: string }).additionalProperty ?? (e.params as { unevaluatedProperty?: string }).unevaluatedProperty)})`
      : e.keyword === "enum" || e.keyword === "const" ? ` (${JSON.stringify(e.params)})` : "";
    return `${e.instancePath || "/"}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** The ways a parsed result.json breaks docs/result.schema.json; empty when it conforms. */
export function validateRunResult(json: unknown): string[] {
  validators ??= compile();
  return validators.result(json) ? [] : errorLines(validators.result.errors);
}

/** The same for history.ndjson: one message per bad line, prefixed with its line number. */
export function validateHistoryNdjson(text: string): string[] {
  validators ??= compile();
  const v = validators;
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      out.push(`line ${i + 1}: not JSON`);
      return;
    }
    if (!v.historyLine(json)) out.push(...errorLines(v.historyLine.errors).map((e) => `line ${i + 1} ${e}`));
  });
  return out;
}

/**
 * A written run's `result.json` and `history.ndjson` checked against the schema: one message per
 * problem, prefixed with the file; empty when both conform.
 */
export async function validateRunReport(runDir: string): Promise<string[]> {
  const problems: string[] = [];
  const read = (name: string) => readFile(path.join(runDir, name), "utf8").catch((err: unknown) => {
    problems.push(`${name}: cannot read: ${(err as Error).message}`);
    return undefined;
  });
  const [result, history] = await Promise.all([read("result.json"), read("history.ndjson")]);
  if (result !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(result);
    } catch {
      problems.push("result.json: not JSON");
    }
    if (json !== undefined) problems.push(...validateRunResult(json).map((e) => `result.json ${e}`));
  }
  if (history !== undefined) problems.push(...validateHistoryNdjson(history).map((e) => `history.ndjson ${e}`));
  return problems;
}
