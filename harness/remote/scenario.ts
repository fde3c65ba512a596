/**
 * `npm run scenario -- <name> ... --engine <url>`: the run on another engine (docs/ENGINES.md).
 * The images it needs (base, fixture, runner: content-hash tags) are loaded into that engine when
 * it lacks them; the scenario runs there in a runner container (harness/remote/runner.ts), as
 * `npm run scenario` with the same arguments, this run's id (K8SM_RUN_ID) and `--out` at the same
 * path; its output comes here as it is written; its report folder is copied back into `--out`
 * once it ends, and `latest` and the run indexes here are updated as a local run updates them.
 *
 * Ctrl-C here stops the runner with SIGTERM, which the harness inside takes as its own Ctrl-C (it
 * heals, removes its topology and writes its reports, which still come back); killed after
 * RUNNER_STOP_GRACE_S, a reap runner removes what it left. The runner itself is always removed.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { getDocker } from "../docker/client.js";
import { HarnessError } from "../errors.js";
import type { TeardownStack } from "../lifecycle/teardown-stack.js";
import { gitInfo } from "../version.js";
import { writeRunIndexes } from "../reporting/run-index.js";
import { FIXTURES_CHECKED_ENV, fixtureHash, readImagesFile, STALE_FIXTURES_WARNING, type Images } from "../setup/images.js";
import { PROJECT_ROOT } from "../paths.js";
import { connectEngine, type EngineTarget } from "./engine-url.js";
import { ensureImagesOn, ensureRunnerOn } from "./images.js";
import { reapEngine } from "./reap.js";
import { RUNNER_STOP_GRACE_S, startRunner } from "./runner.js";

/** The environment variable that hands a runner its run id (harness/cli/scenario.ts reads it). */
export const RUN_ID_ENV = "K8SM_RUN_ID";
/** The environment variable that hands a runner the epoch ms its caller started at: one clock in the progress lines (hosts' clocks agree well enough; a runner ignores a value in its future). */
export const STARTED_MS_ENV = "K8SM_STARTED_MS";

export interface RemoteScenarioOptions {
  readonly target: EngineTarget;
  readonly runId: string;
  readonly scenario: string;
  /** The arguments after the scenario's name, `--out` excluded (it is `outDir`). */
  readonly args: readonly string[];
  /** Absolute. */
  readonly outDir: string;
  readonly signal: AbortSignal;
  /** The command's teardown: stopping the runner and copying its reports back is registered there (it runs at once on Ctrl-C). */
  readonly teardown: TeardownStack;
  readonly progress: (line: string) => void;
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
  /** The local engine, where the images are built. @default getDocker() */
  readonly local?: Docker;
  /** When the command started (epoch ms), for the runner's progress clock. */
  readonly startedAtMs?: number;
  /** The runner image, when `prepareEngine` already put the images there. @default prepared now */
  readonly runnerImage?: string;
}

export interface RemoteScenarioResult {
  /** The runner's exit code: the scenario's (0, 1, 2, 130); null when it could not be known. */
  readonly code: number | null;
  /** The report folder here, when one came back. */
  readonly reportDir: string | undefined;
}

/**
 * The base, fixture and runner images onto `remote`, by content hash (what is there is not sent);
 * returns the runner image's tag. Once per engine: `EngineSet.open` does it for all its runs.
 */
export async function prepareEngine(remote: Docker, opts: { signal: AbortSignal; progress: (line: string) => void; local?: Docker; images?: Images }): Promise<string> {
  const local = opts.local ?? (await getDocker());
  const images = opts.images ?? (await readImagesFile());
  const moved = await ensureImagesOn(remote, local, [images.base, images.k8sm], opts);
  if (moved.loaded.length) opts.progress(`loaded ${moved.loaded.length} image(s), ${Math.round(moved.bytes / 1024 ** 2)} MB, in ${(moved.ms / 1000).toFixed(1)}s`);
  const runner = await ensureRunnerOn(remote, local, images, opts);
  if (runner.built) opts.progress(`runner image ${runner.tag} ready on the engine in ${(runner.ms / 1000).toFixed(1)}s`);
  return runner.tag;
}

