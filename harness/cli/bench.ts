/**
 * `npm run bench -- [--trials N] [--up-samples N] [--out DIR]`: the harness's own figures.
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
import { benchSpec } from "../bench/options.js";
import { renderBenchTables } from "../bench/report.js";
import { getDocker, newRunId, reap } from "../docker/index.js";
import { HarnessError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import type { ScenarioDefinition } from "../runner/types.js";
import { enginesBenchCli } from "../study/engines-bench.js";
import { defineCommand, runCommand } from "./shell.js";

export function benchCli(argv: readonly string[], scenario: ScenarioDefinition): Promise<number> {
  // `npm run bench -- engines ...`: trials per hour on one engine and on two (docs/ENGINES.md).
  if (argv[0] === "engines") return enginesBenchCli(argv, scenario);
  const bench = defineCommand({
    ...benchSpec(path.join(PROJECT_ROOT, "reports", "bench")),
    async run({ input: options, signal, teardown, progress, out }) {
      const runId = newRunId();
      const docker = await getDocker();
      const reaped = await reap({ docker });
      if (reaped.removed.length) progress(`reaped ${reaped.removed.length} resource(s) left by earlier runs`);
      progress(`bench ${runId}: ${options.upSamples} topology launch(es), ${options.trials} ${scenario.name} trial(s), profile fast → ${benchDir(options.outDir, runId)}`);
      const report = await runBench({ scenario, options, runId, docker, signal, teardown, progress, projectRoot: PROJECT_ROOT });
      const file = path.join(benchDir(options.outDir, runId), "bench.json");
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`).catch((err: unknown) => {
        throw new HarnessError("E_REPORT", `cannot write ${file}: ${(err as Error).message}`, "Check --out and free disk space.", { cause: err });
      });
      out(renderBenchTables(report));
      progress(`bench.json written to ${file}`);
      if (report.status === "interrupted") return 130;
      // The shell reports it (exit 2); bench.json above already holds it.
      if (report.status === "failed") throw new HarnessError((report.error?.code ?? "E_INTERNAL") as never, report.error?.message ?? "failed");
      return 0;
    },
  });
  return runCommand(bench, argv);
}
