/** Command-line options of `npm run setup` / `npm run build:fixtures`. */
import { InputError } from "../errors.js";
import { parseCommandLine, type CommandArgs, type CommandSpec } from "../cli/shell.js";
import type { BaseFrom } from "./base-image.js";

export interface SetupOptions {
  /** Build only the fixture image (and rewrite build/images.json). */
  readonly fixturesOnly: boolean;
  /** Rebuild images even when their tags exist. */
  readonly force: boolean;
  readonly baseFrom: BaseFrom;
  readonly mirror?: string;
}

const BASE_FROM: readonly BaseFrom[] = ["auto", "registry", "debootstrap"];

const OPTIONS = {
  "fixtures-only": { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  "base-from": { type: "string" },
  mirror: { type: "string" },
} as const;

/** Everything about setup's command line (main.ts adds the run). Flags win over `env`. */
export function setupSpec(env: NodeJS.ProcessEnv = process.env): CommandSpec<typeof OPTIONS, SetupOptions> {
  return {
    name: "setup",
    usage: "npm run setup [-- [--fixtures-only] [--force] [--base-from=WHERE] [--mirror=URL]]",
    summary: "Installs what the harness needs and builds its images; idempotent (a second run rebuilds nothing). npm run build:fixtures is --fixtures-only.",
    options: OPTIONS,
    optionHelp: {
      "fixtures-only": "build only the fixture image k8sm-harness/k8sm (needs the base image)",
      force: "rebuild images even when their tags exist",
      "base-from": ["=WHERE", `${BASE_FROM.join(" | ")}: auto is the registry, else debootstrap  [env K8SM_BASE_FROM]`],
      mirror: ["=URL", "Debian mirror for debootstrap  [env K8SM_DEBIAN_MIRROR]"],
    },
    parse: (args) => setupOptions(args, env),
  };
}

function setupOptions({ values }: CommandArgs<typeof OPTIONS>, env: NodeJS.ProcessEnv): SetupOptions {
  const baseFrom = values["base-from"] ?? (env.K8SM_BASE_FROM || "auto");
  if (!BASE_FROM.includes(baseFrom as BaseFrom)) {
    throw new InputError(`Expected --base-from (or K8SM_BASE_FROM) to be one of ${BASE_FROM.join(", ")}, got "${baseFrom}"`);
  }
  const mirror = values.mirror ?? (env.K8SM_DEBIAN_MIRROR || undefined);
  if (mirror !== undefined && !/^(https?|file):\/\/\S+$/.test(mirror)) {
    throw new InputError(`Expected --mirror (or K8SM_DEBIAN_MIRROR) to be an http(s):// or file:// URL, got "${mirror}"`);
  }
  return { fixturesOnly: values["fixtures-only"], force: values.force, baseFrom: baseFrom as BaseFrom, mirror };
}

/**
 * The options from a command line, as `npm run setup` parses them; null for --help/--version (the
 * shell answers those). Throws InputError on anything unknown.
 */
export function parseSetupArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SetupOptions | null {
  const parsed = parseCommandLine(setupSpec(env), argv);
  return parsed.kind === "args" ? setupOptions(parsed, env) : null;
}
