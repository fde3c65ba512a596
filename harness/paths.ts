/** Where the harness finds the repository: the one definition of the project root. */
import path from "node:path";

/** The repository root, without a trailing separator (this file is harness/paths.ts). */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, "..");
