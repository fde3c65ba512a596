/**
 * `npm run setup` (after harness/setup/setup.sh has installed the npm dependencies: step 1) and
 * `npm run build:fixtures` (`--fixtures-only`). Prints each step with its duration; on failure one
 * message saying what failed and what to do, exit 2 (130 when interrupted).
 */
import { join } from "node:path";
import { exitCodeFor, formatError, InterruptedError } from "../errors.js";
import { BASE_REPO, baseTag, ensureBaseImage } from "./base-image.js";
import { diskFullError } from "./disk.js";
import { ensureEngine, ensureHostPackages } from "./engine.js";
import { removeOldTags } from "./exec.js";
import { ensureFixtureImage, FIXTURE_REPO } from "./fixture-image.js";
import { PROJECT_ROOT } from "../paths.js";
import { writeImagesFile } from "./images.js";
import { parseSetupArgs, USAGE, type SetupOptions } from "./options.js";

/** Runs a step, then prints `[i/n] label detail 1.2s`. */
async function step(n: number, total: number, label: string, fn: () => Promise<string>): Promise<void> {
  const t0 = performance.now();
  try {
    const detail = await fn();
    console.log(`[${n}/${total}] ${label} ${detail} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  } catch (err) {
    console.error(`[${n}/${total}] ${label} FAILED after ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    if ((err as NodeJS.ErrnoException).code === "ENOSPC") throw diskFullError(label, (err as Error).message);
    throw err;
  }
}

const progress = (line: string): void => console.log(`      ${line}`);

export async function setup(opts: SetupOptions, signal: AbortSignal): Promise<void> {
  const logDir = join(PROJECT_ROOT, "build", "logs");
  // Step 1 (npm dependencies) is printed by setup.sh; --fixtures-only numbers its own three steps.
  const total = opts.fixturesOnly ? 3 : 6;
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
  await step(++n, total, "build/images.json", async () => {
    await writeImagesFile({ base, k8sm });
    const removed = [...(await removeOldTags(FIXTURE_REPO, k8sm)), ...(await removeOldTags(BASE_REPO, base))];
    return `written${removed.length ? `; removed ${removed.length} old image tag(s) no container uses` : ""}`;
  });
}

async function main(): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new InterruptedError("setup interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const t0 = performance.now();
  try {
    const opts = parseSetupArgs(process.argv.slice(2));
    if (opts.help) {
      console.log(USAGE);
      return 0;
    }
    await setup(opts, controller.signal);
    console.log(`${opts.fixturesOnly ? "build:fixtures" : "setup"} done in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    return 0;
  } catch (err) {
    const e = controller.signal.aborted ? new InterruptedError("setup interrupted") : err;
    console.error(formatError(e));
    return exitCodeFor(e);
  }
}

process.exitCode = await main();
