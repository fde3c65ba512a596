/** Runs on other Docker engines (docs/ENGINES.md): `--engine <url>` for `npm run scenario` and `npm run reap`. */
import { getDocker } from "../docker/client.js";
import { readImagesFile } from "../setup/images.js";
import { connectEngine, type EngineTarget } from "./engine-url.js";
import { ensureRunnerOn } from "./images.js";
import { reapEngine, type RemoteReapResult } from "./reap.js";

export { parseEngineUrl, connectEngine, type EngineTarget } from "./engine-url.js";
export { ensureImagesOn, ensureRunnerOn, missingImages, type ImageTransfer } from "./images.js";
export { startRunner, RUNNER_LABEL, RUNNER_STOP_GRACE_S, type Runner, type RunnerSpec } from "./runner.js";
export { reapEngine, reapRunners, type RemoteReapResult } from "./reap.js";
export { runScenarioOnEngine, RUN_ID_ENV, type RemoteScenarioOptions, type RemoteScenarioResult } from "./scenario.js";

/** `npm run reap -- --engine URL`: the runner image onto the engine if it lacks it (only it: the reaper launches nothing), then `reapEngine`. */
export async function reapOnEngine(target: EngineTarget, opts: { all: boolean; signal?: AbortSignal; progress: (line: string) => void; stdout: (c: Buffer) => void; stderr: (c: Buffer) => void }): Promise<RemoteReapResult> {
  const remote = await connectEngine(target, { signal: opts.signal });
  const runner = await ensureRunnerOn(remote, await getDocker(), await readImagesFile(), { signal: opts.signal, progress: opts.progress });
  return reapEngine(remote, target, { image: runner.tag, all: opts.all, stdout: opts.stdout, stderr: opts.stderr, signal: opts.signal });
}
