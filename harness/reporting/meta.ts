/**
 * What result.json records about the run besides its trials: the harness code, the machine's Node
 * and Docker, and the command line with a ready rerun. Gathered once per run; never throws, since a
 * report must be written even when the engine is gone.
 */
import path from "node:path";
import type Docker from "dockerode";
import { dockerCall, endpointOf } from "../docker/client.js";
import { harnessVersion } from "../version.js";
import type { HarnessInfo, Invocation, RunEnvironment } from "./result.js";

export interface RunMetaOptions {
  /** The engine of the run; without it (or when it does not answer) `environment.docker` is null. */
  docker?: Docker;
  /** The CLI's arguments as given (after the script); without them `invocation` is null. */
  argv?: string[];
  /** The full command line. Default: `npm run <script> -- <argv>` under npm, else `node ... <script> <argv>`. */
  command?: string;
  /** A command that reruns the run with its seed pinned. Default: `command`. */
  rerun?: string;
  /** How long the engine has to answer `GET /version`, in ms. @default 2_000 */
  dockerTimeoutMs?: number;
}

export interface RunMeta {
  harness: HarnessInfo;
  environment: RunEnvironment;
  invocation: Invocation | null;
}

export async function collectRunMeta(opts: RunMetaOptions = {}): Promise<RunMeta> {
  const docker = opts.docker ? await dockerInfo(opts.docker, opts.dockerTimeoutMs ?? 2_000) : null;
  let invocation: Invocation | null = null;
  if (opts.argv) {
    const command = opts.command ?? commandLine(opts.argv);
    invocation = { argv: [...opts.argv], command, rerun: opts.rerun ?? command };
  }
  return { harness: harnessVersion(), environment: { node: process.version, platform: `${process.platform}/${process.arch}`, docker }, invocation };
}

/** The engine's version and API version, or null when it does not answer within `timeoutMs`. */
async function dockerInfo(docker: Docker, timeoutMs: number): Promise<RunEnvironment["docker"]> {
  try {
    // dockerode 4 honours `abortSignal` on version(); its type definitions do not declare the option.
    const versioned = docker as unknown as { version(opts: { abortSignal: AbortSignal }): Promise<{ Version?: unknown; ApiVersion?: unknown }> };
    const v = await dockerCall(docker, "read", "read", "the version", (abortSignal) => versioned.version({ abortSignal }), { timeoutMs });
    return { version: String(v.Version ?? "unknown"), apiVersion: String(v.ApiVersion ?? "unknown"), endpoint: endpointOf(docker) };
  } catch {
    return null;
  }
}

/** `argv` as the user typed it: through npm when an npm script runs us, else node and the script. */
function commandLine(argv: readonly string[]): string {
  const script = process.env.npm_lifecycle_event;
  if (script) return `npm run ${script}${argv.length ? ` -- ${shellJoin(argv)}` : ""}`;
  const entry = process.argv[1] ? path.relative(process.cwd(), process.argv[1]) || process.argv[1] : "";
  return shellJoin(["node", ...process.execArgv, ...(entry ? [entry] : []), ...argv]);
}

/** Words joined for a POSIX shell: each quoted only when it needs it (`'` inside as `'\''`). */
export function shellJoin(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}
