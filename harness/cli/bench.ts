/**
 * `npm run bench -- [--trials N] [--up-samples N] [--out DIR]`: the harness's own figures (issue 6).
 * Prints the figures beside their goals and writes `<out>/<run-id>/bench.json` (default
 * reports/bench/), with the kill-leader run's reports beside it. The scenario is passed in by the
 * entry point (scenarios/bench.ts): harness/ never imports scenarios/.
 *
 * Exit codes: 0 the bench completed (goals missed or not: it measures, it does not judge the code),
 * 2 bad input or a harness error, 130 interrupted. bench.json is written in every case that got as
 * far as a run id.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { benchDir, runBench } from "../bench/run-bench.js";
import { parseBenchArgs } from "../bench/options.js";
import { renderBenchTables } from "../bench/report.js";
import { getDocker, newRunId, reap } from "../docker/index.js";
import { exitCodeFor, formatError, HarnessError } from "../errors.js";
import { installInterruptHandlers, TeardownStack } from "../lifecycle/index.js";
import type { ScenarioDefinition } from "../runner/types.js";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

export async function benchCli(argv: readonly string[], scenario: ScenarioDefinition): Promise<number> {
  const started = performance.now();
  const stamp = () => {
    const s = Math.floor((performance.now() - started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}]`;
  };
  const progress = (line: string) => process.stderr.write(`${stamp()} ${line}\n`);

  let options;
  try {
    options = await parseBenchArgs(argv, path.join(PROJECT_ROOT, "reports", "bench"), (s) => process.stdout.write(s));
    if (!options) return 0;
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }

  const controller = new AbortController();
  const teardown = new TeardownStack();
  const interrupts = installInterruptHandlers({ controller, teardown, log: progress });
  const runId = newRunId();
  let code = 2;
  try {
    const docker = await getDocker();
    const reaped = await reap({ docker });
    if (reaped.removed.length) progress(`reaped ${reaped.removed.length} resource(s) left by earlier runs`);
    progress(`bench ${runId}: ${options.upSamples} topology launch(es), ${options.trials} ${scenario.name} trial(s), profile fast → ${benchDir(options.outDir, runId)}`);
    const report = await runBench({ scenario, options, runId, docker, signal: controller.signal, teardown, progress, projectRoot: PROJECT_ROOT });
    const file = path.join(benchDir(options.outDir, runId), "bench.json");
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`).catch((err: unknown) => {
      throw new HarnessError("E_REPORT", `cannot write ${file}: ${(err as Error).message}`, "Check --out and free disk space.", { cause: err });
    });
    process.stdout.write(`${renderBenchTables(report)}\n`);
    progress(`bench.json written to ${file}`);
    if (report.status === "interrupted") code = 130;
    else if (report.status === "failed") {
      process.stderr.write(`${formatError(new HarnessError((report.error?.code ?? "E_INTERNAL") as never, report.error?.message ?? "failed"))}\n`);
      code = 2;
    } else code = 0;
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`);
    code = controller.signal.aborted ? 130 : exitCodeFor(err);
  } finally {
    progress("cleaning up");
    await teardown.dispose().catch((err: unknown) => process.stderr.write(`cleanup: ${formatError(err)}\n`));
    interrupts.uninstall();
  }
  return controller.signal.aborted ? 130 : code;
}
