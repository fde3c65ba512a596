/**
 * Child processes for `npm run setup`: run a command, keep the tail of its output for the error
 * message, and send the whole output to a log file when asked.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { HarnessError } from "../errors.js";
import { diskFullError, looksLikeDiskFull } from "./disk.js";

export interface RunOptions {
  /** Kill the command after this long. @default no limit */
  readonly timeoutMs?: number;
  /** Append stdout and stderr here as well. */
  readonly logFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

export interface RunResult {
  /** Exit code; null when killed by a signal or when the command could not be started. */
  readonly code: number | null;
  /** Last 16 KiB of stdout and stderr, interleaved. */
  readonly output: string;
  /** Set when the command could not be started (ENOENT) or timed out. */
  readonly error?: Error;
}

const TAIL_BYTES = 16 * 1024;

/** Runs `cmd args` without a shell. Never throws: look at `code` and `error`. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  let log: NodeJS.WritableStream | undefined;
  if (options.logFile) {
    await mkdir(dirname(options.logFile), { recursive: true });
    log = createWriteStream(options.logFile, { flags: "a" });
    log.write(`\n$ ${[cmd, ...args].join(" ")}\n`);
  }
  let tail = "";
  const keep = (chunk: Buffer): void => {
    log?.write(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  };
  const result = await new Promise<RunResult>((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ?? process.env,
      cwd: options.cwd,
      signal: options.signal,
    });
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let startError: Error | undefined;
    child.on("error", (err) => { startError = err; });
    child.on("close", (code) => {
      clearTimeout(timer);
      const error = timedOut ? new Error(`timed out after ${options.timeoutMs} ms`) : startError;
      resolve({ code: error ? null : code, output: tail, error });
    });
  });
  if (log) await new Promise<void>((resolve) => log.end(resolve));
  return result;
}

/** The last `n` non-empty lines of a command's output, indented for an error message. */
export function lastLines(output: string, n = 15): string {
  return output.split("\n").filter((l) => l.trim() !== "").slice(-n).map((l) => `    ${l}`).join("\n");
}

/**
 * Runs a command that must succeed. On failure throws a HarnessError: `E_DISK_FULL` when the
 * output says the disk is full, otherwise `code` (default `E_SETUP`) with the output's tail.
 */
export async function runOk(
  what: string,
  cmd: string,
  args: readonly string[],
  options: RunOptions & { hint?: string } = {},
): Promise<string> {
  const res = await run(cmd, args, options);
  if (res.code === 0) return res.output;
  options.signal?.throwIfAborted();
  if (looksLikeDiskFull(res.output)) throw diskFullError(what, res.output);
  const why = res.error ? res.error.message : `exit code ${res.code}`;
  const logNote = options.logFile ? `\n  full log: ${options.logFile}` : "";
  throw new HarnessError(
    "E_SETUP",
    `${what} failed (${cmd}: ${why})${res.output.trim() ? `:\n${lastLines(res.output)}` : ""}${logNote}`,
    options.hint,
    { cause: res.error },
  );
}

/** True when `docker image inspect` finds the tag. */
export async function imageExists(tag: string): Promise<boolean> {
  return (await run("docker", ["image", "inspect", "--format", "{{.Id}}", tag], { timeoutMs: 30_000 })).code === 0;
}

/** Removes a tag (only the tag: the image goes when nothing else refers to it). Ignores errors. */
export async function removeTag(tag: string): Promise<void> {
  await run("docker", ["rmi", tag], { timeoutMs: 60_000 });
}

/**
 * Removes the tags of `repo` other than `keep` and the `alsoKeep` newest others (and other than
 * another build's temporary tags), so rebuilt images do not pile up. The newest few stay because
 * another checkout on the same engine may still name one in its build/images.json. `docker rmi`
 * without force: an image a container still uses stays. Returns the tags removed.
 */
export async function removeOldTags(repo: string, keep: string, alsoKeep = 2): Promise<string[]> {
  // `docker images` lists newest first.
  const list = await run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", repo], { timeoutMs: 30_000 });
  if (list.code !== 0) return [];
  const old = list.output.split("\n").map((l) => l.trim())
    .filter((t) => t.startsWith(`${repo}:`) && t !== keep && !/-tmp\d+$/.test(t))
    .slice(alsoKeep);
  const removed: string[] = [];
  for (const tag of old) {
    if ((await run("docker", ["rmi", tag], { timeoutMs: 60_000 })).code === 0) removed.push(tag);
  }
  return removed;
}

/** Environment for `docker build`: the classic builder (Debian's docker.io has no buildx). */
export const DOCKER_BUILD_ENV: NodeJS.ProcessEnv = { ...process.env, DOCKER_BUILDKIT: "0" };
