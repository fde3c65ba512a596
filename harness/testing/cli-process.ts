/**
 * What the robustness tests need to drive the real CLIs as a user would: spawn
 * `node --import tsx <entry>` as the npm scripts do, in its own process group (a terminal's Ctrl-C
 * goes to the whole foreground group), follow its stderr for a progress line, signal it, await its
 * exit; and look at what a run left in the engine, by its `k8sm-chaos.run-id` label only, so tests
 * never touch another run's (or another person's) containers.
 *
 * Not the `tsx` CLI: it runs the program in a child and, when that child does not acknowledge a
 * relayed SIGINT within 30 ms twice (a busy event loop on a loaded machine), SIGKILLs it, which
 * leaves the topology behind. The npm scripts use `node --import tsx` for that reason.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { forceRemove } from "../docker/containers.js";
import { LABELS, runLabelFilter } from "../docker/labels.js";
import { RUNNER_LABEL } from "../remote/runner.js";
import { PROJECT_ROOT } from "../paths.js";
import type { RunResult } from "../reporting/result.js";
import { expectValidRunReport } from "./valid-report.js";

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stderr match of `pattern`; rejects when the process exits first or after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The run id the CLI printed ("<scenario>: run <id>, ..."). */
  runId(timeoutMs?: number): Promise<string>;
  /** Signals the whole process group (the program and anything it spawned). */
  signalGroup(signal: NodeJS.Signals): void;
  readonly exited: Promise<CliExit>;
  /** `exited`, or a rejection with the output so far when the CLI is still running after `timeoutMs`. */
  exitWithin(timeoutMs: number): Promise<CliExit>;
}

/** Spawns `node --import tsx <entry> ...args` (entry relative to the project root) in a new process group. */
export function spawnCli(entry: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return spawnGroup(process.execPath, ["--import", "tsx", entry, ...args], env);
}

/**
 * Spawns `npm run <script> -- ...args` in a new process group, as a user or a CI job starts it:
 * `child` is npm itself, so a test can signal npm alone (`child.kill`) or the whole group.
 */
export function spawnNpm(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return spawnGroup("npm", ["run", script, "--", ...args], env);
}

function spawnGroup(command: string, argv: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(command, [...argv], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters) w();
  });
  const exited = new Promise<CliExit>((resolve) => {
    child.on("close", (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  let closed = false;
  void exited.then(() => (closed = true));

  const waitForStderr = (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no stderr line matching ${pattern} within ${timeoutMs} ms; stderr so far:\n${err}`)), timeoutMs);
      const check = (): void => {
        const m = err.match(pattern);
        if (m) finish(undefined, m);
        else if (closed || child.exitCode !== null || child.signalCode !== null) finish(new Error(`the CLI exited before printing ${pattern}; stderr:\n${err}`));
      };
      const finish = (e?: Error, m?: RegExpMatchArray): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (e) reject(e);
        else resolve(m!);
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStderr,
    runId: async (timeoutMs = 30_000) => (await waitForStderr(/: run (\d{8}-\d{6}-[0-9a-f]{4}),/, timeoutMs))[1]!,
    signalGroup: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
    },
    exited,
    exitWithin: (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the CLI still runs ${timeoutMs} ms later; stderr:\n${err}\nstdout:\n${out}`)), timeoutMs);
      });
      return Promise.race([exited, late]).finally(() => clearTimeout(timer));
    },
  };
}

/**
 * Runs `script` with bash in the project root, as a user types it (pipes, redirections), and
 * returns bash's exit code and output; `pipestatus` is `${PIPESTATUS[*]}` of its last pipeline,
 * so the exit code of a command piped into `head` is seen too.
 */
export function runShell(script: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; pipestatus: number[]; stdout: string; stderr: string }> {
  const child = spawn("bash", ["-c", `${script}; echo "PIPESTATUS=\${PIPESTATUS[*]}" >&3`], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let status = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => (status += d.toString()));
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ code, pipestatus: (/PIPESTATUS=([\d ]*)/.exec(status)?.[1] ?? "").trim().split(/\s+/).filter(Boolean).map(Number), stdout: out, stderr: err })),
  );
}

/** The one run folder under `<out>/<scenario>` (a test with a fresh --out and one run): its id. */
export async function onlyRunId(outDir: string, scenario: string): Promise<string> {
  const ids = (await readdir(path.join(outDir, scenario)).catch((): string[] => [])).filter((n) => /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(n));
  if (ids.length !== 1) throw new Error(`expected one run under ${path.join(outDir, scenario)}, found ${ids.length}: ${ids.join(", ")}`);
  return ids[0]!;
}

/** Runs a CLI to its end. */
export function runCli(entry: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliExit> {
  return spawnCli(entry, args, env).exited;
}

export interface RunResources {
  readonly containers: { readonly name: string; readonly state: string }[];
  readonly networks: string[];
}

/** The containers (any state) and networks labelled with this run id. */
export async function runResources(docker: Docker, runId: string): Promise<RunResources> {
  const filters = { label: [runLabelFilter(runId)] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return {
    containers: containers.map((c) => ({ name: c.Names[0]?.replace(/^\//, "") ?? c.Id, state: c.State })).sort((a, b) => a.name.localeCompare(b.name)),
    networks: networks.map((n) => n.Name).sort(),
  };
}

/** What the harness left on an engine, whatever the run: containers (any state) of runs or runners, and the runs' networks. */
export async function harnessLeftovers(docker: Docker): Promise<string[]> {
  const containers = [
    ...(await docker.listContainers({ all: true, filters: { label: [LABELS.runId] } })),
    ...(await docker.listContainers({ all: true, filters: { label: [RUNNER_LABEL] } })),
  ].map((c) => `container ${c.Names[0] ?? c.Id}`);
  const networks = (await docker.listNetworks({ filters: { label: [LABELS.runId] } })).map((n) => `network ${n.Name}`);
  return [...containers, ...networks];
}

/** Removes whatever this run id left (a test's own safety net; unpauses first). */
export async function removeRun(docker: Docker, runId: string): Promise<void> {
  const filters = { label: [runLabelFilter(runId)] };
  for (const c of await docker.listContainers({ all: true, filters })) await forceRemove(docker, c.Id).catch(() => {});
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
}

/** `<out>/<scenario>/<runId>/result.json`, parsed, after checking the run's reports against docs/result.schema.json. */
export async function readResult(outDir: string, scenario: string, runId: string): Promise<RunResult> {
  return expectValidRunReport(path.join(outDir, scenario, runId));
}
