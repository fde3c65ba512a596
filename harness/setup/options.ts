/** Command-line options of `npm run setup` / `npm run build:fixtures`. */
import { parseArgs } from "node:util";
import { InputError } from "../errors.js";
import type { BaseFrom } from "./base-image.js";

export interface SetupOptions {
  /** Build only the fixture image (and rewrite build/images.json). */
  readonly fixturesOnly: boolean;
  /** Rebuild images even when their tags exist. */
  readonly force: boolean;
  readonly baseFrom: BaseFrom;
  readonly mirror?: string;
  readonly help: boolean;
}

export const USAGE = `usage: npm run setup [-- options]     (npm run build:fixtures = --fixtures-only)
  --fixtures-only        build only the fixture image k8sm-harness/k8sm (needs the base image)
  --force                rebuild images even when their tags exist
  --base-from=WHERE      auto (registry, else debootstrap) | registry | debootstrap  [env K8SM_BASE_FROM]
  --mirror=URL           Debian mirror for debootstrap                               [env K8SM_DEBIAN_MIRROR]`;

const BASE_FROM: readonly BaseFrom[] = ["auto", "registry", "debootstrap"];

/** Parses the command line (flags win over the environment). Throws InputError on anything unknown. */
export function parseSetupArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SetupOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        "fixtures-only": { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        "base-from": { type: "string" },
        mirror: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new InputError((err as Error).message, USAGE);
  }
  const baseFrom = values["base-from"] ?? (env.K8SM_BASE_FROM || "auto");
  if (!BASE_FROM.includes(baseFrom as BaseFrom)) {
    throw new InputError(`Expected --base-from (or K8SM_BASE_FROM) to be one of ${BASE_FROM.join(", ")}, got "${baseFrom}"`, USAGE);
  }
  const mirror = values.mirror ?? (env.K8SM_DEBIAN_MIRROR || undefined);
  if (mirror !== undefined && !/^(https?|file):\/\/\S+$/.test(mirror)) {
    throw new InputError(`Expected --mirror (or K8SM_DEBIAN_MIRROR) to be an http(s):// or file:// URL, got "${mirror}"`, USAGE);
  }
  return { fixturesOnly: values["fixtures-only"], force: values.force, baseFrom: baseFrom as BaseFrom, mirror, help: values.help };
}
