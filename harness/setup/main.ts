/**
 * `npm run setup` (after harness/setup/setup.sh has installed the npm dependencies: step 1) and
 * `npm run build:fixtures` (`--fixtures-only`). Prints each step with its duration as a progress
 * line; on failure one message saying what failed and what to do, exit 2 (130 when interrupted).
 */
import { join } from "node:path";
import { defineCommand, runCommand } from "../cli/shell.js";
import { BASE_REPO, baseTag, ensureBaseImage } from "./base-image.js";
import { diskFullError } from "./disk.js";
import { ensureEngine, ensureHostPackages } from "./engine.js";
import { removeOldTags } from "./exec.js";
import { ensureFixtureImage, FIXTURE_REPO } from "./fixture-image.js";
import { PROJECT_ROOT } from "../paths.js";
import { writeImagesFile } from "./images.js";
import { ensureRunnerImage, RUNNER_DEPS_REPO, RUNNER_REPO } from "./runner-image.js";
import { setupSpec, type SetupOptions } from "./options.js";

/** `log` gets the progress lines: `[i/n] label detail 1.2s` per step, the steps' own lines indented under them. */
export async function setup(opts: SetupOptions, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  const progress = (line: string): void => log(`      ${line}`);
  /** Runs a step, then reports `[i/n] label detail 1.2s`. */
  const step = async (n: number, total: number, label: string, fn: () => Promise<string>): Promise<void> => {
    const t0 = performance.now();
    try {
      const detail = await fn();
      log(`[${n}/${total}] ${label} ${detail} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    } catch (err) {
      log(`[${n}/${total}] ${label} FAILED after ${((performance.now() - t0) / 1000).toFixed(1)}s`);
      if ((err as NodeJS.ErrnoException).code === "ENOSPC") throw diskFullError(label, (err as Error).message);
      throw err;
    }
  };
  const logDir = join(PROJECT_ROOT, "build", "logs");
  // Step 1 (npm dependencies) is printed by setup.sh; --fixtures-only numbers its own three steps.
  const total = opts.fixturesOnly ? 3 : 7;
  let n = opts.fixturesOnly ? 0 : 1;
  if (!opts.fixturesOnly) {
    await step(++n, total, "host packages", () => ensureHostPackages({ logDir, progress, signal }));
  }
  let dockerRoot: string | undefined;
  await step(++n, total, "docker engine", async () => {
    const engine = await ensureEngine({ progress });
    dockerRoot = engine.dockerRoot;
    return engine.detail;
  });
  let base = "";
  if (opts.fixturesOnly) {
    base = await baseTag();
  } else {
    await step(++n, total, "base image", async () => {
      const r = await ensureBaseImage({ from: opts.baseFrom, mirror: opts.mirror, force: opts.force, logDir, dockerRoot, progress, signal });
      base = r.tag;
      return `${r.tag} (${r.how === "cached" ? "cached" : `built from ${r.how}`})`;
    });
  }
  let k8sm = "";
  await step(++n, total, "fixture image", async () => {
    const r = await ensureFixtureImage({ baseTag: base, force: opts.force, logDir, dockerRoot, progress, signal });
    k8sm = r.tag;
    return `${r.tag} (${r.how}; emulations: ${r.components.join(", ") || "none yet"})`;
  });
  // The harness as an image, for runs on engines whose containers this host cannot reach (docs/ENGINES.md).
  let runner = "";
  let deps = "";
  if (!opts.fixturesOnly) {
    await step(++n, total, "runner image", async () => {
      const r = await ensureRunnerImage({ images: { base, k8sm }, force: opts.force, logDir, dockerRoot, progress, signal });
      runner = r.runner;
      deps = r.deps;
      return `${r.runner} (${r.how}${r.sizeBytes ? `, ${Math.round(r.sizeBytes / 1024 ** 2)} MB` : ""})`;
    });
  }
  await step(++n, total, "build/images.json", async () => {
    await writeImagesFile({ base, k8sm });
    const removed = [...(await removeOldTags(FIXTURE_REPO, k8sm)), ...(await removeOldTags(BASE_REPO, base)), ...(runner ? [...(await removeOldTags(RUNNER_REPO, runner)), ...(await removeOldTags(RUNNER_DEPS_REPO, deps))] : [])];
    return `written${removed.length ? `; removed ${removed.length} old image tag(s) no container uses` : ""}`;
  });
}

const setupCommand = defineCommand({
  ...setupSpec(),
  async run({ input: opts, signal, progress, out, elapsedMs }) {
    await setup(opts, signal, progress);
    out(`${opts.fixturesOnly ? "build:fixtures" : "setup"} done in ${(elapsedMs() / 1000).toFixed(1)}s`);
  },
});

/** setup.sh did step 1 before this process started: the clock starts when it did (epoch ms), if it says so. */
function setupShStart(): number | undefined {
  const t = Number(process.env.K8SM_SETUP_STARTED_MS);
  return Number.isFinite(t) && t <= Date.now() && t > Date.now() - 24 * 3_600_000 ? t : undefined;
}

process.exitCode = await runCommand(setupCommand, process.argv.slice(2), { startedAtMs: setupShStart() });
