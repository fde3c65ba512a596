/** `npm run bench` options: validated before any container starts; bad input is an InputError (exit 2). */
import { intOption, writableDirOption } from "../cli/args.js";
import { parseCommand, type CommandArgs, type CommandSpec } from "../cli/shell.js";

/** The one-line usage every input error repeats. */
export const BENCH_USAGE = "npm run bench -- [--trials N] [--up-samples N] [--out DIR]";

export interface BenchOptions {
  trials: number;
  upSamples: number;
  /** Absolute; created and checked writable. */
  outDir: string;
}

export const BENCH_DEFAULTS = { trials: 10, upSamples: 3 } as const;

const OPTIONS = { trials: { type: "string" }, "up-samples": { type: "string" }, out: { type: "string" } } as const;

/** Everything about the bench's command line (the CLI adds the run); `defaultOutDir` is where --out points when absent. */
export function benchSpec(defaultOutDir: string): CommandSpec<typeof OPTIONS, BenchOptions> {
  return {
    name: "bench",
    usage: BENCH_USAGE,
    summary: "Benchmarks the harness itself on kill-leader (always), fast profile; takes several minutes.",
    options: OPTIONS,
    optionHelp: {
      trials: ["N", `kill-leader trials on one topology (default ${BENCH_DEFAULTS.trials}; 1..200; probeErrorMs wants at least 10)`],
      "up-samples": ["N", `topology launches timed for topologyUpMs, the trial run's launch included (default ${BENCH_DEFAULTS.upSamples}; 1..20)`],
      out: ["DIR", "bench reports root; writes DIR/<run-id>/bench.json (default reports/bench)"],
    },
    parse: async ({ values }: CommandArgs<typeof OPTIONS>) => ({
      trials: intOption("trials", values.trials, BENCH_DEFAULTS.trials, 1, 200),
      upSamples: intOption("up-samples", values["up-samples"], BENCH_DEFAULTS.upSamples, 1, 20),
      outDir: await writableDirOption("out", values.out, defaultOutDir),
    }),
  };
}

/** The options from a command line, as `npm run bench` parses them; null for --help/--version (already printed through `out`). */
export function parseBenchArgs(argv: readonly string[], defaultOutDir: string, out: (s: string) => void): Promise<BenchOptions | null> {
  return parseCommand(benchSpec(defaultOutDir), argv, { stdout: out });
}