export async function runScenarioOnEngine(o: RemoteScenarioOptions): Promise<RemoteScenarioResult> {
  const remote = await connectEngine(o.target, { signal: o.signal });
  const images = await readImagesFile();
  const runnerImage = o.runnerImage ?? (await prepareEngine(remote, { signal: o.signal, progress: o.progress, images, ...(o.local ? { local: o.local } : {}) }));
  o.signal.throwIfAborted();

  const handle = await startRunner({
    docker: remote, target: o.target, image: runnerImage, id: o.runId,
    cmd: ["scenarios/main.ts", o.scenario, ...o.args, "--out", o.outDir],
    env: [`${RUN_ID_ENV}=${o.runId}`, ...(await fixturesChecked(images, o.progress)), ...(o.startedAtMs ? [`${STARTED_MS_ENV}=${Math.round(o.startedAtMs)}`] : []), ...gitEnv()],
    stdout: o.stdout, stderr: o.stderr,
  });
  o.progress(`running in ${handle.name} on ${o.target.url}`);
  const runDir = path.join(o.outDir, o.scenario, o.runId);
  // Ctrl-C: SIGTERM to the harness there, which takes it as its own Ctrl-C; `finish` awaits its end.
  let stopping: Promise<void> | undefined;
  const stop = (): void => {
    if (stopping) return;
    o.progress(`stopping the run on ${o.target.url} (the harness there tears its topology down; killed after ${RUNNER_STOP_GRACE_S}s)`);
    stopping = handle.stop(RUNNER_STOP_GRACE_S).catch((err: unknown) => o.progress(`could not stop ${handle.name}: ${(err as Error).message}`));
  };
  if (o.signal.aborted) stop();
  else o.signal.addEventListener("abort", stop, { once: true });
  let finished: Promise<{ code: number | null; copied: boolean }> | undefined;
  // Once, whoever asks first: the end of the run, or the teardown (which on Ctrl-C runs at once).
  const finish = (): Promise<{ code: number | null; copied: boolean }> => (finished ??= (async () => {
    try {
      const code = await handle.exited;
      o.signal.removeEventListener("abort", stop);
      await stopping;
      await mkdir(path.dirname(runDir), { recursive: true });
      const copied = await handle.copyOut(runDir, path.dirname(runDir));
      // Killed (SIGKILL after the grace period, an OOM): its topology may be left; reaped there.
      if (code === null || code === 137) {
        o.progress(`the runner was killed (exit ${String(code)}): reaping what it left on ${o.target.url}`);
        await reapEngine(remote, o.target, { image: runnerImage, stdout: o.stderr, stderr: o.stderr });
      }
      return { code, copied };
    } finally {
      await handle.remove();
    }
  })());
  o.teardown.defer(async () => void (await finish()), `stop the run on ${o.target.url} and remove ${handle.name}`);
  const { code, copied } = await finish();
  if (!copied) return { code, reportDir: undefined };
  await pointLatest(o.outDir, o.scenario, o.runId);
  await writeRunIndexes(o.outDir, o.scenario).catch((err: unknown) => {
    throw new HarnessError("E_REPORT", `could not update the run indexes in ${o.outDir}: ${(err as Error).message}`, "Check disk space and permissions of the --out directory.");
  });
  return { code, reportDir: runDir };
}

/** The fixture image's tag when this checkout's fixtures match it (the runner's copy lacks their tests, so it cannot check them itself); a stale one is warned about here. */
async function fixturesChecked(images: Images, progress: (line: string) => void): Promise<string[]> {
  if (images.k8sm.endsWith(`:${await fixtureHash({ root: PROJECT_ROOT, baseTag: images.base })}`)) return [`${FIXTURES_CHECKED_ENV}=${images.k8sm}`];
  progress(`warning: ${STALE_FIXTURES_WARNING}`);
  return [];
}

/** This checkout's commit for the runner's report (harness/version.ts reads it there: the image holds no git checkout; its sources are this tree's). */
function gitEnv(): string[] {
  const git = gitInfo();
  return git.commit ? [`K8SM_GIT_COMMIT=${git.commit}`, `K8SM_GIT_DIRTY=${git.dirty ? "1" : "0"}`] : [];
}

/** `<out>/<scenario>/latest` → the run, when its report is complete (has result.json), as writeReports does. */
async function pointLatest(outDir: string, scenario: string, runId: string): Promise<void> {
  if (!existsSync(path.join(outDir, scenario, runId, "result.json"))) return;
  const link = path.join(outDir, scenario, "latest");
  const staged = path.join(outDir, scenario, `.latest.tmp-${process.pid}-${randomBytes(3).toString("hex")}`);
  await symlink(runId, staged, "dir");
  try {
    await rename(staged, link);
  } catch {
    // A copied `latest` (a file system without symlinks) in the way.
    await rm(link, { recursive: true, force: true });
    await rename(staged, link);
  }
}
