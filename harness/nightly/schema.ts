/**
 * Checks a nightly.json against docs/nightly.schema.json (JSON Schema 2020-12) with ajv, as
 * harness/reporting/schema.ts does for result.json. Only tests call it (ajv is a devDependency):
 * ajv is loaded on the first call.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { PROJECT_ROOT } from "../paths.js";

export const NIGHTLY_SCHEMA_FILE = path.join(PROJECT_ROOT, "docs", "nightly.schema.json");

let validate: ValidateFunction | undefined;

/** The ways a parsed nightly.json breaks the schema (`<path>: <problem>`); empty when it conforms. */
export function validateNightlyJson(json: unknown): string[] {
  if (!validate) {
    const require = createRequire(import.meta.url);
    const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
    const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(NIGHTLY_SCHEMA_FILE, "utf8")) as object);
  }
  if (validate(json)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? ` (${JSON.stringify((e.params as { additionalProperty?: string }).additionalProperty)})` : ""}`);
}
